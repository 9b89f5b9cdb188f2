"""The demo of real-time evaluation (demo/realtime.py), seeded on top of the contracts demo.

One test, because seeding takes a while: it checks what the demo promises Wenshang's
board shows, that every month's stored score is what a full recompute gives, and that
seeding again adds nothing.
"""

import time

import pytest
from django.db.models import Count
from django.utils import timezone

from core.audit import verify_chain
from core.workdays import WorkCalendar
from demo.contracts import seed_contracts
from demo.palaces import seed_core
from demo.providers import seed_procurement
from demo.realtime import seed_evaluations
from demo.recruitments import seed_recruitments
from evaluations import services
from evaluations.models import (
    Inspection,
    PeriodScore,
    Rating,
    RectificationOrder,
    RedLine,
    TerminationReview,
)

pytestmark = pytest.mark.django_db


def _counts():
    return (
        Inspection.objects.count(),
        Rating.objects.count(),
        RedLine.objects.count(),
        RectificationOrder.objects.count(),
        TerminationReview.objects.count(),
    )


def test_the_demo_gives_wenshang_every_standing_and_every_step_of_rectification():
    root = seed_core()
    seed_procurement(root)
    seed_recruitments(root)
    seed_contracts(root)
    started = time.perf_counter()
    seed_evaluations()
    seconds = time.perf_counter() - started
    today = timezone.localdate()
    wenshang = {"contract__palace__code": "wenshang"}

    # Every standing this month, green, amber and red.
    standings = set(
        PeriodScore.objects.filter(month=today.replace(day=1), **wenshang).values_list("standing", flat=True)
    )
    assert {"green", "amber", "red"} <= standings

    # One order open near its deadline (at most two working days left).
    calendar = WorkCalendar()
    open_orders = RectificationOrder.objects.filter(state=RectificationOrder.State.OPEN, **wenshang)
    assert any(today <= o.deadline and calendar.working_days_between(today, o.deadline) <= 2 for o in open_orders)
    # One passed after the provider answered and an evaluator re-inspected.
    passed = RectificationOrder.objects.get(state=RectificationOrder.State.PASSED, **wenshang)
    assert passed.responded_at and passed.reinspector and all(f.outcome == "resolved" for f in passed.findings.all())
    # Failed ones: on re-inspection, and one left unanswered past its deadline.
    failed = RectificationOrder.objects.filter(state=RectificationOrder.State.FAILED, **wenshang)
    assert failed.filter(failed_on_deadline=False, responded_at__isnull=False).count() >= 2
    assert failed.filter(failed_on_deadline=True, responded_at__isnull=True).count() == 1
    # The contract with two failed orders waits for the administrator's decision on early termination.
    review = TerminationReview.objects.get(decision="", **wenshang)
    assert review.failed_orders.count() == 2
    assert set(review.failed_orders.values_list("contract", flat=True)) == {review.contract_id}
    single = failed.exclude(contract=review.contract).values("contract").annotate(n=Count("pk"))
    assert [row["n"] for row in single] == [1]

    # Thousands of ratings, spread over the activities, one per device per activity.
    ratings = Rating.objects.filter(**wenshang)
    assert 2000 <= ratings.count() <= 6000
    assert ratings.values("activity").distinct().count() >= 100
    assert Rating.objects.values("activity", "device").distinct().count() == Rating.objects.count()
    # Satisfaction counts (30 or more ratings) in most months; this month one contract has only a dozen.
    months = PeriodScore.objects.filter(**wenshang).exclude(month=today.replace(day=1))
    assert months.filter(ratings_count__gte=30).count() >= months.filter(ratings_count__gt=0).count() * 0.9
    assert PeriodScore.objects.filter(month=today.replace(day=1), ratings_count__range=(1, 29), **wenshang).exists()

    # Every inspection was scored by one of Wenshang's six evaluators; some are still to do.
    inspectors = set(Inspection.objects.values_list("inspector__username", flat=True))
    assert inspectors <= {f"ws-eval{i}" for i in range(1, 7)}
    assert Inspection.objects.filter(state=Inspection.State.ASSIGNED).count() == 4

    # The running scores are what a full recompute gives.
    for period in PeriodScore.objects.filter(**wenshang).select_related("contract"):
        fresh = services.period_recompute(period)
        assert (period.score, period.standing, period.ratings_count, period.inspections_count) == (
            fresh.score,
            fresh.standing,
            fresh.ratings_count,
            fresh.inspections_count,
        ), period

    # Seeding again adds nothing; the audit chain holds.
    counts = _counts()
    seed_evaluations()
    assert _counts() == counts
    assert verify_chain().ok
    print(f"seed_evaluations: {ratings.count()} ratings in {seconds:.1f} s")
