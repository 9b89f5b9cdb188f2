"""Contracts and service reports through the services: the path from award to the first payment, and the refusals."""

from datetime import date, datetime
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from contracts import services
from contracts.imports import ImportRejected
from contracts.models import Activity, Contract, ReportReminder, ReportVersion, ServiceReport
from core.audit import verify_chain
from core.errors import DomainError, NotPermitted
from core.models import AuditEvent, Notification, StoredFile
from tests.contract_builders import active_contract, draft_contract
from tests.factories import pdf_upload
from tests.recruitment_builders import RecruitmentBuilder, Stage

pytestmark = pytest.mark.django_db


def at(y, m, d, h=9):
    return timezone.make_aware(datetime(y, m, d, h))


def checkin_csv(rows, name="签到导出.csv") -> SimpleUploadedFile:
    lines = ["序号,签到日期,活动名称,活动类别,活动室,签到人数"]
    lines += [f"{i},{d},{t},{c},{p},{n}" for i, (d, t, c, p, n) in enumerate(rows, start=1)]
    return SimpleUploadedFile(name, ("\n".join(lines) + "\n").encode("gb18030"), content_type="text/csv")


def test_from_award_to_the_first_payment(django_capture_on_commit_callbacks):
    """award → signed and accepted → schedule → imported report → returned → fixed → accepted →
    KPI progress → first milestone released, mid-term refused while its condition is unmet."""
    b = RecruitmentBuilder(applicants=3, evaluators=3, criteria=3)
    with django_capture_on_commit_callbacks(execute=True):
        b.advance_to(Stage.AWARDED)
    contract = Contract.objects.get(recruitment=b.recruitment)
    winner = b.recruitment.awarded_application
    provider_user = winner.provider.users.get().user
    assert contract.state == Contract.State.DRAFT and contract.amount == winner.price
    assert contract.kpi_targets.count() == b.project.kpi_targets.count()

    # The provider cannot accept before the palace signs; then the palace signs and it accepts.
    with pytest.raises(DomainError) as refused:
        services.contract_accept(actor=provider_user, contract=contract)
    assert str(refused.value) == str(services.ERR_NOT_SIGNED)
    contract = services.contract_update(
        actor=b.admin,
        contract=contract,
        amount=contract.amount,
        term_months=12,
        starts_on=date(2026, 3, 1),
        report_schedule=Contract.ReportSchedule.MONTHLY,
        kpi_targets=[
            services.KpiTargetInput("sessions", Decimal(24), "场", category="training"),
            services.KpiTargetInput("participant_visits", Decimal(1200), "人次"),
        ],
    )
    services.contract_sign(actor=b.admin, contract=contract)
    contract = services.contract_accept(actor=provider_user, contract=contract)
    assert contract.state == Contract.State.ACTIVE
    assert (contract.signed_by, contract.accepted_by) == (b.admin, provider_user)
    assert AuditEvent.objects.filter(action__in=["contract.signed", "contract.accepted"]).count() == 2

    # Every period of the term exists, each due on the 5th working day after it ends.
    reports = list(contract.reports.all())
    assert len(reports) == 12
    assert (reports[0].period_start, reports[0].period_end) == (date(2026, 3, 1), date(2026, 3, 31))
    assert reports[0].due_on == date(2026, 4, 8)  # 清明 (4–6 April 2026) is not a working day
    assert reports[-1].period_end == date(2027, 2, 28)

    # The March report: activities imported from the venue's check-in export, a narrative, a photo.
    march = reports[0]
    imported = services.report_import_activities(
        actor=provider_user,
        report=march,
        upload=checkin_csv(
            [
                ("2026-03-05", "职工技能提升培训（电工）", "培训", "一楼培训教室", 42),
                ("2026-03-12", "职工书法交流", "文化", "职工书屋", 25),
                ("2026-03-20", "职工技能提升培训（焊工）", "培训", "一楼培训教室", 38),
            ]
        ),
    )
    assert imported == 3
    services.report_save(
        actor=provider_user,
        report=march,
        narrative="三月完成培训两场、文化活动一场。",
        attachments=[pdf_upload("签到表.pdf")],
    )
    services.report_submit(actor=provider_user, report=march)
    services.report_review(actor=b.evaluators[0], report=march, accept=False, comment="缺少活动照片，请补充。")
    march.refresh_from_db()
    assert march.state == ServiceReport.State.RETURNED and march.score is None

    # Fixed and resubmitted: both versions kept; accepted with a score.
    services.report_save(
        actor=provider_user,
        report=march,
        narrative="三月完成培训两场、文化活动一场，已补充照片。",
        attachments=[pdf_upload("活动照片.pdf")],
    )
    services.report_submit(actor=provider_user, report=march)
    services.report_review(actor=b.admin, report=march, accept=True, score=Decimal("88.5"))
    march.refresh_from_db()
    assert (march.state, march.score, march.version) == (ServiceReport.State.ACCEPTED, Decimal("88.5"), 2)
    v1, v2 = ReportVersion.objects.filter(report=march)
    assert (v1.outcome, v1.review_comment) == ("returned", "缺少活动照片，请补充。")
    assert (v2.outcome, v2.score, len(v2.activities), len(v2.attachments)) == ("accepted", Decimal("88.5"), 3, 2)

    # KPI progress counts the accepted activities.
    from contracts.selectors import kpi_progress

    progress = {row.target.metric: row for row in kpi_progress(contract, today=date(2026, 4, 10))}
    assert progress["sessions"].delivered == 2  # training only: the target's category
    assert progress["participant_visits"].delivered == 105

    # The first milestone is released; the mid-term one is refused while its condition is unmet.
    first, mid, final = contract.milestones.all()
    services.milestone_release(actor=b.admin, milestone=first)
    first.refresh_from_db()
    assert first.released_by == b.admin
    with pytest.raises(DomainError) as mid_refused:
        services.milestone_release(actor=b.admin, milestone=mid, now=at(2026, 4, 10))
    assert "2026-09-01" in str(mid_refused.value)  # mid-term not reached
    with pytest.raises(DomainError):
        services.milestone_release(actor=b.admin, milestone=final)  # no final rating yet
    mid.refresh_from_db()
    assert mid.released_at is None
    # At mid-term, with no rectification order open (evaluations answers that), it is released.
    services.milestone_release(actor=b.admin, milestone=mid, now=at(2026, 9, 2))
    mid.refresh_from_db()
    assert mid.released_at is not None
    assert verify_chain().ok


@pytest.fixture
def contract(roles, wenshang):
    return active_contract(
        palace=wenshang,
        provider=roles["provider_a"].provider,
        provider_user=roles["provider_a"],
        admin=roles["admin"],
        starts_on=date(2026, 1, 1),
    )


def test_the_term_is_at_most_36_months_and_the_draft_keeps_its_values(roles, wenshang):
    draft = draft_contract(palace=wenshang, provider=roles["provider_a"].provider)
    with pytest.raises(DomainError) as refused:
        services.contract_update(
            actor=roles["admin"],
            contract=draft,
            amount=Decimal(1000),
            term_months=37,
            starts_on=date(2026, 1, 1),
            report_schedule="monthly",
            kpi_targets=[services.KpiTargetInput("sessions", Decimal(1), "场")],
        )
    assert "37" in str(refused.value) and "36" in str(refused.value)
    draft.refresh_from_db()
    assert draft.term_months == 12 and draft.amount == Decimal("120000.00")


def test_a_quarterly_schedule_has_four_periods_and_generation_is_idempotent(roles, wenshang):
    contract = active_contract(
        palace=wenshang,
        provider=roles["provider_a"].provider,
        provider_user=roles["provider_a"],
        admin=roles["admin"],
        report_schedule=Contract.ReportSchedule.QUARTERLY,
        starts_on=date(2026, 1, 15),
    )
    periods = [(r.period_start, r.period_end) for r in contract.reports.all()]
    assert periods == [
        (date(2026, 1, 15), date(2026, 4, 14)),
        (date(2026, 4, 15), date(2026, 7, 14)),
        (date(2026, 7, 15), date(2026, 10, 14)),
        (date(2026, 10, 15), date(2027, 1, 14)),
    ]
    services.report_schedule_generate(contract=contract)
    assert contract.reports.count() == 4


def test_only_the_parties_sign_and_accept(roles, wenshang, foshan):
    draft = draft_contract(palace=wenshang, provider=roles["provider_a"].provider)
    for actor in (roles["evaluator"], roles["auditor"], roles["other_admin"], roles["provider_a"]):
        with pytest.raises(NotPermitted):
            services.contract_sign(actor=actor, contract=draft)
    services.contract_sign(actor=roles["admin"], contract=draft)
    for actor in (roles["provider_b"], roles["admin"]):
        with pytest.raises(NotPermitted):
            services.contract_accept(actor=actor, contract=draft)
    assert Contract.objects.get(pk=draft.pk).state == Contract.State.DRAFT


def test_typed_activities_are_checked_all_at_once_and_nothing_is_saved(roles, contract):
    report = contract.reports.get(sequence=1)
    with pytest.raises(DomainError) as refused:
        services.report_save(
            actor=roles["provider_a"],
            report=report,
            narrative="n",
            activities=[
                services.ActivityInput(date(2026, 1, 10), "正常活动", "training", "教室", 10),
                services.ActivityInput(date(2026, 2, 3), "越期活动", "training", "教室", 10),
                services.ActivityInput(date(2026, 1, 11), "负数", "sports", "球场", -5),
                services.ActivityInput(date(2026, 1, 12), '=HYPERLINK("x")', "culture", "书屋", 5),
            ],
            attachments=[pdf_upload()],
        )
    message = str(refused.value)
    assert "第 2 项活动" in message and "2026-02-03" in message
    assert "第 3 项活动" in message and "第 4 项活动" in message
    assert not Activity.objects.exists() and not StoredFile.objects.exists()
    report.refresh_from_db()
    assert report.state == ServiceReport.State.PENDING and report.narrative == ""


def test_an_import_with_a_bad_row_saves_nothing_and_names_every_bad_row(roles, contract):
    report = contract.reports.get(sequence=1)
    services.report_save(
        actor=roles["provider_a"],
        report=report,
        narrative="n",
        activities=[services.ActivityInput(date(2026, 1, 10), "手工录入", "training", "教室", 10)],
    )
    with pytest.raises(ImportRejected) as refused:
        services.report_import_activities(
            actor=roles["provider_a"],
            report=report,
            upload=checkin_csv(
                [
                    ("2026-01-05", "培训", "培训", "教室", 20),
                    ("2026-03-01", "越期", "培训", "教室", 20),
                    ("2026-01-09", "负数", "体育", "球场", -3),
                ]
            ),
        )
    assert [row for row, _message in refused.value.errors] == [3, 4]
    assert list(report.activities.values_list("title", flat=True)) == ["手工录入"]


def test_an_oversized_attachment_is_refused_and_nothing_is_stored(roles, contract):
    report = contract.reports.get(sequence=1)
    big = SimpleUploadedFile("大文件.pdf", b"%PDF-1.4\n" + b"0" * (50 * 1024 * 1024), content_type="application/pdf")
    with pytest.raises(DomainError) as refused:
        services.report_save(actor=roles["provider_a"], report=report, narrative="n", attachments=[big])
    assert "10" in str(refused.value)
    assert not StoredFile.objects.exists()


def test_submission_needs_a_narrative_and_activities_and_happens_once(roles, contract):
    report = contract.reports.get(sequence=1)
    with pytest.raises(DomainError) as refused:
        services.report_submit(actor=roles["provider_a"], report=report)
    assert str(refused.value) == str(services.ERR_NO_NARRATIVE)
    services.report_save(actor=roles["provider_a"], report=report, narrative="一月活动", activities=[])
    with pytest.raises(DomainError) as refused:
        services.report_submit(actor=roles["provider_a"], report=report)
    assert str(refused.value) == str(services.ERR_NO_ACTIVITIES)
    services.report_save(
        actor=roles["provider_a"],
        report=report,
        narrative="一月活动",
        activities=[services.ActivityInput(date(2026, 1, 10), "培训", "training", "教室", 10)],
    )
    services.report_submit(actor=roles["provider_a"], report=report)
    with pytest.raises(DomainError) as again:
        services.report_submit(actor=roles["provider_a"], report=report)
    assert str(again.value) == str(services.ERR_ALREADY_SUBMITTED)
    assert ReportVersion.objects.filter(report=report).count() == 1
    with pytest.raises(NotPermitted):
        services.report_submit(actor=roles["provider_b"], report=report)


def test_review_needs_a_score_to_accept_and_comments_to_return(roles, contract):
    report = contract.reports.get(sequence=1)
    services.report_save(
        actor=roles["provider_a"],
        report=report,
        narrative="n",
        activities=[services.ActivityInput(date(2026, 1, 10), "培训", "training", "教室", 10)],
    )
    services.report_submit(actor=roles["provider_a"], report=report)
    with pytest.raises(DomainError):
        services.report_review(actor=roles["evaluator"], report=report, accept=True, score=Decimal(101))
    with pytest.raises(DomainError):
        services.report_review(actor=roles["evaluator"], report=report, accept=True, score=None)
    with pytest.raises(DomainError):
        services.report_review(actor=roles["evaluator"], report=report, accept=False, comment="  ")
    for outsider in (roles["auditor"], roles["other_admin"], roles["provider_a"]):
        with pytest.raises(NotPermitted):
            services.report_review(actor=outsider, report=report, accept=True, score=Decimal(90))
    assert ServiceReport.objects.get(pk=report.pk).state == ServiceReport.State.SUBMITTED


def test_reminders_go_once_before_the_due_date_and_once_when_overdue(roles, contract):
    report = contract.reports.get(sequence=1)  # January, due 2026-02-06
    assert report.due_on == date(2026, 2, 6)
    assert services.reports_remind(at(2026, 2, 2)) == 0
    assert services.reports_remind(at(2026, 2, 3)) == 1
    assert services.reports_remind(at(2026, 2, 4)) == 0
    assert services.reports_remind(at(2026, 2, 7)) == 1
    assert services.reports_remind(at(2026, 2, 8)) == 0
    kinds = set(ReportReminder.objects.filter(report=report).values_list("kind", flat=True))
    assert kinds == {"due_soon", "overdue"}
    subjects = list(Notification.objects.filter(recipient=roles["provider_a"]).values_list("subject", flat=True))
    assert any("2026-02-06" in s and "截止" in s for s in subjects)
    assert any("逾期" in s for s in subjects)


def test_a_report_still_overdue_when_the_next_period_closes_scores_zero(roles, contract):
    january = contract.reports.get(sequence=1)
    assert services.reports_mark_missed(at(2026, 2, 28)) == 0
    assert services.reports_mark_missed(at(2026, 3, 1)) == 1
    january.refresh_from_db()
    assert (january.state, january.score) == (ServiceReport.State.MISSED, Decimal(0))
    assert "2026-02-28" in january.review_comment
    assert AuditEvent.objects.filter(action="report.missed", object_id=str(january.pk)).count() == 1
    assert services.reports_mark_missed(at(2026, 3, 2)) == 0
    # A returned report being revised is not "missed", however late.
    february = contract.reports.get(sequence=2)
    services.report_save(
        actor=roles["provider_a"],
        report=february,
        narrative="n",
        activities=[services.ActivityInput(date(2026, 2, 10), "培训", "training", "教室", 10)],
    )
    services.report_submit(actor=roles["provider_a"], report=february)
    services.report_review(actor=roles["admin"], report=february, accept=False, comment="补充")
    services.reports_mark_missed(at(2026, 6, 1))
    february.refresh_from_db()
    assert february.state == ServiceReport.State.RETURNED


def test_tick_runs_the_report_jobs(roles, contract, capsys):
    from django.core.management import call_command

    call_command("tick", "--now", "2026-03-01T09:00:00+08:00")
    assert ServiceReport.objects.get(contract=contract, sequence=1).state == ServiceReport.State.MISSED
    assert "missed 1" in capsys.readouterr().out
