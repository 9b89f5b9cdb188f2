"""Concurrent score submissions on PostgreSQL, where row locks are real."""

import pytest
from django.db import connection

from core.errors import DomainError
from procurement.models import PanelMember, Recruitment, Score

from ..recruitment_builders import RecruitmentBuilder, Stage
from ..threads import run_together

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL"),
    pytest.mark.django_db(transaction=True),
]


def test_the_same_sheet_submitted_twice_at_once_is_stored_once():
    from procurement import services

    b = RecruitmentBuilder(applicants=3, evaluators=3, criteria=4).advance_to(Stage.DECLARED)
    member = b.members[0]
    sheet = b._sheet(0, member)
    results = run_together(
        lambda: services.scores_submit(actor=member.evaluator, member=member, scores=sheet),
        lambda: services.scores_submit(actor=member.evaluator, member=member, scores=sheet),
    )
    assert sum(isinstance(r, PanelMember) for r in results) == 1
    assert sum(isinstance(r, DomainError) for r in results) == 1
    assert Score.objects.filter(member=member).count() == len(sheet)


def test_the_last_two_evaluators_submitting_together_compile_exactly_once(monkeypatch):
    import time

    from procurement import services
    from procurement.services import compilation

    # Widen the race window: each sheet pauses just before checking whether the panel is
    # complete. Two locks serialise the sheets today: the recruitment row, and the audit
    # chain's head (every service appends an event before this check). Were both gone,
    # each sheet would see the other as missing and nothing would ever compile.
    check = compilation._after_submission

    def slow_check(recruitment):
        time.sleep(0.5)
        return check(recruitment)

    monkeypatch.setattr(compilation, "_after_submission", slow_check)

    b = RecruitmentBuilder(applicants=3, evaluators=3, criteria=4).advance_to(Stage.DECLARED)
    first, second, third = b.members
    services.scores_submit(actor=first.evaluator, member=first, scores=b._sheet(0, first))
    results = run_together(
        lambda: services.scores_submit(actor=second.evaluator, member=second, scores=b._sheet(1, second)),
        lambda: services.scores_submit(actor=third.evaluator, member=third, scores=b._sheet(2, third)),
    )
    assert all(isinstance(r, PanelMember) for r in results), results
    recruitment = Recruitment.objects.get(pk=b.recruitment.pk)
    assert recruitment.compiled_at is not None
    # one score per evaluator × application × criterion, and one compilation event
    subjective = recruitment.criteria.filter(kind="subjective").count()
    assert Score.objects.filter(member__recruitment=recruitment).count() == 3 * 3 * subjective
    from core.models import AuditEvent

    assert AuditEvent.objects.filter(action="recruitment.compiled", object_id=str(recruitment.pk)).count() == 1
