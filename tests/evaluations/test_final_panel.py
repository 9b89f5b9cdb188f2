"""The final panel review's services (evaluations/services/final_panel.py).

Three or more evaluators of the palace, each declaring a conflict with the provider or
none, a sealed sheet each, outliers justified, and ``panel_value`` = Σ criterion means,
after which the evaluation is proposed. The steps shared with the recruitment panel
(procurement/services/panels.py) are exercised here through the final panel's services.
"""

from datetime import date, datetime
from decimal import Decimal

import pytest
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from core.errors import DomainError, NotPermitted
from core.models import AuditEvent, Notification, Role
from evaluations import services
from evaluations.models import FinalEvaluation, FinalPanelScore, FinalPanelSeat
from evaluations.services import final_panel
from evaluations.services.final import final_evaluation_open
from evaluations.services.final_events import final_changed
from procurement import scoring
from tests.contract_builders import active_contract
from tests.factories import staff

pytestmark = pytest.mark.django_db

OPENED = timezone.make_aware(datetime(2026, 12, 1, 9))


def sheet(results, reputation, management, comment="依据月度评分与走访记录") -> dict:
    return {"results": (Decimal(results), comment), "reputation": (Decimal(reputation), comment),
            "management": (Decimal(management), comment)}


@pytest.fixture
def evaluation(roles, wenshang) -> FinalEvaluation:
    contract = active_contract(palace=wenshang, provider=roles["provider_a"].provider,
                               provider_user=roles["provider_a"], admin=roles["admin"], starts_on=date(2026, 1, 1))
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
    recused = services.final_panel_declare(actor=evaluators[2], seat=seats[2], conflict="employment",
                                           note="2024 年曾任该机构兼职讲师")
    assert recused.state == FinalPanelSeat.State.RECUSED
    assert (recused.conflict, recused.conflict_note) == ("employment", "2024 年曾任该机构兼职讲师")
    ask = Notification.objects.get(recipient=roles["admin"], subject__contains="appoint a replacement")
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
            (sheet(41, 20, 20), final_panel.ERR_SCORE_RANGE % {"criterion": "Service results against the contract",
                                                               "max": "40"}),
            (sheet(30, -1, 20), final_panel.ERR_SCORE_RANGE % {
                "criterion": "Workers' reputation and participation", "max": "30"}),
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
        ("results", Decimal("40.00"), "依据月度评分与走访记录")]


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
    assert Notification.objects.filter(recipient=evaluators[2], subject__contains="Justify your outlier scores",
                                       url__endswith=f"/final/seats/{seat.pk}/").exists()
    assert fresh(evaluation).panel_value is None

    with pytest.raises(DomainError) as refused:
        services.final_panel_justify(actor=evaluators[2], seat=seat, justifications={flagged.pk: "  "})
    assert refused.value.message == final_panel.ERR_JUSTIFY
    with pytest.raises(NotPermitted):
        services.final_panel_justify(actor=evaluators[0], seat=seat, justifications={flagged.pk: "理由"})
    with pytest.raises(DomainError) as refused:
        services.final_panel_justify(actor=evaluators[0], seat=seats[0], justifications={})
    assert refused.value.message == final_panel.ERR_NOT_JUSTIFYING

    services.final_panel_justify(actor=evaluators[2], seat=seat,
                                 justifications={flagged.pk: "三次走访中两次活动未按计划开展"})
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
