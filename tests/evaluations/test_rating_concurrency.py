"""Workers rating at the same moment: every rating counts once, and the month's row stays exact (PostgreSQL)."""

from datetime import date, datetime

import pytest
import time_machine
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from contracts import services as contract_services
from core.audit import verify_chain
from evaluations import services
from evaluations.models import PeriodScore, Rating, RectificationOrder, RedLine
from evaluations.realtime.services.ratings import ERR_ALREADY, ERR_FULL
from evaluations.realtime.views.rating import DEVICE_COOKIE
from tests.contract_builders import active_contract

from ..threads import run_together

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")

WORKERS = 50


@pytest.fixture
def url(roles, wenshang):
    contract = active_contract(
        palace=wenshang,
        provider=roles["provider_a"].provider,
        provider_user=roles["provider_a"],
        admin=roles["admin"],
        starts_on=date(2026, 1, 1),
    )
    report = contract.reports.get(sequence=2)
    contract_services.report_save(
        actor=roles["provider_a"],
        report=report,
        narrative="二月",
        activities=[contract_services.ActivityInput(date(2026, 2, 10), "惠工影院公益放映", "culture", "多功能厅", 180)],
    )
    return reverse("rate", args=[services.rating_link_for(report.activities.get()).token])


@pytest.fixture(autouse=True)
def _at_the_activity():
    cache.clear()
    with time_machine.travel(timezone.make_aware(datetime(2026, 2, 10, 21)), tick=False):
        yield
    cache.clear()


def phone(url, n: int) -> Client:
    # Each phone on its own address, so the per-address limit is not what is tested here.
    client = Client(REMOTE_ADDR=f"127.0.{n // 200}.{n % 200 + 1}")
    assert client.get(url).status_code == 200  # the device cookie
    return client


@pytest.mark.django_db(transaction=True)
def test_fifty_phones_rating_at_once_all_count_and_the_month_equals_a_recompute(url):
    phones = [phone(url, n) for n in range(WORKERS)]
    stars = [5, 4, 3, 5, 4] * (WORKERS // 5)
    results = run_together(
        *[
            lambda c=c, s=s: c.post(url, {"stars": str(s), "comment": f"第{s}星"})
            for c, s in zip(phones, stars, strict=True)
        ]
    )
    assert [getattr(r, "status_code", r) for r in results] == [302] * WORKERS
    assert Rating.objects.count() == WORKERS
    assert len(set(Rating.objects.values_list("device", flat=True))) == WORKERS

    period = PeriodScore.objects.get(month=date(2026, 2, 1))
    fresh = services.period_recompute(period)
    assert (period.ratings_count, period.ratings_total) == (WORKERS, sum((s - 1) * 25 for s in stars))
    assert (period.ratings_total, period.ratings_count, period.score) == (
        fresh.ratings_total,
        fresh.ratings_count,
        fresh.score,
    )
    assert period.score == 80  # satisfaction alone, with ≥ 30 ratings: (100+75+50+100+75)/5
    assert verify_chain().ok


@pytest.mark.django_db(transaction=True)
def test_one_phone_posting_five_times_at_once_is_counted_once(url):
    device = phone(url, 0).cookies[DEVICE_COOKIE].value
    tabs = [Client(REMOTE_ADDR="127.0.0.1") for _ in range(5)]  # one phone, five tabs: the same cookie
    for tab in tabs:
        tab.cookies[DEVICE_COOKIE] = device
    results = run_together(*[lambda c=c: c.post(url, {"stars": "4"}) for c in tabs])
    codes = sorted(getattr(r, "status_code", r) for r in results)
    assert codes == [200, 200, 200, 200, 302], results
    refusals = [r for r in results if r.status_code == 200]
    assert all(str(ERR_ALREADY) in r.content.decode() for r in refusals)
    assert Rating.objects.count() == 1
    assert PeriodScore.objects.get(month=date(2026, 2, 1)).ratings_count == 1
    assert verify_chain().ok


@pytest.mark.django_db(transaction=True)
def test_ratings_and_a_red_line_at_the_same_moment_all_go_through(url, roles):
    # The red line takes the contract, the audit head and then the month; ratings take the head and
    # then the month, and do not reach for the contract when the month has nothing to issue: no deadlock.
    phones = [phone(url, n) for n in range(20)]
    contract = Rating._meta.get_field("contract").related_model.objects.get()
    red_line = lambda: services.red_line_record(  # noqa: E731
        actor=roles["evaluator"],
        contract=contract,
        category="charging",
        occurred_on=date(2026, 2, 10),
        description="向观影职工收取座位费",
    )
    calls = [lambda c=c: c.post(url, {"stars": "4"}) for c in phones]
    calls.insert(10, red_line)
    results = run_together(*calls)
    assert [getattr(r, "status_code", r) for r in results[:10] + results[11:]] == [302] * 20, results
    assert isinstance(results[10], RedLine), results[10]
    period = PeriodScore.objects.get(month=date(2026, 2, 1))
    fresh = services.period_recompute(period)
    assert (period.ratings_count, period.red_lines, period.standing) == (20, 1, "red")
    assert (period.ratings_total, period.score) == (fresh.ratings_total, fresh.score)
    assert list(RectificationOrder.objects.values_list("trigger", flat=True)) == ["red_line"]
    assert verify_chain().ok


@pytest.mark.django_db(transaction=True)
def test_the_rating_that_fails_the_month_and_others_in_flight_all_go_through(url):
    # 29 one-star ratings: too few to count. Then 12 phones at once, each one star: whichever is
    # the 30th fails the month and issues its order (the contract and the palace locked for it)
    # while the others hold their key-share locks on the same rows and wait for the audit head.
    for n in range(29):
        assert phone(url, n).post(url, {"stars": "1"}).status_code == 302
    phones = [phone(url, 100 + n) for n in range(12)]
    results = run_together(*[lambda c=c: c.post(url, {"stars": "1"}) for c in phones])
    assert [getattr(r, "status_code", r) for r in results] == [302] * 12, results
    period = PeriodScore.objects.get(month=date(2026, 2, 1))
    fresh = services.period_recompute(period)
    assert (period.ratings_count, period.score, period.standing) == (41, 0, "red")
    assert (period.ratings_total, period.score) == (fresh.ratings_total, fresh.score)
    assert list(RectificationOrder.objects.values_list("trigger", flat=True)) == ["score"]
    assert verify_chain().ok


@pytest.mark.django_db(transaction=True)
def test_phones_racing_for_the_last_place_store_only_one_rating(roles, wenshang):
    # Three attended; two have rated. Four phones rate at the same moment: one gets the last place.
    contract = active_contract(
        palace=wenshang,
        provider=roles["provider_a"].provider,
        provider_user=roles["provider_a"],
        admin=roles["admin"],
        starts_on=date(2026, 1, 1),
    )
    report = contract.reports.get(sequence=2)
    contract_services.report_save(
        actor=roles["provider_a"],
        report=report,
        narrative="二月",
        activities=[contract_services.ActivityInput(date(2026, 2, 10), "职工插花体验课", "culture", "三楼教室", 3)],
    )
    url = reverse("rate", args=[services.rating_link_for(report.activities.get()).token])
    for n in range(2):
        assert phone(url, n).post(url, {"stars": "5"}).status_code == 302
    racers = [phone(url, 10 + n) for n in range(4)]
    results = run_together(*[lambda c=c: c.post(url, {"stars": "4"}) for c in racers])
    codes = sorted(getattr(r, "status_code", r) for r in results)
    assert codes == [200, 200, 200, 302], results
    refusals = [r for r in results if r.status_code == 200]
    assert all(str(ERR_FULL % {"participants": 3}) in r.content.decode() for r in refusals)
    assert Rating.objects.count() == 3
    assert PeriodScore.objects.get(month=date(2026, 2, 1)).ratings_count == 3
    assert verify_chain().ok
