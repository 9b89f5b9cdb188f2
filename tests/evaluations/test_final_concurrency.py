"""Administrators signing off a final rating at the same moment (PostgreSQL, where row locks are real).

However the clicks race, a final evaluation gets exactly one final rating, one audit event
for it, one assessment report, and for a 差 one exit and one re-tender; the loser is told why.
"""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection

from contracts.models import Contract
from core.errors import DomainError
from core.models import AuditEvent, IssuedDocument, Role
from evaluations import services
from evaluations.final.services import evaluation as final
from evaluations.models import Exit, FinalEvaluation
from procurement.models import Exclusion, Recruitment
from tests.factories import staff
from tests.final_builders import (
    PASS_TERM,
    POOR_TERM,
    after_window,
    at,
    final_evaluation,
    proposed_evaluation,
)

from ..threads import run_together

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL"),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def parties(roles, wenshang):
    return {
        "palace": wenshang,
        "provider": roles["provider_a"].provider,
        "provider_user": roles["provider_a"],
        "admin": roles["admin"],
    }


def reports_of(evaluation) -> int:
    return IssuedDocument.objects.filter(
        content_type=ContentType.objects.get_for_model(FinalEvaluation),
        object_id=str(evaluation.pk),
        kind=IssuedDocument.Kind.ASSESSMENT_REPORT,
    ).count()


def finalised(evaluation) -> int:
    return AuditEvent.objects.filter(action="final_evaluation.finalised", object_id=str(evaluation.pk)).count()


def test_two_administrators_signing_off_a_good_rating_at_once_make_it_final_once(roles, parties):
    evaluation = proposed_evaluation(**parties)
    second = staff(parties["palace"], Role.ADMIN, "t-ws-admin-2")
    when = after_window(evaluation)
    results = run_together(
        lambda: services.final_sign_off(actor=roles["admin"], evaluation=evaluation, now=when),
        lambda: services.final_sign_off(actor=second, evaluation=evaluation, now=when),
    )
    assert sum(isinstance(r, FinalEvaluation) for r in results) == 1, results
    [refused] = [r for r in results if isinstance(r, DomainError)]
    assert str(refused) == str(final.ERR_ALREADY_FINAL)
    evaluation.refresh_from_db()
    assert (evaluation.state, evaluation.rating, evaluation.total) == ("final", "good", Decimal("89.33"))
    assert finalised(evaluation) == 1
    assert reports_of(evaluation) == 1


def test_two_administrators_signing_off_a_poor_rating_at_once_sign_it_off_once(roles, parties):
    evaluation = proposed_evaluation(term=POOR_TERM, panel_points=Decimal("20"), **parties)
    second = staff(parties["palace"], Role.ADMIN, "t-ws-admin-2")
    when = after_window(evaluation)
    results = run_together(
        lambda: services.final_sign_off(actor=roles["admin"], evaluation=evaluation, now=when),
        lambda: services.final_sign_off(actor=second, evaluation=evaluation, now=when),
    )
    assert sum(isinstance(r, FinalEvaluation) for r in results) == 1, results
    [refused] = [r for r in results if isinstance(r, DomainError)]
    evaluation.refresh_from_db()
    signer = evaluation.signed_off_by
    assert str(refused) == str(
        final.ERR_AWAITING_CONFIRMATION
        % {"name": signer.get_full_name() or signer.get_username(), "date": "2026-12-16"}
    )
    evaluation.refresh_from_db()
    assert evaluation.state == FinalEvaluation.State.CONFIRMING and evaluation.rating == ""
    assert AuditEvent.objects.filter(action="final_evaluation.signed_off", object_id=str(evaluation.pk)).count() == 1
    assert not Exit.objects.exists()


def test_two_administrators_confirming_a_poor_rating_at_once_give_one_rating_one_exit_one_re_tender(roles, parties):
    evaluation = proposed_evaluation(term=POOR_TERM, panel_points=Decimal("20"), **parties)
    second, third = (staff(parties["palace"], Role.ADMIN, f"t-ws-admin-{n}") for n in (2, 3))
    when = after_window(evaluation)
    services.final_sign_off(actor=roles["admin"], evaluation=evaluation, now=when)
    results = run_together(
        lambda: services.final_confirm(actor=second, evaluation=evaluation, now=when + timedelta(hours=1)),
        lambda: services.final_confirm(actor=third, evaluation=evaluation, now=when + timedelta(hours=1)),
    )
    assert sum(isinstance(r, FinalEvaluation) for r in results) == 1, results
    [refused] = [r for r in results if isinstance(r, DomainError)]
    assert str(refused) == str(final.ERR_ALREADY_FINAL)
    evaluation.refresh_from_db()
    assert (evaluation.state, evaluation.rating, evaluation.outcome) == ("final", "poor", "exited")
    assert finalised(evaluation) == 1
    assert reports_of(evaluation) == 1
    contract = Contract.objects.get(pk=evaluation.contract_id)
    assert contract.state == Contract.State.TERMINATED
    assert Exit.objects.filter(contract=contract).count() == 1
    assert Exclusion.objects.filter(provider=parties["provider"]).count() == 1
    assert Recruitment.objects.filter(project=contract.project).count() == 1
    assert AuditEvent.objects.filter(action="exit.opened").count() == 1


def test_two_ticks_ending_a_pass_term_at_once_draft_one_re_tender(parties):
    evaluation = final_evaluation(term=PASS_TERM, panel_points=Decimal("70"), **parties)
    assert evaluation.outcome == "retender"
    now = at(date(2027, 1, 1), 0)
    results = run_together(lambda: services.final_terms_end(now), lambda: services.final_terms_end(now))
    assert sorted(results) == [0, 1], results
    contract = Contract.objects.get(pk=evaluation.contract_id)
    assert contract.state == Contract.State.COMPLETED
    assert Recruitment.objects.filter(project=contract.project).count() == 1
    assert AuditEvent.objects.filter(action="contract.completed", object_id=str(contract.pk)).count() == 1
