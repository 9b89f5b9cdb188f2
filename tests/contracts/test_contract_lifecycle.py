"""The contract's later lifecycle, through contracts' own services (DOMAIN.md §2):
active ⇄ under rectification → in final evaluation → completed | terminated.

Evaluations decides when; these services fire the transitions, each audited on the contract,
and a transition that is no longer possible is refused in words, with nothing written.
"""

from datetime import datetime

import pytest
from django.utils import timezone, translation

from contracts import services
from contracts.models import Contract
from core.errors import DomainError
from core.models import AuditEvent
from tests.contract_builders import active_contract

pytestmark = pytest.mark.django_db


@pytest.fixture
def contract(roles, wenshang):
    return active_contract(palace=wenshang, provider=roles["provider_a"].provider, provider_user=roles["provider_a"])


def events(contract: Contract) -> list[str]:
    return list(
        AuditEvent.objects.filter(object_id=str(contract.pk), action__startswith="contract.")
        .order_by("seq")
        .values_list("action", flat=True)
    )


def test_a_term_with_a_rectification_then_completed_is_audited_step_by_step(roles, contract):
    admin = roles["admin"]
    services.contract_open_rectification(actor=None, contract=contract)
    assert contract.state == Contract.State.RECTIFICATION  # the caller's instance follows
    services.contract_close_rectification(actor=None, contract=contract)
    services.contract_begin_final(actor=admin, contract=contract)
    ended = timezone.make_aware(datetime(2027, 1, 2, 0, 5))
    services.contract_complete(
        actor=None, contract=contract, reason="任期届满", now=ended, cause={"rating": "good", "retender": None}
    )

    contract.refresh_from_db()
    assert (contract.state, contract.ended_at, contract.end_reason) == (Contract.State.COMPLETED, ended, "任期届满")
    assert events(contract)[-4:] == [
        "contract.rectification_opened",
        "contract.rectification_closed",
        "contract.final_evaluation_begun",
        "contract.completed",
    ]
    completed = AuditEvent.objects.get(action="contract.completed", object_id=str(contract.pk))
    assert completed.before == {"state": Contract.State.FINAL_EVALUATION}
    assert completed.after["state"] == Contract.State.COMPLETED and completed.after["rating"] == "good"
    begun = AuditEvent.objects.get(action="contract.final_evaluation_begun", object_id=str(contract.pk))
    assert begun.actor == admin and begun.before == {"state": Contract.State.ACTIVE}


def test_a_termination_records_the_reason_and_when(roles, contract):
    ended = timezone.make_aware(datetime(2026, 6, 30, 16))
    services.contract_terminate(actor=roles["admin"], contract=contract, reason="两次整改不合格", now=ended)
    contract.refresh_from_db()
    assert (contract.state, contract.ended_at, contract.end_reason) == (
        Contract.State.TERMINATED,
        ended,
        "两次整改不合格",
    )
    event = AuditEvent.objects.get(action="contract.terminated", object_id=str(contract.pk))
    assert event.before["state"] == Contract.State.ACTIVE and event.after["end_reason"] == "两次整改不合格"


@pytest.mark.parametrize(
    ("step", "message"),
    [
        (
            lambda c, a: services.contract_close_rectification(actor=a, contract=c),
            services.ERR_CANNOT_CLOSE_RECTIFICATION,
        ),
        (lambda c, a: services.contract_complete(actor=a, contract=c, reason="x"), services.ERR_CANNOT_COMPLETE),
        (lambda c, a: services.contract_terminate(actor=a, contract=c, reason="x"), services.ERR_CANNOT_TERMINATE),
        (
            lambda c, a: services.contract_open_rectification(actor=a, contract=c),
            services.ERR_CANNOT_OPEN_RECTIFICATION,
        ),
        (lambda c, a: services.contract_begin_final(actor=a, contract=c), services.ERR_CANNOT_BEGIN_FINAL),
    ],
)
def test_a_transition_no_longer_possible_is_refused_in_words_and_writes_nothing(roles, contract, step, message):
    # A stale copy, as a second click or a second tick holds it: the row has moved on to terminated.
    stale = Contract.objects.get(pk=contract.pk)
    services.contract_terminate(actor=roles["admin"], contract=contract, reason="退出合作")
    written = AuditEvent.objects.count()
    with translation.override("zh-hans"), pytest.raises(DomainError) as refused:
        step(stale, roles["admin"])
    with translation.override("zh-hans"):
        expected = str(message % {"number": contract.number, "state": Contract.State.TERMINATED.label})
        assert str(refused.value) == expected and "已终止" in expected
    assert AuditEvent.objects.count() == written
    stale.refresh_from_db()
    assert stale.state == Contract.State.TERMINATED
