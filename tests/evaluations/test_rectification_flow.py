"""The rectification workflow (evaluations/flows.py) followed end to end through the inboxes.

An order is issued → the provider's users find "Answer the rectification order" in their
inbox → they answer on the order's page → the re-inspector finds "Re-inspect" in theirs →
the order fails → a second order's deadline passes unanswered → the palace's
administrators find "Decide on early termination" in theirs → the decision ends the
process, and each task sits in the archive of whoever did it.
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
from evaluations.models import RectificationOrder, TerminationReview
from evaluations.rectification.flows import RectificationFlow, order_process
from tests.contract_builders import active_contract
from tests.factories import evidence_for, provider_user, staff

pytestmark = pytest.mark.django_db


def at(y, m, d, h=10):
    return timezone.make_aware(datetime(y, m, d, h))


@pytest.fixture(autouse=True)
def _long_sessions(settings):
    # The tests travel in time; a session saved in March must still hold in November.
    settings.SESSION_COOKIE_AGE = 3 * 365 * 24 * 3600


@pytest.fixture
def client_for(client_for):
    """Clients that read the pages in English, the msgids' language."""

    def make(user=None):
        client = client_for(user)
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        return client

    return make


@pytest.fixture
def contract(roles, wenshang):
    return active_contract(
        palace=wenshang,
        provider=roles["provider_a"].provider,
        provider_user=roles["provider_a"],
        admin=roles["admin"],
        starts_on=date(2026, 1, 1),
    )


def red_line(actor, contract, day: date, text: str) -> RectificationOrder:
    line = services.red_line_record(
        actor=actor,
        contract=contract,
        category="charging",
        occurred_on=day,
        description=text,
        now=at(day.year, day.month, day.day, 15),
    )
    return RectificationOrder.objects.get(red_line=line)


def inbox(client) -> str:
    response = client.get(reverse("rectification:inbox"))
    assert response.status_code == 200
    return response.content.decode()


def archive(client) -> str:
    response = client.get(reverse("rectification:archive"))
    assert response.status_code == 200
    return response.content.decode()


def tasks(order, node, *statuses):
    return Task.objects.filter(
        process=order_process(order),
        flow_task=getattr(RectificationFlow, node),
        status__in=statuses or [STATUS.NEW, STATUS.ASSIGNED],
    )


def test_an_order_goes_through_the_inboxes_to_the_termination_decision(roles, contract, client_for):
    provider, colleague = (
        client_for(roles["provider_a"]),
        client_for(provider_user(roles["provider_a"].provider, "t-prov-a2")),
    )
    evaluator, admin = client_for(roles["evaluator"]), client_for(roles["admin"])
    other_provider = client_for(roles["provider_b"])

    # March: the evaluator records a red line; an order is issued and its process starts.
    with time_machine.travel(at(2026, 3, 10), tick=False):
        first = red_line(roles["evaluator"], contract, date(2026, 3, 9), "向参训职工收取资料费每人 50 元")
        process = order_process(first)
        assert process is not None and process.artifact == first
        # Every user of the provider finds the task; nobody else does.
        assert "Answer the rectification order" in inbox(provider)
        assert first.number in inbox(colleague)
        for client in (other_provider, evaluator, admin):
            assert first.number not in inbox(client)
        task = tasks(first, "respond").get()
        assert task.status == STATUS.NEW and task.owner is None

        # The task's link takes the provider to the order's page, where the form is.
        execute = reverse("rectification:respond:execute", args=[process.pk, task.pk])
        response = provider.get(execute)
        assert response.status_code == 302 and response["Location"].endswith(
            reverse("evaluations:order", args=[first.pk]) + "#respond"
        )
        assert other_provider.get(execute).status_code == 403
        index = provider.get(reverse("rectification:respond:index", args=[process.pk, task.pk]))
        assert index["Location"] == execute

        # The colleague answers on the order's page: the task is theirs, done; the re-inspector has one.
        finding = first.findings.get()
        response = colleague.post(
            reverse("evaluations:order_respond", args=[first.pk]),
            {
                f"response_{finding.pk}": "已全额退还资料费并公示收费说明",
                f"evidence_{finding.pk}": evidence_for(first)[finding.pk],
            },
        )
        assert response.status_code == 302
    done = tasks(first, "respond", STATUS.DONE).get()
    assert done.owner.username == "t-prov-a2"
    assert first.number in archive(colleague) and first.number not in inbox(provider)
    reinspect = tasks(first, "reinspect").get()
    assert reinspect.status == STATUS.ASSIGNED and reinspect.owner == roles["evaluator"]
    assert "Re-inspect the rectification" in inbox(evaluator)

    # The evaluator finds it not resolved: the order fails, the first of the term; the process ends.
    with time_machine.travel(at(2026, 3, 16), tick=False):
        response = evaluator.post(
            reverse("evaluations:order_reinspect", args=[first.pk]),
            {f"outcome_{finding.pk}": "not_resolved", f"note_{finding.pk}": "公示未张贴"},
        )
    assert response.status_code == 302
    first.refresh_from_db()
    assert first.state == RectificationOrder.State.FAILED
    process.refresh_from_db()
    assert process.status == PROCESS.DONE
    assert first.number not in inbox(evaluator) and first.number in archive(evaluator)
    assert not Task.objects.filter(process=process, flow_task=RectificationFlow.decide).exists()

    # April: the administrator records a red line; nobody answers by the deadline.
    with time_machine.travel(at(2026, 4, 8), tick=False):
        second = red_line(roles["admin"], contract, date(2026, 4, 8), "活动现场安全通道堵塞")
    assert second.number in inbox(provider)
    assert (
        services.orders_fail_overdue(
            timezone.make_aware(datetime.combine(second.deadline + timedelta(days=1), datetime.min.time()))
        )
        == 1
    )
    second.refresh_from_db()
    assert second.state == RectificationOrder.State.FAILED and second.failed_on_deadline
    # The answer task ended unanswered; re-inspection was skipped; the administrators decide.
    assert second.number not in inbox(provider)
    unanswered = tasks(second, "respond", STATUS.DONE).get()
    assert unanswered.owner is None
    assert not tasks(second, "reinspect", STATUS.NEW, STATUS.ASSIGNED, STATUS.DONE).exists()
    review = TerminationReview.objects.get()
    decide = tasks(second, "decide").get()
    assert decide.data == {"review": review.pk} and decide.artifact == review
    other_admin = client_for(staff(contract.palace, Role.ADMIN, "t-ws-admin2"))
    for client in (admin, other_admin):
        assert "Decide on early termination" in inbox(client)
    for client in (evaluator, provider, client_for(roles["other_admin"])):
        assert "Decide on early termination" not in inbox(client)
    response = admin.get(reverse("rectification:decide:execute", args=[decide.process_id, decide.pk]))
    assert response["Location"] == reverse("evaluations:termination_review", args=[review.pk])
    assert (
        evaluator.get(reverse("rectification:decide:execute", args=[decide.process_id, decide.pk])).status_code == 403
    )

    # The second administrator decides on the review's page: the task is theirs, the process ends.
    response = other_admin.post(
        reverse("evaluations:termination_review", args=[review.pk]),
        {"decision": "continue", "reason": "已约谈机构负责人，给予最后一次整改机会。"},
    )
    assert response.status_code == 302
    decide.refresh_from_db()
    assert decide.status == STATUS.DONE and decide.owner.username == "t-ws-admin2"
    assert order_process(second).status == PROCESS.DONE
    assert "Decide on early termination" not in inbox(admin)
    assert "Decide on early termination" in archive(other_admin)


def test_an_order_without_a_named_re_inspector_is_in_every_palace_evaluators_inbox(roles, contract, client_for):
    second_evaluator = staff(contract.palace, Role.EVALUATOR, "t-ws-eval2")
    with time_machine.travel(at(2026, 5, 6), tick=False):
        order = red_line(roles["admin"], contract, date(2026, 5, 6), "培训师资未到岗")
        assert order.reinspector is None
        services.order_respond(
            actor=roles["provider_a"],
            order=order,
            evidence=evidence_for(order),
            responses={f.pk: "已更换授课教师" for f in order.findings.all()},
        )
    pooled = tasks(order, "reinspect").get()
    assert pooled.status == STATUS.NEW and pooled.owner is None
    for user in (roles["evaluator"], second_evaluator):
        assert order.number in inbox(client_for(user))
    assert order.number not in inbox(client_for(roles["admin"]))
    # The second evaluator re-inspects (through the service here): the task becomes theirs.
    with time_machine.travel(at(2026, 5, 12), tick=False):
        services.order_reinspect(
            actor=second_evaluator, order=order, outcomes={f.pk: ("resolved", "") for f in order.findings.all()}
        )
    pooled.refresh_from_db()
    assert pooled.status == STATUS.DONE and pooled.owner == second_evaluator
    assert order_process(order).status == PROCESS.DONE
    assert order.number not in inbox(client_for(roles["evaluator"]))


def test_a_done_task_page_forwards_to_the_order_which_says_what_became_of_it(roles, contract, client_for):
    with time_machine.travel(at(2026, 6, 3), tick=False):
        order = red_line(roles["evaluator"], contract, date(2026, 6, 2), "签到表代签")
        task = tasks(order, "respond").get()
        services.order_respond(
            actor=roles["provider_a"],
            order=order,
            evidence=evidence_for(order),
            responses={f.pk: "已重新组织签到并留存影像" for f in order.findings.all()},
        )
        client = client_for(roles["provider_a"])
        page = client.get(reverse("rectification:respond:execute", args=[task.process_id, task.pk]), follow=True)
    assert page.status_code == 200
    body = page.content.decode()
    assert "You answered on 2026-06-03" in body and "Send the rectification report" not in body
