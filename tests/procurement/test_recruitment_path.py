"""The whole recruitment path through the services, as DOMAIN.md §1 describes it.

notice → 3 applications → panel of 5 with one recusal and a replacement → scores with
an outlier → justification → compile → correction approved by a second admin →
award → objection rejected → publicity ends → awarded → draft contract.
"""

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from contracts.models import Contract
from core.audit import verify_chain
from core.errors import DomainError
from core.models import IssuedDocument, Role
from procurement import services
from procurement.models import (
    Application,
    Criterion,
    Declaration,
    PanelMember,
    Recruitment,
    Score,
    ScoreCorrection,
)
from procurement.services.applying import ApplicationFile
from procurement.services.compilation import ScoreInput
from procurement.services.drafting import CriterionInput

from ..factories import ProviderFactory, ServiceProjectFactory, pdf_upload, provider_user, staff

SH = ZoneInfo("Asia/Shanghai")
MONDAY = datetime(2026, 11, 23, 9, 0, tzinfo=SH)
DEADLINE = datetime(2026, 12, 4, 17, 0, tzinfo=SH)  # 9 working days later


@pytest.fixture
def palace_people(wenshang):
    admin = staff(wenshang, Role.ADMIN, "path-admin")
    second_admin = staff(wenshang, Role.ADMIN, "path-admin2")
    evaluators = [staff(wenshang, Role.EVALUATOR, f"path-eval{i}") for i in range(1, 7)]
    providers = [
        ProviderFactory(palace=wenshang, verified=True, name=name)
        for name in ("汶上县心理学会", "筑安技术培训中心", "安泰培训学校")
    ]
    users = [provider_user(p, f"path-prov{i}") for i, p in enumerate(providers, start=1)]
    return admin, second_admin, evaluators, providers, users


def publish(admin, wenshang):
    project = ServiceProjectFactory(palace=wenshang, name="家政培训", created_by=admin)
    recruitment = services.recruitment_create(
        actor=admin,
        project=project,
        title="家政培训服务机构招募",
        deadline=DEADLINE,
        criteria=[
            CriterionInput("服务方案", Decimal(40)),
            CriterionInput("师资力量", Decimal(30)),
            CriterionInput("报价", Decimal(30), Criterion.Kind.PRICE),
        ],
        required_documents=["营业执照"],
        panel_size=5,
        budget_ceiling=Decimal("90000"),
    )
    services.recruitment_publish(actor=admin, recruitment=recruitment, now=MONDAY)
    return recruitment


def test_the_whole_recruitment_path(palace_people, wenshang, django_capture_on_commit_callbacks):
    admin, second_admin, evaluators, providers, users = palace_people
    recruitment = publish(admin, wenshang)
    licence = recruitment.required_documents.get()

    prices = [Decimal("88000"), Decimal("80000"), Decimal("85000")]
    for i, (user, price) in enumerate(zip(users, prices, strict=True)):
        services.application_submit(
            actor=user,
            recruitment=recruitment,
            price=price,
            proposal=f"方案{i}",
            files=[ApplicationFile(licence.pk, pdf_upload())],
            now=MONDAY + timedelta(hours=i + 1),
        )
    recruitment = services.recruitment_close(recruitment=recruitment, now=DEADLINE + timedelta(minutes=1))
    assert recruitment.state == Recruitment.State.CLOSED
    assert Application.objects.filter(recruitment=recruitment, is_valid=True).count() == 3

    members = services.panel_assign(actor=admin, recruitment=recruitment, evaluators=evaluators[:5])
    applications = list(services.valid_applications(recruitment))
    # The first evaluator used to work at the first applicant: recused and replaced.
    conflicts = {a.pk: ("none", "") for a in applications}
    services.panel_declare(
        actor=evaluators[0],
        member=members[0],
        conflicts={**conflicts, applications[0].pk: ("employment", "2024 年曾任该机构讲师")},
    )
    with pytest.raises(DomainError):  # one evaluator short: nothing compiles without the replacement
        services.scores_submit(actor=evaluators[0], member=members[0], scores=[])
    replacement = services.panel_replace(actor=admin, member=members[0], evaluator=evaluators[5])
    panel = [replacement, *members[1:]]
    for member in panel:
        services.panel_declare(actor=member.evaluator, member=member, conflicts=conflicts)

    subjective = list(recruitment.criteria.filter(kind=Criterion.Kind.SUBJECTIVE))
    base = {applications[0].pk: 30, applications[1].pk: 35, applications[2].pk: 25}
    for n, member in enumerate(panel):
        sheet = []
        for application in applications:
            for criterion in subjective:
                points = Decimal(min(base[application.pk], int(criterion.max_points) - 1))
                if n == 4 and application == applications[1] and criterion.name == "服务方案":
                    points = Decimal(5)  # far below the panel: an outlier
                sheet.append(ScoreInput(application.pk, criterion.pk, points, "符合要求"))
        with django_capture_on_commit_callbacks(execute=True):
            services.scores_submit(actor=member.evaluator, member=member, scores=sheet)

    outlier_member = PanelMember.objects.get(pk=panel[4].pk)
    assert outlier_member.state == PanelMember.State.JUSTIFYING
    recruitment.refresh_from_db()
    assert recruitment.compiled_at is None
    flagged = Score.objects.get(member=outlier_member, is_outlier=True)
    with django_capture_on_commit_callbacks(execute=True):
        services.scores_justify(
            actor=outlier_member.evaluator,
            member=outlier_member,
            justifications={flagged.pk: "方案缺少安全预案，按评分细则只能给低分"},
        )
    recruitment.refresh_from_db()
    assert recruitment.compiled_at is not None
    ranked = list(Application.objects.filter(recruitment=recruitment).order_by("rank"))
    assert [a.rank for a in ranked] == [1, 2, 3]
    assert all(a.total <= 100 for a in ranked)
    report_v1 = IssuedDocument.objects.get(kind=IssuedDocument.Kind.TENDER_REPORT, version=1)

    # A locked score is corrected only with a reason code, a justification and a second admin.
    score = Score.objects.filter(member=panel[1], application=ranked[2]).first()
    correction = services.score_correction_request(
        actor=admin,
        score=score,
        corrected_points=score.points + 1,
        reason=ScoreCorrection.Reason.ARITHMETIC,
        justification="合计时抄录错误",
    )
    with pytest.raises(DomainError):
        services.score_correction_decide(actor=admin, correction=correction, approve=True)
    with django_capture_on_commit_callbacks(execute=True):
        services.score_correction_decide(actor=second_admin, correction=correction, approve=True)
    correction.refresh_from_db()
    assert (correction.original_points, correction.state) == (score.points, ScoreCorrection.State.APPROVED)
    assert IssuedDocument.objects.filter(kind=IssuedDocument.Kind.TENDER_REPORT, version=2).exists()
    report_v1.refresh_from_db()  # the first version is kept as issued

    top = Application.objects.get(recruitment=recruitment, rank=1)
    recruitment = services.award_propose(
        actor=admin, recruitment=recruitment, application=top, now=DEADLINE + timedelta(days=3)
    )
    assert recruitment.state == Recruitment.State.PUBLICITY
    loser = Application.objects.get(recruitment=recruitment, rank=3)
    loser_user = loser.provider.users.get().user
    objection = services.objection_lodge(
        actor=loser_user, recruitment=recruitment, grounds="评分不公", now=DEADLINE + timedelta(days=4)
    )
    with pytest.raises(DomainError):
        services.recruitment_finalise(recruitment=recruitment, now=recruitment.publicity_ends_at + timedelta(hours=1))
    services.objection_answer(actor=admin, objection=objection, upheld=False, answer="经复核，评分符合细则。")
    recruitment = services.recruitment_finalise(
        recruitment=recruitment, now=recruitment.publicity_ends_at + timedelta(hours=1)
    )
    assert recruitment.state == Recruitment.State.AWARDED

    contract = Contract.objects.get(recruitment=recruitment)
    assert contract.provider == top.provider and contract.amount == top.price
    assert [m.percent for m in contract.milestones.all()] == [30, 40, 30]
    assert sum(m.amount for m in contract.milestones.all()) == contract.amount
    assert Declaration.objects.filter(conflict="employment").count() == 1
    assert verify_chain().ok


def test_publishing_is_refused_with_every_problem_named(palace_people, wenshang):
    admin = palace_people[0]
    project = ServiceProjectFactory(palace=wenshang, created_by=admin, kpis=False)
    recruitment = services.recruitment_create(
        actor=admin,
        project=project,
        title="t",
        deadline=MONDAY + timedelta(days=3),
        criteria=[CriterionInput("方案", Decimal(60)), CriterionInput("报价", Decimal(5), "price")],
        panel_size=4,
    )
    with pytest.raises(DomainError) as exc:
        services.recruitment_publish(actor=admin, recruitment=recruitment, now=MONDAY)
    message = str(exc.value)
    assert "65" in message  # the weights' sum
    assert "3" in message  # the window in working days
    assert "4" in message  # the even panel size
    assert project.name in message  # no KPI targets
    recruitment.refresh_from_db()
    assert recruitment.state == Recruitment.State.DRAFT


def test_fewer_than_two_valid_applications_fail_and_reissue_clones(palace_people, wenshang):
    admin, _, _, _, users = palace_people
    recruitment = publish(admin, wenshang)
    licence = recruitment.required_documents.get()
    services.application_submit(
        actor=users[0],
        recruitment=recruitment,
        price=Decimal(1000),
        proposal="x",
        files=[ApplicationFile(licence.pk, pdf_upload())],
        now=MONDAY,
    )
    recruitment = services.recruitment_close(recruitment=recruitment, now=DEADLINE)
    assert recruitment.state == Recruitment.State.FAILED
    clone = services.recruitment_reissue(actor=admin, recruitment=recruitment)
    assert clone.state == Recruitment.State.DRAFT and clone.reissue_of == recruitment
    assert [(c.name, c.max_points) for c in clone.criteria.all()] == [
        (c.name, c.max_points) for c in recruitment.criteria.all()
    ]


def test_the_audit_trail_keeps_a_sealed_price_out(palace_people, wenshang):
    from core.models import AuditEvent

    admin, _, _, _, users = palace_people
    recruitment = publish(admin, wenshang)
    licence = recruitment.required_documents.get()
    application = services.application_submit(
        actor=users[0],
        recruitment=recruitment,
        price=Decimal("87654.32"),
        proposal="密封方案",
        files=[ApplicationFile(licence.pk, pdf_upload())],
        now=MONDAY,
    )
    events = AuditEvent.objects.filter(object_id=str(application.pk), object_type="procurement.Application")
    assert events.exists()
    for event in events:
        assert "87654" not in str(event.after) and "密封方案" not in str(event.after)


def test_panel_and_correction_actions_are_refused_outside_evaluation(palace_people, wenshang):
    from ..recruitment_builders import RecruitmentBuilder, Stage

    b = RecruitmentBuilder(palace=wenshang, applicants=3, evaluators=3).advance_to(Stage.PUBLICITY)
    member = b.members[0]
    with pytest.raises(DomainError) as exc:
        services.scores_submit(actor=member.evaluator, member=member, scores=[])
    assert exc.value.message == services.ERR_NOT_EVALUATING
    score = Score.objects.filter(member=member).first()
    with pytest.raises(DomainError) as exc:
        services.score_correction_request(
            actor=b.admin, score=score, corrected_points=score.points, reason="arithmetic", justification="x"
        )
    assert exc.value.message == services.ERR_NOT_EVALUATING
    from core.errors import NotPermitted

    from ..factories import PalaceFactory

    other_admin = staff(PalaceFactory(foshan=True), Role.ADMIN, "path-foshan-admin")
    with pytest.raises(NotPermitted):
        services.recruitment_finalise(
            recruitment=b.recruitment, actor=other_admin, now=b.recruitment.publicity_ends_at + timedelta(hours=1)
        )
