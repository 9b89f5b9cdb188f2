"""The final panel review's services (evaluations/final/services/panel.py).

Three or more evaluators of the palace, each declaring a conflict with the provider or
none, a sealed sheet each, outliers justified, and ``panel_value`` = Σ criterion means,
after which the evaluation is proposed. The steps shared with the recruitment panel
(procurement/services/panels.py) are exercised here through the final panel's services.
"""

from datetime import date, datetime
from decimal import Decimal

import pytest
from django.conf import settings as django_settings
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from hypothesis import given, settings
from hypothesis import strategies as st

from core.errors import DomainError, NotPermitted
from core.models import AuditEvent, Notification, Role
from evaluations import services
from evaluations.final.services import panel as final_panel
from evaluations.final.services.evaluation import final_evaluation_open
from evaluations.final.signals import final_changed
from evaluations.models import FinalEvaluation, FinalPanelScore, FinalPanelSeat, ReviewCriterion
from procurement import scoring
from tests.contract_builders import active_contract
from tests.factories import staff

pytestmark = pytest.mark.django_db

OPENED = timezone.make_aware(datetime(2026, 12, 1, 9))


def sheet(results, reputation, management, comment="依据月度评分与走访记录") -> dict:
    return {
        "results": (Decimal(results), comment),
        "reputation": (Decimal(reputation), comment),
        "management": (Decimal(management), comment),
    }


@pytest.fixture
def evaluation(roles, wenshang) -> FinalEvaluation:
    contract = active_contract(
        palace=wenshang,
        provider=roles["provider_a"].provider,
        provider_user=roles["provider_a"],
        admin=roles["admin"],
        starts_on=date(2026, 1, 1),
    )
    return final_evaluation_open(contract=contract, now=OPENED)


@pytest.fixture
def evaluators(roles, wenshang):
    return [roles["evaluator"]] + [staff(wenshang, Role.EVALUATOR, f"t-ws-eval{i}") for i in (2, 3, 4, 5)]


def named(roles, evaluation, people) -> list[FinalPanelSeat]:
    return services.final_panel_assign(actor=roles["admin"], evaluation=evaluation, evaluators=people)


def declared(roles, evaluation, people) -> list[FinalPanelSeat]:
    seats = named(roles, evaluation, people)
    return [services.final_panel_declare(actor=s.evaluator, seat=s, conflict="none") for s in seats]


def fresh(evaluation) -> FinalEvaluation:
    return FinalEvaluation.objects.get(pk=evaluation.pk)


# --- naming the panel ----------------------------------------------------------------------------


def test_the_panel_needs_three_different_evaluators_of_the_palace(roles, evaluation, evaluators, foshan):
    admin = roles["admin"]
    with pytest.raises(DomainError) as refused:
        services.final_panel_assign(actor=admin, evaluation=evaluation, evaluators=evaluators[:2])
    assert refused.value.message == final_panel.ERR_PANEL_SIZE % {"min": 3}
    # The same evaluator twice is one seat, not two.
    with pytest.raises(DomainError):
        services.final_panel_assign(actor=admin, evaluation=evaluation, evaluators=evaluators[:2] + evaluators[:1])
    outsider = staff(foshan, Role.EVALUATOR, "t-fs-eval")
    for wrong in (roles["auditor"], outsider):
        with pytest.raises(DomainError) as refused:
            services.final_panel_assign(actor=admin, evaluation=evaluation, evaluators=evaluators[:2] + [wrong])
        assert refused.value.message == final_panel.ERR_NOT_EVALUATOR % {"name": wrong}
    assert not evaluation.panel.exists()

    seats = services.final_panel_assign(actor=admin, evaluation=evaluation, evaluators=evaluators[:4])
    assert [s.evaluator for s in seats] == evaluators[:4]
    assert fresh(evaluation).panel_size == 4
    assert all(s.state == FinalPanelSeat.State.ASSIGNED for s in seats)
    for seat in seats:
        note = Notification.objects.get(recipient=seat.evaluator)
        assert evaluation.contract.number in note.subject and note.url.endswith(f"/final/seats/{seat.pk}/")
    assert AuditEvent.objects.filter(action="final_panel.assigned").count() == 1

    with pytest.raises(DomainError) as refused:
        services.final_panel_assign(actor=admin, evaluation=evaluation, evaluators=evaluators[4:] + evaluators[:2])
    assert refused.value.message == final_panel.ERR_PANEL_NAMED


@pytest.mark.parametrize("who", ["evaluator", "auditor", "other_admin", "provider_a"])
def test_only_the_palace_administrator_names_the_panel(roles, evaluation, evaluators, who):
    with pytest.raises(NotPermitted):
        services.final_panel_assign(actor=roles[who], evaluation=evaluation, evaluators=evaluators[:3])
    assert not evaluation.panel.exists()


# --- declarations, recusal and replacement ----------------------------------------------------------


def test_only_the_seat_evaluator_declares_and_scores(roles, evaluation, evaluators):
    seats = named(roles, evaluation, evaluators[:3])
    with pytest.raises(NotPermitted):
        services.final_panel_declare(actor=evaluators[1], seat=seats[0], conflict="none")
    with pytest.raises(NotPermitted):
        services.final_panel_declare(actor=roles["admin"], seat=seats[0], conflict="none")
    with pytest.raises(DomainError) as refused:
        services.final_panel_submit(actor=evaluators[0], seat=seats[0], scores=sheet(30, 20, 20))
    assert refused.value.message == final_panel.ERR_DECLARE_FIRST
    seat = services.final_panel_declare(actor=evaluators[0], seat=seats[0], conflict="none")
    assert seat.state == FinalPanelSeat.State.DECLARED and seat.declared_at is not None
    with pytest.raises(NotPermitted):
        services.final_panel_submit(actor=evaluators[1], seat=seats[0], scores=sheet(30, 20, 20))
    with pytest.raises(DomainError) as refused:
        services.final_panel_declare(actor=evaluators[0], seat=seats[0], conflict="family")
    assert refused.value.message == final_panel.ERR_ALREADY_DECLARED
    with pytest.raises(DomainError) as refused:
        services.final_panel_declare(actor=evaluators[1], seat=seats[1], conflict="bribery")
    assert refused.value.message == final_panel.ERR_CONFLICT


def test_a_conflict_recuses_and_a_replacement_takes_the_seat(roles, evaluation, evaluators):
    seats = named(roles, evaluation, evaluators[:3])
    recused = services.final_panel_declare(
        actor=evaluators[2], seat=seats[2], conflict="employment", note="2024 年曾任该机构兼职讲师"
    )
    assert recused.state == FinalPanelSeat.State.RECUSED
    assert (recused.conflict, recused.conflict_note) == ("employment", "2024 年曾任该机构兼职讲师")
    ask = Notification.objects.get(
        recipient=roles["admin"],
        subject__contains=gettext("%(name)s recused from the final review of %(number)s; appoint a replacement").split(
            "%(number)s"
        )[-1],
    )
    assert ask.url.endswith(f"/final/{evaluation.pk}/panel/")
    with pytest.raises(DomainError) as refused:
        services.final_panel_submit(actor=evaluators[2], seat=recused, scores=sheet(30, 20, 20))
    assert refused.value.message == final_panel.ERR_RECUSED

    admin = roles["admin"]
    with pytest.raises(DomainError) as refused:  # only a recused seat is replaced
        services.final_panel_replace(actor=admin, seat=seats[0], evaluator=evaluators[3])
    assert refused.value.message == final_panel.ERR_REPLACEMENT
    with pytest.raises(DomainError) as refused:  # not someone already on the panel
        services.final_panel_replace(actor=admin, seat=recused, evaluator=evaluators[1])
    assert refused.value.message == final_panel.ERR_ALREADY_ON_PANEL % {"name": evaluators[1]}
    with pytest.raises(DomainError):  # not an auditor
        services.final_panel_replace(actor=admin, seat=recused, evaluator=roles["auditor"])
    with pytest.raises(NotPermitted):
        services.final_panel_replace(actor=evaluators[0], seat=recused, evaluator=evaluators[3])

    replacement = services.final_panel_replace(actor=admin, seat=recused, evaluator=evaluators[3])
    assert replacement.replaces == recused and replacement.state == FinalPanelSeat.State.ASSIGNED
    assert Notification.objects.filter(recipient=evaluators[3], url__endswith=f"/final/seats/{replacement.pk}/")
    with pytest.raises(DomainError) as refused:  # replaced once
        services.final_panel_replace(actor=admin, seat=recused, evaluator=evaluators[4])
    assert refused.value.message == final_panel.ERR_REPLACEMENT

    # The panel still needs three sheets: the two remaining seats and the replacement's.
    for seat, person in ((seats[0], evaluators[0]), (seats[1], evaluators[1])):
        services.final_panel_declare(actor=person, seat=seat, conflict="none")
        services.final_panel_submit(actor=person, seat=seat, scores=sheet(30, 24, 24))
    assert fresh(evaluation).panel_value is None
    services.final_panel_declare(actor=evaluators[3], seat=replacement, conflict="none")
    services.final_panel_submit(actor=evaluators[3], seat=replacement, scores=sheet(32, 22, 24))
    evaluation = fresh(evaluation)
    assert evaluation.panel_value == Decimal("30.67") + Decimal("23.33") + Decimal("24.00")
    assert evaluation.state == FinalEvaluation.State.PROPOSED


# --- the sealed sheet ------------------------------------------------------------------------------


def test_a_sheet_scores_every_criterion_within_its_maximum(roles, evaluation, evaluators):
    seat = declared(roles, evaluation, evaluators[:3])[0]
    for scores, message in (
        (sheet(41, 20, 20), final_panel.ERR_SCORE_RANGE % {"criterion": ReviewCriterion.RESULTS.label, "max": "40"}),
        (sheet(30, -1, 20), final_panel.ERR_SCORE_RANGE % {"criterion": ReviewCriterion.REPUTATION.label, "max": "30"}),
        ({"results": (Decimal(30), ""), "reputation": (Decimal(20), "")}, final_panel.ERR_SCORE_MISSING),
    ):
        with pytest.raises(DomainError) as refused:
            services.final_panel_submit(actor=evaluators[0], seat=seat, scores=scores)
        assert str(refused.value.message) == str(message)
    assert not FinalPanelScore.objects.exists()
    assert FinalPanelSeat.objects.get(pk=seat.pk).state == FinalPanelSeat.State.DECLARED

    services.final_panel_submit(actor=evaluators[0], seat=seat, scores=sheet("40", "0", "29.5"))
    assert sorted(FinalPanelScore.objects.values_list("criterion", "points", "comment")) == [
        ("management", Decimal("29.50"), "依据月度评分与走访记录"),
        ("reputation", Decimal("0.00"), "依据月度评分与走访记录"),
        ("results", Decimal("40.00"), "依据月度评分与走访记录"),
    ]


def test_a_second_submission_is_refused_and_the_first_stands(roles, evaluation, evaluators):
    seat = declared(roles, evaluation, evaluators[:3])[0]
    services.final_panel_submit(actor=evaluators[0], seat=seat, scores=sheet(30, 20, 20))
    with pytest.raises(DomainError) as refused:
        services.final_panel_submit(actor=evaluators[0], seat=seat, scores=sheet(10, 10, 10))
    assert refused.value.message == final_panel.ERR_ALREADY_SUBMITTED
    assert sorted(FinalPanelScore.objects.values_list("points", flat=True)) == [20, 20, 30]


def test_the_panel_stays_sealed_until_every_seat_has_submitted(roles, evaluation, evaluators):
    seats = declared(roles, evaluation, evaluators[:3])
    for seat, person in zip(seats[:2], evaluators[:2], strict=True):
        services.final_panel_submit(actor=person, seat=seat, scores=sheet(36, 27, 27))
    evaluation = fresh(evaluation)
    assert evaluation.panel_value is None and evaluation.state == FinalEvaluation.State.PANEL
    assert not FinalPanelScore.objects.filter(is_outlier=True).exists()
    services.final_panel_submit(actor=evaluators[2], seat=seats[2], scores=sheet(35, 26, 28))
    assert fresh(evaluation).panel_value == Decimal("35.67") + Decimal("26.67") + Decimal("27.33")


# --- outliers and compilation -----------------------------------------------------------------------


def test_an_outlier_score_needs_a_justification_before_the_panel_compiles(roles, evaluation, evaluators):
    seats = declared(roles, evaluation, evaluators[:3])
    services.final_panel_submit(actor=evaluators[0], seat=seats[0], scores=sheet(32, 24, 24))
    services.final_panel_submit(actor=evaluators[1], seat=seats[1], scores=sheet(30, 22, 23))
    # 15 is 15 points below the median of 30 on a 40-point criterion (the limit is 12): an outlier.
    services.final_panel_submit(actor=evaluators[2], seat=seats[2], scores=sheet(15, 23, 22))

    seat = FinalPanelSeat.objects.get(pk=seats[2].pk)
    assert seat.state == FinalPanelSeat.State.JUSTIFYING
    flagged = FinalPanelScore.objects.get(is_outlier=True)
    assert (flagged.seat_id, flagged.criterion) == (seat.pk, "results")
    asked = gettext("Justify your outlier scores for the final review of %(number)s") % {
        "number": evaluation.contract.number
    }
    assert Notification.objects.filter(
        recipient=evaluators[2], subject=asked, url__endswith=f"/final/seats/{seat.pk}/"
    ).exists()
    assert fresh(evaluation).panel_value is None

    with pytest.raises(DomainError) as refused:
        services.final_panel_justify(actor=evaluators[2], seat=seat, justifications={flagged.pk: "  "})
    assert refused.value.message == final_panel.ERR_JUSTIFY
    with pytest.raises(NotPermitted):
        services.final_panel_justify(actor=evaluators[0], seat=seat, justifications={flagged.pk: "理由"})
    with pytest.raises(DomainError) as refused:
        services.final_panel_justify(actor=evaluators[0], seat=seats[0], justifications={})
    assert refused.value.message == final_panel.ERR_NOT_JUSTIFYING

    services.final_panel_justify(
        actor=evaluators[2], seat=seat, justifications={flagged.pk: "三次走访中两次活动未按计划开展"}
    )
    flagged.refresh_from_db()
    assert flagged.justification == "三次走访中两次活动未按计划开展" and flagged.points == 15
    evaluation = fresh(evaluation)
    # The outlier still counts, as in the recruitment panel: mean of 32, 30, 15 and so on.
    assert evaluation.panel_value == Decimal("25.67") + Decimal("23.00") + Decimal("23.00")
    assert evaluation.state == FinalEvaluation.State.PROPOSED
    assert AuditEvent.objects.filter(action="final_panel.outliers_flagged").count() == 1
    assert AuditEvent.objects.filter(action="final_panel.compiled").count() == 1


def test_from_five_evaluators_the_highest_and_lowest_are_dropped(roles, evaluation, evaluators):
    seats = declared(roles, evaluation, evaluators)
    for seat, person, points in zip(seats, evaluators, ("40", "34", "33", "32", "31"), strict=True):
        services.final_panel_submit(actor=person, seat=seat, scores=sheet(points, 25, 25))
    evaluation = fresh(evaluation)
    # results: 34, 33, 32 → 33.00; reputation and management 25 each.
    assert evaluation.panel_value == Decimal("83.00")


def test_every_change_is_audited_and_moves_the_workflow(roles, evaluation, evaluators):
    sent = []

    def listen(sender, evaluation, **kwargs):
        sent.append((evaluation.pk, evaluation.state))

    final_changed.connect(listen)
    try:
        seats = named(roles, evaluation, evaluators[:3])
        for seat, person in zip(seats, evaluators, strict=False):
            services.final_panel_declare(actor=person, seat=seat, conflict="none")
            services.final_panel_submit(actor=person, seat=seat, scores=sheet(30, 20, 20))
    finally:
        final_changed.disconnect(listen)
    assert len([s for s in sent if s[0] == evaluation.pk]) >= 7
    assert sent[-1] == (evaluation.pk, FinalEvaluation.State.PROPOSED)
    actions = list(AuditEvent.objects.filter(action__startswith="final_panel.").values_list("action", flat=True))
    assert actions.count("final_panel.declared") == 3 and actions.count("final_panel.submitted") == 3


def test_nothing_changes_once_the_panel_review_is_over(roles, evaluation, evaluators):
    seats = declared(roles, evaluation, evaluators[:4])
    for seat, person in zip(seats[:3], evaluators, strict=False):
        services.final_panel_submit(actor=person, seat=seat, scores=sheet(30, 20, 20))
    # Three of four in: not compiled yet; compile by the fourth, then the panel is closed.
    services.final_panel_submit(actor=evaluators[3], seat=seats[3], scores=sheet(30, 20, 20))
    assert fresh(evaluation).state == FinalEvaluation.State.PROPOSED
    with pytest.raises(DomainError) as refused:
        services.final_panel_justify(actor=evaluators[0], seat=seats[0], justifications={})
    assert refused.value.message == final_panel.ERR_NOT_PANEL


# --- the shared arithmetic ------------------------------------------------------------------------

points = st.decimals(min_value=0, max_value=40, places=2)


@settings(max_examples=200, deadline=None)
@given(st.lists(points, min_size=1, max_size=7), st.lists(points, min_size=1, max_size=7))
def test_flag_outliers_judges_each_cell_against_its_own_median(first, second):
    sheet_ = {(seat, "a"): value for seat, value in enumerate(first)}
    sheet_ |= {(seat, "b"): value for seat, value in enumerate(second)}
    flagged = scoring.flag_outliers(sheet_, {"a": Decimal(40), "b": Decimal(40)})
    for cell, values in (("a", first), ("b", second)):
        expected = scoring.outliers(dict(enumerate(values)), Decimal(40))
        assert {seat for seat, c in flagged if c == cell} == expected
        if len(values) < 3:
            assert not expected


# --- the pages ------------------------------------------------------------------------------------


@pytest.fixture
def client_for(client_for):
    """Clients that read the pages in English, the msgids' language."""

    def make(user=None):
        client = client_for(user)
        client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
        return client

    return make


def page(client, seat) -> str:
    response = client.get(reverse("evaluations:final_seat", args=[seat.pk]))
    assert response.status_code == 200
    return response.content.decode()


def post_sheet(client, seat, results="30", reputation="22", management="23"):
    return client.post(
        reverse("evaluations:final_seat", args=[seat.pk]),
        {
            "step": "score",
            "points_results": results,
            "points_reputation": reputation,
            "points_management": management,
            "comment_results": "完成合同约定培训",
            "comment_reputation": "反馈良好",
            "comment_management": "台账齐全",
        },
    )


def test_the_seat_declares_before_it_shows_anything_of_the_term(roles, evaluation, evaluators, client_for):
    seat = named(roles, evaluation, evaluators[:3])[0]
    client = client_for(evaluators[0])
    body = page(client, seat)
    provider = evaluation.contract.provider
    assert "Declaration of conflicts of interest" in body and provider.name in body
    history = reverse("evaluations:provider_history", args=[provider.pk])
    for hidden in ("Mean monthly score", "KPI completion", history, "Score sheet"):
        assert hidden not in body

    response = client.post(reverse("evaluations:final_seat", args=[seat.pk]), {"step": "declare", "conflict": "none"})
    assert response.status_code == 302
    body = page(client, seat)
    for shown in (
        "Mean monthly score",
        "KPI completion against the full-term targets",
        history,
        "Score sheet",
        "Service results against the contract",
        "(0–40)",
        "(0–30)",
    ):
        assert shown in body


def test_the_sheet_on_the_page_is_checked_by_the_service_and_submitted_once(roles, evaluation, evaluators, client_for):
    seat = declared(roles, evaluation, evaluators[:3])[0]
    client = client_for(evaluators[0])
    response = post_sheet(client, seat, results="45")
    assert response.status_code == 200
    assert "Service results against the contract: points must be between 0 and 40." in response.content.decode()
    assert not FinalPanelScore.objects.exists()

    assert post_sheet(client, seat).status_code == 302
    response = post_sheet(client, seat, results="10")  # the same sheet posted again from the old page
    assert response.status_code == 302
    body = client.get(response["Location"]).content.decode()
    assert "Your scores are already submitted." in body
    assert "Your scores are submitted. They stay sealed" in body
    assert sorted(FinalPanelScore.objects.values_list("points", flat=True)) == [22, 23, 30]


def test_no_one_sees_another_evaluators_points_before_the_panel_compiles(roles, evaluation, evaluators, client_for):
    seats = declared(roles, evaluation, evaluators[:3])
    clients = [client_for(e) for e in evaluators[:3]]
    admin, auditor = client_for(roles["admin"]), client_for(roles["auditor"])
    panel = reverse("evaluations:final_panel_assign", args=[evaluation.pk])
    post_sheet(clients[0], seats[0], "37.50", "21.25", "23.75")
    post_sheet(clients[1], seats[1], "31.50", "24.25", "26.75")
    # The first two sheets are in: neither the others nor the palace see the points.
    for body in (
        page(clients[1], seats[1]),
        page(clients[2], seats[2]),
        admin.get(panel).content.decode(),
        auditor.get(panel).content.decode(),
    ):
        assert "37.50" not in body and "21.25" not in body
    assert "24.25" not in page(clients[0], seats[0])
    for body in (admin.get(panel).content.decode(), auditor.get(panel).content.decode()):
        assert "台账齐全" not in body  # the comments are sealed with the points
    body = admin.get(panel).content.decode()
    assert "2 of 3 evaluators have submitted." in body and "Scores submitted" in body

    post_sheet(clients[2], seats[2], "35.00", "25.00", "25.00")
    evaluation = fresh(evaluation)
    assert evaluation.panel_value == Decimal("34.67") + Decimal("23.50") + Decimal("25.17")
    for body in (page(clients[0], seats[0]), admin.get(panel).content.decode()):
        assert "37.50" in body and "24.25" in body and "83.34" in body
        # Once compiled, each evaluator's comment is read beside their points.
        assert "完成合同约定培训" in body and "台账齐全" in body


def test_the_panel_page_names_the_panel_for_the_administrator_only(roles, evaluation, evaluators, foshan, client_for):
    outsider = staff(foshan, Role.EVALUATOR, "t-fs-eval")
    panel = reverse("evaluations:final_panel_assign", args=[evaluation.pk])
    body = client_for(roles["admin"]).get(panel).content.decode()
    assert "Name the panel" in body and "Choose at least 3." in body
    assert evaluators[0].get_username() in body or str(evaluators[0]) in body
    assert str(outsider) not in body and str(roles["auditor"]) not in body
    body = client_for(roles["auditor"]).get(panel).content.decode()
    assert 'name="evaluators"' not in body and "has not been named yet" in body
    assert client_for(roles["auditor"]).post(panel, {"evaluators": [e.pk for e in evaluators[:3]]}).status_code == 403
    assert client_for(evaluators[0]).get(panel).status_code == 403

    admin = client_for(roles["admin"])
    response = admin.post(panel, {"evaluators": [e.pk for e in evaluators[:2]]})
    assert response.status_code == 200 and "Choose at least 3 different evaluators." in response.content.decode()
    assert not evaluation.panel.exists()
    response = admin.post(panel, {"evaluators": [e.pk for e in evaluators[:3]]})
    assert response.status_code == 302
    body = admin.get(panel).content.decode()
    assert "0 of 3 evaluators have submitted." in body and 'name="evaluators"' not in body


def test_a_recused_evaluator_is_replaced_from_the_panel_page(roles, evaluation, evaluators, client_for):
    seats = named(roles, evaluation, evaluators[:3])
    client = client_for(evaluators[2])
    response = client.post(
        reverse("evaluations:final_seat", args=[seats[2].pk]),
        {"step": "declare", "conflict": "other", "note": "与该机构负责人为同学"},
    )
    assert response.status_code == 302
    assert "recused from this panel" in page(client, seats[2])
    panel = reverse("evaluations:final_panel_assign", args=[evaluation.pk])
    admin = client_for(roles["admin"])
    body = admin.get(panel).content.decode()
    assert "recused: appoint a replacement" in body and "与该机构负责人为同学" in body
    replace = reverse("evaluations:final_panel_replace", args=[seats[2].pk])
    assert (
        client_for(roles["auditor"]).post(replace, {f"seat{seats[2].pk}-evaluator": evaluators[3].pk}).status_code
        == 403
    )
    response = admin.post(replace, {f"seat{seats[2].pk}-evaluator": evaluators[3].pk})
    assert response.status_code == 302
    replacement = FinalPanelSeat.objects.get(replaces=seats[2])
    assert replacement.evaluator == evaluators[3]
    body = admin.get(panel).content.decode()
    assert "appoint a replacement" not in body and "replaces" in body
