"""The administrator's recruitment pages and the evaluator's seat, each behaviour once through its page."""

import html
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation

from core.models import Role
from core.workdays import working_days_between
from procurement import services
from procurement.models import (
    Criterion,
    Declaration,
    PanelMember,
    Recruitment,
    Score,
    ScoreCorrection,
)

from ..factories import ServiceProjectFactory, staff
from ..recruitment_builders import RecruitmentBuilder, Stage

SH = ZoneInfo("Asia/Shanghai")

pytestmark = pytest.mark.django_db


@pytest.fixture
def english(client_for):
    """A client for ``user`` that reads the pages in English, the msgids' language."""

    def make(user=None):
        client = client_for(user)
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        return client

    return make


def en(message, **params) -> str:
    with translation.override("en"):
        text = translation.gettext(message) if isinstance(message, str) else str(message)
        return text % params if params else text


def page(response) -> str:
    return html.unescape(response.content.decode())


def cockpit(client, recruitment) -> str:
    response = client.get(reverse("procurement:recruitment_detail", args=[recruitment.pk]))
    assert response.status_code == 200
    return page(response)


def draft(admin, project, *, weights=(60, 20, 20), panel_size=5, deadline=None):
    criteria = [
        services.CriterionInput("服务方案", Decimal(weights[0])),
        services.CriterionInput("师资力量", Decimal(weights[1])),
        services.CriterionInput("报价", Decimal(weights[2]), Criterion.Kind.PRICE),
    ]
    return services.recruitment_create(
        actor=admin,
        project=project,
        title="职工书法培训招募",
        criteria=criteria,
        deadline=deadline or timezone.now() + timedelta(days=21),
        panel_size=panel_size,
    )


# --- drafting and publishing ------------------------------------------------------------------


def form_data(project, **overrides) -> dict:
    data = {
        "project": project.pk,
        "title": "职工家政技能培训招募",
        "description": "每月四场家政培训",
        "eligibility": "具有职业培训资质",
        "budget_ceiling": "96000",
        "panel_size": "5",
        "deadline_date": "2030-03-15",
        "deadline_time": "17:00",
        "criteria-TOTAL_FORMS": "3",
        "criteria-INITIAL_FORMS": "0",
        "criteria-MIN_NUM_FORMS": "0",
        "criteria-MAX_NUM_FORMS": "20",
        "criteria-0-name": "服务方案",
        "criteria-0-description": "",
        "criteria-0-max_points": "50",
        "criteria-0-kind": "subjective",
        "criteria-1-name": "师资",
        "criteria-1-description": "",
        "criteria-1-max_points": "30",
        "criteria-1-kind": "subjective",
        "criteria-2-name": "报价",
        "criteria-2-description": "",
        "criteria-2-max_points": "20",
        "criteria-2-kind": "price",
        "documents-TOTAL_FORMS": "2",
        "documents-INITIAL_FORMS": "0",
        "documents-MIN_NUM_FORMS": "0",
        "documents-MAX_NUM_FORMS": "20",
        "documents-0-name": "营业执照",
        "documents-1-name": "",
    }
    data.update(overrides)
    return data


def test_admin_drafts_a_recruitment_from_a_project_with_criteria_rows(roles, wenshang, english):
    project = ServiceProjectFactory(palace=wenshang, created_by=roles["admin"])
    client = english(roles["admin"])
    assert client.get(reverse("procurement:recruitment_create") + f"?project={project.pk}").status_code == 200
    response = client.post(reverse("procurement:recruitment_create"), form_data(project))
    assert response.status_code == 302, response.context and response.context["form"].errors
    recruitment = Recruitment.objects.get()
    assert recruitment.state == Recruitment.State.DRAFT
    assert recruitment.deadline == datetime(2030, 3, 15, 17, 0, tzinfo=SH)  # Beijing wall-clock time
    assert [(c.name, c.max_points, c.kind) for c in recruitment.criteria.all()] == [
        ("服务方案", Decimal(50), "subjective"),
        ("师资", Decimal(30), "subjective"),
        ("报价", Decimal(20), "price"),
    ]
    assert [d.name for d in recruitment.required_documents.all()] == ["营业执照"]


def test_only_a_draft_can_be_edited(roles, wenshang, english):
    project = ServiceProjectFactory(palace=wenshang, created_by=roles["admin"])
    recruitment = draft(roles["admin"], project)
    client = english(roles["admin"])
    response = client.post(
        reverse("procurement:recruitment_edit", args=[recruitment.pk]),
        form_data(project, title="职工书法培训招募（修订）"),
    )
    assert response.status_code == 302
    recruitment.refresh_from_db()
    assert recruitment.title == "职工书法培训招募（修订）"
    services.recruitment_publish(actor=roles["admin"], recruitment=recruitment)
    response = client.get(reverse("procurement:recruitment_edit", args=[recruitment.pk]), follow=True)
    assert en(services.ERR_NOT_DRAFT) in page(response)


@pytest.mark.parametrize("rule", ["weights", "window", "panel", "kpis"])
def test_publish_is_refused_for_each_rule_with_its_message(roles, wenshang, english, rule):
    admin = roles["admin"]
    project = ServiceProjectFactory(palace=wenshang, created_by=admin, kpis=rule != "kpis")
    if rule == "weights":
        recruitment, message = draft(admin, project, weights=(60, 20, 10)), en(services.ERR_WEIGHTS, total="90")
    elif rule == "window":
        recruitment = draft(admin, project, deadline=timezone.now() + timedelta(hours=30))
        days = working_days_between(timezone.localdate(), timezone.localdate(recruitment.deadline))
        message = en(services.ERR_WINDOW, days=days, min=5)
    elif rule == "panel":
        recruitment, message = draft(admin, project, panel_size=4), en(services.ERR_PANEL_SIZE, size=4)
    else:
        recruitment, message = draft(admin, project), en(services.ERR_NO_KPIS, name=project.name)
    client = english(admin)
    assert message in cockpit(client, recruitment)  # shown in advance on the draft
    response = client.post(reverse("procurement:recruitment_publish", args=[recruitment.pk]), follow=True)
    assert message in page(response)
    recruitment.refresh_from_db()
    assert recruitment.state == Recruitment.State.DRAFT


def test_publish_warns_of_a_light_price_weight(roles, wenshang, english):
    admin = roles["admin"]
    recruitment = draft(admin, ServiceProjectFactory(palace=wenshang, created_by=admin), weights=(70, 25, 5))
    response = english(admin).post(reverse("procurement:recruitment_publish", args=[recruitment.pk]), follow=True)
    recruitment.refresh_from_db()
    assert recruitment.state == Recruitment.State.PUBLISHED
    assert "weighs less than 10 points" in page(response)


def test_cancel_needs_a_reason_and_reissue_opens_the_new_draft(roles, wenshang, english):
    admin = roles["admin"]
    recruitment = draft(admin, ServiceProjectFactory(palace=wenshang, created_by=admin))
    client = english(admin)
    client.post(reverse("procurement:recruitment_cancel", args=[recruitment.pk]), {"reason": ""})
    recruitment.refresh_from_db()
    assert recruitment.state == Recruitment.State.DRAFT
    client.post(reverse("procurement:recruitment_cancel", args=[recruitment.pk]), {"reason": "预算调整"})
    recruitment.refresh_from_db()
    assert recruitment.state == Recruitment.State.CANCELLED
    response = client.post(reverse("procurement:recruitment_reissue", args=[recruitment.pk]))
    clone = Recruitment.objects.get(reissue_of=recruitment)
    assert response["Location"] == reverse("procurement:recruitment_edit", args=[clone.pk])
    assert clone.state == Recruitment.State.DRAFT and clone.criteria.count() == 3


# --- the list ----------------------------------------------------------------------------------


def test_list_is_scoped_filtered_and_exported(roles, wenshang, foshan, english):
    admin = roles["admin"]
    ours = draft(admin, ServiceProjectFactory(palace=wenshang, created_by=admin))
    theirs = draft(roles["other_admin"], ServiceProjectFactory(palace=foshan, created_by=roles["other_admin"]))
    theirs.title = "佛山粤剧培训招募"
    theirs.save()
    body = page(english(admin).get(reverse("procurement:recruitment_list")))
    assert ours.number in body and theirs.number not in body
    body = page(english(admin).get(reverse("procurement:recruitment_list"), {"q": "粤剧"}))
    assert ours.number not in body
    body = page(english(admin).get(reverse("procurement:recruitment_list"), {"state": "published"}))
    assert ours.number not in body
    export = english(roles["auditor"]).get(reverse("procurement:recruitment_list"), {"_export": "csv"})
    assert export.status_code == 200 and ours.number in export.getvalue().decode()


# --- sealing -----------------------------------------------------------------------------------


def test_a_published_recruitment_shows_staff_only_the_count(english):
    builder = RecruitmentBuilder(applicants=2).advance_to(Stage.APPLIED)
    body = cockpit(english(builder.admin), builder.recruitment)
    assert '<strong class="hz-h1">2</strong> applications received' in body
    for application in builder.recruitment.applications.all():
        assert application.provider.name not in body
        assert f"{application.price:,}" not in body and str(application.price) not in body
        assert application.proposal not in body


def test_panel_shows_who_submitted_and_no_score(english):
    builder = RecruitmentBuilder(applicants=3, evaluators=3).advance_to(Stage.SCORED)
    body = cockpit(english(builder.admin), builder.recruitment)
    submitted, waiting = builder.members[:2], builder.members[2]
    assert body.count(en(PanelMember.State.SUBMITTED.label)) >= 2
    assert en(PanelMember.State.DECLARED.label) in body and waiting.evaluator.full_name in body
    assert "2 of 3 evaluators have submitted" in body
    assert 'id="ranking"' not in body and 'id="scores"' not in body
    for score in Score.objects.filter(member__in=submitted):
        assert score.comment not in body


def test_evaluators_see_applicants_only_from_a_clear_panel_seat(english, client_for):
    builder = RecruitmentBuilder(applicants=2, evaluators=3).advance_to(Stage.PANEL)
    outsider = staff(builder.palace, Role.EVALUATOR)
    name = builder.applications[0].provider.name
    assert name not in cockpit(english(outsider), builder.recruitment)
    member = builder.members[0]
    assert name not in cockpit(english(member.evaluator), builder.recruitment)
    services.panel_declare(
        actor=member.evaluator,
        member=member,
        conflicts={a.pk: (Declaration.Conflict.NONE, "") for a in builder.applications},
    )
    assert name in cockpit(english(member.evaluator), builder.recruitment)


def test_auditor_reads_the_cockpit_without_any_action(english):
    builder = RecruitmentBuilder(applicants=3, evaluators=3).advance_to(Stage.COMPILED)
    auditor = staff(builder.palace, Role.AUDITOR)
    body = cockpit(english(auditor), builder.recruitment)
    assert 'id="ranking"' in body and builder.applications[0].provider.name in body
    assert "<form" not in body.split('class="hz-content"', 1)[1]
    response = english(auditor).post(
        reverse("procurement:award_propose", args=[builder.recruitment.pk]), {"application": builder.applications[0].pk}
    )
    assert response.status_code == 403


# --- the seat ----------------------------------------------------------------------------------


def seat(client, member):
    response = client.get(reverse("procurement:panel_task", args=[member.pk]))
    assert response.status_code == 302
    return response["Location"]


def sheet(member, points=lambda c: c.max_points * Decimal("0.8")) -> dict:
    data = {"step": "score"}
    for a in services.valid_applications(member.recruitment):
        for c in member.recruitment.criteria.filter(kind=Criterion.Kind.SUBJECTIVE):
            data[f"points_{a.pk}_{c.pk}"] = str(points(c).quantize(Decimal("0.01")))
            data[f"comment_{a.pk}_{c.pk}"] = ""
    return data


def test_scoring_before_declaring_is_refused_with_a_message(english):
    builder = RecruitmentBuilder(applicants=2, evaluators=3).advance_to(Stage.PANEL)
    member = builder.members[0]
    client = english(member.evaluator)
    response = client.post(seat(client, member), sheet(member))
    assert response.status_code == 200
    body = page(response)
    assert en(services.ERR_DECLARE_FIRST) in body
    assert "Declaration of conflicts of interest" in body  # back at the step the seat needs
    assert not Score.objects.filter(member=member).exists()


def test_a_score_out_of_range_is_refused_with_a_message(english):
    builder = RecruitmentBuilder(applicants=2, evaluators=3).advance_to(Stage.DECLARED)
    member = builder.members[0]
    client = english(member.evaluator)
    top = builder.recruitment.criteria.filter(kind=Criterion.Kind.SUBJECTIVE).first()
    data = sheet(member)
    data[f"points_{builder.applications[0].pk}_{top.pk}"] = str(top.max_points + 1)
    response = client.post(seat(client, member), data)
    assert response.status_code == 200
    assert en(services.ERR_SCORE_RANGE, criterion=top.name, max=f"{top.max_points.normalize():f}") in page(response)
    assert not Score.objects.filter(member=member).exists()
    member.refresh_from_db()
    assert member.state == PanelMember.State.DECLARED


def test_a_double_post_of_the_sheet_keeps_one_score_per_cell(english):
    builder = RecruitmentBuilder(applicants=2, evaluators=3).advance_to(Stage.DECLARED)
    member = builder.members[0]
    client = english(member.evaluator)
    url, data = seat(client, member), sheet(member)
    assert client.post(url, data).status_code == 302
    second = client.post(url, data, follow=True)
    assert second.status_code == 200
    assert en(services.ERR_NOT_SCORING) in page(second)
    cells = builder.recruitment.criteria.filter(kind=Criterion.Kind.SUBJECTIVE).count() * len(builder.applications)
    assert Score.objects.filter(member=member).count() == cells
    assert Score.objects.filter(member=member).values("application", "criterion").distinct().count() == cells


def test_the_declaration_shows_names_only_and_the_sheet_shows_the_content(english):
    builder = RecruitmentBuilder(applicants=2, evaluators=3).advance_to(Stage.PANEL)
    member, application = builder.members[0], builder.applications[0]
    client = english(member.evaluator)
    body = page(client.get(seat(client, member)))
    assert application.provider.name in body and application.proposal not in body
    services.panel_declare(
        actor=member.evaluator,
        member=member,
        conflicts={a.pk: (Declaration.Conflict.NONE, "") for a in builder.applications},
    )
    body = page(client.get(seat(client, member)))
    assert application.proposal in body and f"{application.price:,}" in body


# --- corrections and the award -------------------------------------------------------------------


def test_a_correction_needs_a_second_administrator(english):
    builder = RecruitmentBuilder(applicants=3, evaluators=3).advance_to(Stage.COMPILED)
    recruitment, client = builder.recruitment, english(builder.admin)
    score = Score.objects.filter(member=builder.members[0]).order_by("pk").first()
    response = client.post(
        reverse("procurement:correction_request", args=[recruitment.pk]),
        {
            "score": score.pk,
            "corrected_points": str(score.points - 1),
            "reason": "arithmetic",
            "justification": "合计抄录错误",
        },
    )
    assert response.status_code == 302
    correction = ScoreCorrection.objects.get()
    body = cockpit(client, recruitment)
    assert "You requested this correction; another administrator must approve it." in body
    response = client.post(
        reverse("procurement:correction_decide", args=[recruitment.pk, correction.pk]),
        {"decision": "approve"},
        follow=True,
    )
    assert en(services.ERR_SAME_PERSON) in page(response)
    correction.refresh_from_db()
    assert correction.state == ScoreCorrection.State.REQUESTED
    english(builder.approver).post(
        reverse("procurement:correction_decide", args=[recruitment.pk, correction.pk]), {"decision": "approve"}
    )
    correction.refresh_from_db()
    assert correction.state == ScoreCorrection.State.APPROVED
    body = cockpit(client, recruitment)
    assert str(correction.original_points) in body and str(correction.corrected_points) in body


def test_awarding_another_applicant_needs_a_reason(english):
    builder = RecruitmentBuilder(applicants=3, evaluators=3).advance_to(Stage.COMPILED)
    recruitment, client = builder.recruitment, english(builder.admin)
    second = recruitment.applications.get(rank=2)
    url = reverse("procurement:award_propose", args=[recruitment.pk])
    response = client.post(url, {"application": second.pk, "reason": ""}, follow=True)
    assert en(services.ERR_AWARD_REASON) in page(response)
    recruitment.refresh_from_db()
    assert recruitment.state == Recruitment.State.EVALUATING
    client.post(url, {"application": second.pk, "reason": "第一名近三年有安全事故记录"})
    recruitment.refresh_from_db()
    assert recruitment.state == Recruitment.State.PUBLICITY
    assert recruitment.awarded_application == second


def test_the_top_ranked_applicant_is_preselected(english):
    builder = RecruitmentBuilder(applicants=3, evaluators=3).advance_to(Stage.COMPILED)
    response = english(builder.admin).get(reverse("procurement:recruitment_detail", args=[builder.recruitment.pk]))
    top = builder.recruitment.applications.get(rank=1)
    assert response.context["award_form"]["application"].value() == top.pk


def test_objections_are_answered_and_the_award_finalised_after_publicity(english):
    builder = RecruitmentBuilder(applicants=2, evaluators=3).advance_to(Stage.PUBLICITY)
    recruitment, client = builder.recruitment, english(builder.admin)
    objection = services.objection_lodge(actor=builder.provider_users[1], recruitment=recruitment, grounds="评分不公")
    body = cockpit(client, recruitment)
    assert "评分不公" in body
    finalise = reverse("procurement:recruitment_finalise", args=[recruitment.pk])
    assert en(services.ERR_PUBLICITY_RUNNING) in page(client.post(finalise, follow=True))
    client.post(
        reverse("procurement:objection_answer", args=[recruitment.pk, objection.pk]),
        {"decision": "rejected", "answer": "经复核，评分符合细则。"},
    )
    objection.refresh_from_db()
    assert objection.state == objection.State.REJECTED
    recruitment.publicity_ends_at = timezone.now() - timedelta(minutes=1)
    recruitment.save(update_fields=["publicity_ends_at"])
    client.post(finalise)
    recruitment.refresh_from_db()
    assert recruitment.state == Recruitment.State.AWARDED


# --- speed ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("what", ["sheet", "compile"])
def test_queries_do_not_grow_with_the_applicants(what, client_for, django_assert_max_num_queries):
    counts = []
    for applicants in (3, 30):
        builder = RecruitmentBuilder(applicants=applicants, evaluators=3, comments=False).advance_to(Stage.DECLARED)
        if what == "sheet":
            member = builder.members[0]
            client = client_for(member.evaluator)
            url = seat(client, member)
            with django_assert_max_num_queries(40) as captured:
                assert client.get(url).status_code == 200
        else:
            builder.advance_to(Stage.SCORED)
            with django_assert_max_num_queries(60) as captured:
                services.recruitment_compile(recruitment=builder.recruitment)
        counts.append(len(captured.captured_queries))
    assert counts[1] <= counts[0], counts
