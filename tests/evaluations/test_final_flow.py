"""The final evaluation workflow (evaluations/flows_final.py) followed end to end through the inboxes.

The evaluation opens → the palace's administrators find "Name the final panel review" →
an administrator names the panel on its page → each evaluator finds "Declare conflicts
and score the term" → one recuses and the administrator appoints a replacement → the
sheets come in, one with an outlier to justify → the rating is proposed and the appeal
window waits → the provider appeals → the administrators decide it, sign off, and a
second administrator confirms the 差 → the process ends, each task in the archive of
whoever did it.
"""

from datetime import date, datetime, timedelta

import pytest
import time_machine
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from viewflow.workflow.models import Task
from viewflow.workflow.status import PROCESS, STATUS

from core.models import Role
from evaluations import services
from evaluations.final.flows import FinalEvaluationFlow, final_process
from evaluations.final.services.evaluation import final_evaluation_open
from evaluations.models import FinalEvaluation, FinalPanelScore, FinalPanelSeat
from tests.contract_builders import active_contract
from tests.factories import staff

pytestmark = pytest.mark.django_db


def at(y, m, d, h=10):
    return timezone.make_aware(datetime(y, m, d, h))


@pytest.fixture(autouse=True)
def _long_sessions(settings):
    # The tests travel in time; a session saved in December must still hold weeks later.
    settings.SESSION_COOKIE_AGE = 365 * 24 * 3600


@pytest.fixture
def client_for(client_for):
    """Clients that read the pages in English, the msgids' language."""

    def make(user=None):
        client = client_for(user)
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        return client

    return make


@pytest.fixture
def evaluation(roles, wenshang) -> FinalEvaluation:
    contract = active_contract(
        palace=wenshang,
        provider=roles["provider_a"].provider,
        provider_user=roles["provider_a"],
        admin=roles["admin"],
        starts_on=date(2026, 1, 1),
    )
    return final_evaluation_open(contract=contract, now=at(2026, 12, 1, 2))


@pytest.fixture
def people(roles, wenshang):
    return {
        "eval2": staff(wenshang, Role.EVALUATOR, "t-ws-eval2"),
        "eval3": staff(wenshang, Role.EVALUATOR, "t-ws-eval3"),
        "eval4": staff(wenshang, Role.EVALUATOR, "t-ws-eval4"),
        "admin2": staff(wenshang, Role.ADMIN, "t-ws-admin2"),
    }


def inbox(client) -> str:
    response = client.get(reverse("finalevaluation:inbox"))
    assert response.status_code == 200
    return response.content.decode()


def archive(client) -> str:
    response = client.get(reverse("finalevaluation:archive"))
    assert response.status_code == 200
    return response.content.decode()


def tasks(evaluation, node, *statuses):
    return Task.objects.filter(
        process=final_process(evaluation),
        flow_task=getattr(FinalEvaluationFlow, node),
        status__in=statuses or [STATUS.NEW, STATUS.ASSIGNED, STATUS.STARTED],
    )


def execute(client, task):
    return client.get(reverse(f"finalevaluation:{task.flow_task.name}:execute", args=[task.process_id, task.pk]))


def score(client, seat, results, reputation="22", management="23"):
    return client.post(
        reverse("evaluations:final_seat", args=[seat.pk]),
        {
            "step": "score",
            "points_results": results,
            "points_reputation": reputation,
            "points_management": management,
            "comment_results": "按合同完成主要培训任务",
            "comment_reputation": "职工反馈一般",
            "comment_management": "台账基本齐全",
        },
    )


def declare(client, seat, conflict="none", note=""):
    return client.post(
        reverse("evaluations:final_seat", args=[seat.pk]), {"step": "declare", "conflict": conflict, "note": note}
    )


def test_a_final_evaluation_goes_through_the_inboxes_to_a_confirmed_rating(roles, people, evaluation, client_for):
    admin, admin2 = client_for(roles["admin"]), client_for(people["admin2"])
    ev1, ev2, ev3, ev4 = (
        client_for(u) for u in (roles["evaluator"], people["eval2"], people["eval3"], people["eval4"])
    )
    number = evaluation.contract.number
    process = final_process(evaluation)
    assert process is not None and process.artifact == evaluation

    # The evaluation opened: every administrator of the palace has the task to name the panel; nobody else.
    task = tasks(evaluation, "name_panel").get()
    assert task.status == STATUS.NEW and task.owner is None
    assert "Name the final panel review" in inbox(admin) and number in inbox(admin2)
    for client in (ev1, client_for(roles["auditor"]), client_for(roles["other_admin"])):
        assert number not in inbox(client)
    assert client_for(roles["provider_a"]).get(reverse("finalevaluation:inbox")).status_code == 403
    response = execute(admin, task)
    assert response.status_code == 302 and response["Location"] == reverse(
        "evaluations:final_panel_assign", args=[evaluation.pk]
    )
    assert execute(ev1, task).status_code == 403

    # The administrator names the panel on its page: the task is theirs, done; each evaluator has a seat task.
    response = admin.post(
        reverse("evaluations:final_panel_assign", args=[evaluation.pk]),
        {"evaluators": [roles["evaluator"].pk, people["eval2"].pk, people["eval3"].pk]},
    )
    assert response.status_code == 302
    assert tasks(evaluation, "name_panel", STATUS.DONE).get().owner == roles["admin"]
    assert number in archive(admin) and number not in inbox(admin2)
    seat1, seat2, seat3 = FinalPanelSeat.objects.filter(evaluation=evaluation).order_by("pk")
    seat_tasks = {t.data["seat"]: t for t in tasks(evaluation, "seat")}
    assert set(seat_tasks) == {seat1.pk, seat2.pk, seat3.pk}
    for seat, client in ((seat1, ev1), (seat2, ev2), (seat3, ev3)):
        assert seat_tasks[seat.pk].owner == seat.evaluator and seat_tasks[seat.pk].status == STATUS.ASSIGNED
        assert "Declare conflicts and score the term" in inbox(client)
        response = execute(client, seat_tasks[seat.pk])
        assert response["Location"] == reverse("evaluations:final_seat", args=[seat.pk])
    assert execute(ev2, seat_tasks[seat1.pk]).status_code == 403
    assert execute(admin, seat_tasks[seat1.pk]).status_code == 403

    # The third evaluator recuses: their task ends, the seat waits for a replacement.
    assert declare(ev3, seat3, "family", "配偶在该机构任职").status_code == 302
    assert tasks(evaluation, "seat", STATUS.DONE).get().data == {"seat": seat3.pk}
    assert tasks(evaluation, "replacement").get().data == {"seat": seat3.pk}
    assert number not in inbox(ev3) and number in archive(ev3)
    response = admin.post(
        reverse("evaluations:final_panel_replace", args=[seat3.pk]), {f"seat{seat3.pk}-evaluator": people["eval4"].pk}
    )
    assert response.status_code == 302
    seat4 = FinalPanelSeat.objects.get(replaces=seat3)
    assert tasks(evaluation, "replacement", STATUS.DONE).exists()
    assert tasks(evaluation, "seat").filter(owner=people["eval4"]).get().data == {"seat": seat4.pk}
    assert "Declare conflicts and score the term" in inbox(ev4)

    # The sheets come in; the last one has an outlier (12 on results, against a median of 30).
    for seat, client, results in ((seat1, ev1, "30"), (seat2, ev2, "31"), (seat4, ev4, "12")):
        assert declare(client, seat).status_code == 302
        assert score(client, seat, results).status_code == 302
    assert not tasks(evaluation, "seat").exists()
    justify = tasks(evaluation, "justify").get()
    assert justify.owner == people["eval4"] and "Justify outlier scores" in inbox(ev4)
    assert number not in inbox(ev1)
    outlier = FinalPanelScore.objects.get(is_outlier=True)
    response = ev4.post(
        reverse("evaluations:final_seat", args=[seat4.pk]),
        {"step": "justify", f"why_{outlier.pk}": "全年仅完成计划课时的一半"},
    )
    assert response.status_code == 302

    # Compiled and proposed: the process waits for the appeal window, with no task in anyone's inbox.
    evaluation.refresh_from_db()
    assert evaluation.state == FinalEvaluation.State.PROPOSED and evaluation.panel_value is not None
    assert tasks(evaluation, "compiled", STATUS.DONE).exists()
    assert tasks(evaluation, "appeal_window").get().status == STATUS.NEW
    for client in (admin, admin2, ev1, ev4):
        assert number not in inbox(client)

    # The provider appeals: the administrators decide it.
    with time_machine.travel(evaluation.proposed_at, tick=False):
        appeal = services.appeal_lodge(
            actor=roles["provider_a"], evaluation=evaluation, grounds="第三季度培训记录未被计入"
        )
    assert tasks(evaluation, "appeal_window", STATUS.DONE).exists()
    decide = tasks(evaluation, "decide_appeal").get()
    assert "Decide the appeal" in inbox(admin) and "Decide the appeal" in inbox(admin2)
    assert execute(admin, decide)["Location"] == reverse("evaluations:final_detail", args=[evaluation.pk])
    services.appeal_decide(
        actor=roles["admin"], appeal=appeal, decision="adjusted", reason="核实后调整", adjusted_total="55.00"
    )
    assert tasks(evaluation, "decide_appeal", STATUS.DONE).get().owner == roles["admin"]

    # Sign-off of a 差 by one administrator; the confirmation is the other's, not the signer's.
    sign = tasks(evaluation, "sign_off").get()
    assert "Sign off the final rating" in inbox(admin2)
    services.final_sign_off(actor=people["admin2"], evaluation=evaluation)
    assert tasks(evaluation, "sign_off", STATUS.DONE).get().owner == people["admin2"]
    confirm = tasks(evaluation, "confirm").get()
    assert "Confirm the 差 rating" in inbox(admin)
    assert "Confirm the 差 rating" not in inbox(admin2)  # listed to the pool, but not theirs to do
    assert execute(admin2, confirm).status_code == 403
    assert execute(admin, confirm).status_code == 302
    assert sign.pk != confirm.pk
    services.final_confirm(actor=roles["admin"], evaluation=evaluation)

    process.refresh_from_db()
    assert process.status == PROCESS.DONE
    assert tasks(evaluation, "confirm", STATUS.DONE).get().owner == roles["admin"]
    assert not Task.objects.filter(process=process, status__in=[STATUS.NEW, STATUS.ASSIGNED]).exists()
    assert "Confirm the 差 rating" in archive(admin)


def propose(roles, people, evaluation) -> FinalEvaluation:
    """A panel of three scores the term; with no monthly records the term is rated 差."""
    seats = services.final_panel_assign(
        actor=roles["admin"], evaluation=evaluation, evaluators=[roles["evaluator"], people["eval2"], people["eval3"]]
    )
    with time_machine.travel(at(2026, 12, 2), tick=False):
        for seat in seats:
            services.final_panel_declare(actor=seat.evaluator, seat=seat, conflict="none")
            services.final_panel_submit(
                actor=seat.evaluator,
                seat=seat,
                scores={"results": ("38", ""), "reputation": ("28", ""), "management": ("28", "")},
            )
    evaluation.refresh_from_db()
    assert evaluation.state == FinalEvaluation.State.PROPOSED and evaluation.proposed_rating == "poor"
    return evaluation


def test_without_an_appeal_the_window_closing_asks_for_the_sign_off(roles, people, evaluation):
    evaluation = propose(roles, people, evaluation)
    assert tasks(evaluation, "appeal_window").exists() and not tasks(evaluation, "sign_off").exists()

    # The tick closes the window the day after its deadline: sign-off, with no appeal to decide.
    deadline = evaluation.appeal_deadline
    services.appeal_windows_close(at(deadline.year, deadline.month, deadline.day) + timedelta(days=1))
    assert tasks(evaluation, "appeal_window", STATUS.DONE).exists()
    assert not Task.objects.filter(flow_task=FinalEvaluationFlow.decide_appeal).exists()
    services.final_sign_off(actor=roles["admin"], evaluation=evaluation)
    assert tasks(evaluation, "confirm").get().status == STATUS.NEW
    services.final_confirm(actor=people["admin2"], evaluation=evaluation)
    assert final_process(evaluation).status == PROCESS.DONE


def test_a_rating_above_poor_is_final_at_sign_off_without_a_confirmation(roles, people, evaluation):
    evaluation = propose(roles, people, evaluation)
    with time_machine.travel(evaluation.proposed_at, tick=False):
        appeal = services.appeal_lodge(
            actor=roles["provider_a"], evaluation=evaluation, grounds="全年台账已补交，见附件"
        )
    services.appeal_decide(
        actor=roles["admin"], appeal=appeal, decision="adjusted", reason="补交台账核实无误", adjusted_total="85.00"
    )
    services.final_sign_off(actor=roles["admin"], evaluation=evaluation)
    assert final_process(evaluation).status == PROCESS.DONE
    assert tasks(evaluation, "sign_off", STATUS.DONE).get().owner == roles["admin"]
    assert not Task.objects.filter(flow_task=FinalEvaluationFlow.confirm).exists()
