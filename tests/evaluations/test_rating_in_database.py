"""The worker's rating as one statement on PostgreSQL (``hezuo_rating_submit``, evaluations migration 0005).

The function repeats three things of the Python code: the link's checks, the month's score and
the rating's audit event. These tests hold each to its Python original, and show that every case
the function leaves to the ordinary path comes out as the ordinary path makes it.
"""

from datetime import date, datetime
from decimal import Decimal

import pytest
import time_machine
from django.core.cache import cache
from django.db import connection, transaction
from django.http import QueryDict
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from contracts import services as contract_services
from contracts.models import Activity
from core.audit import verify_chain
from core.errors import DomainError
from core.models import AuditEvent, IssuedDocument
from evaluations import services
from evaluations.models import PeriodScore, Rating, RectificationOrder
from evaluations.realtime import scoring
from evaluations.realtime.services import ratings
from evaluations.realtime.views.rating import RatingForm, plainly_valid
from tests.contract_builders import active_contract

on_postgres = pytest.mark.skipif(connection.vendor != "postgresql", reason="the function exists on PostgreSQL only")

DAY = date(2026, 2, 10)


@pytest.fixture(autouse=True)
def _at_the_activity():
    cache.clear()
    with time_machine.travel(timezone.make_aware(datetime(2026, 2, 11, 20)), tick=False):
        yield
    cache.clear()


@pytest.fixture
def contract(roles, wenshang):
    return active_contract(palace=wenshang, provider=roles["provider_a"].provider, provider_user=roles["provider_a"],
                           admin=roles["admin"], starts_on=date(2026, 1, 1))


def activity_titled(contract, roles, title: str) -> Activity:
    report = contract.reports.get(sequence=2)
    contract_services.report_save(actor=roles["provider_a"], report=report, narrative="二月", activities=[
        contract_services.ActivityInput(DAY, title, "culture", "多功能厅", 60)])
    return report.activities.get()


def rate(activity: Activity, stars: int, n: int = 0):
    """One phone: opens the page (its device cookie), then posts its stars."""
    url = reverse("rate", args=[services.rating_link_for(activity).token])
    phone = Client(REMOTE_ADDR=f"10.0.{n // 200}.{n % 200 + 1}")
    assert phone.get(url).status_code == 200
    return phone.post(url, {"stars": str(stars), "comment": "好"})


def month(contract) -> PeriodScore:
    return PeriodScore.objects.get(contract=contract, month=date(2026, 2, 1))


# --- the month's score: the database's sum is scoring.period_score's -------------------------------

counts = st.integers(0, 60)
cents = st.decimals(min_value=0, max_value=100, places=2, allow_nan=False, allow_infinity=False)


@st.composite
def weight_sets(draw):
    cuts = sorted(draw(st.lists(st.integers(0, 100), min_size=3, max_size=3)))
    return [cuts[0], cuts[1] - cuts[0], cuts[2] - cuts[1], 100 - cuts[2]]


@on_postgres
@pytest.mark.django_db
@settings(max_examples=400)
@given(inspections=st.tuples(counts, cents), reports=st.tuples(counts, cents), ratings=counts,
       stars=st.lists(st.integers(1, 5), min_size=60, max_size=60), kpi=st.none() | cents, weights=weight_sets())
def test_the_databases_month_score_is_the_python_score(inspections, reports, ratings, stars, kpi, weights):
    # Sums as the month's row keeps them: each inspection and report a score 0–100 to the cent, each rating its points.
    (n_insp, mean_insp), (n_rep, mean_rep) = inspections, reports
    insp_total, rep_total = mean_insp * n_insp, mean_rep * n_rep
    ratings_total = sum(int(scoring.stars_to_points(s)) for s in stars[:ratings])
    row = PeriodScore(inspections_total=insp_total, inspections_count=n_insp, reports_total=rep_total,
                      reports_count=n_rep, ratings_total=ratings_total, ratings_count=ratings, kpi=kpi)
    expected = scoring.period_score(row.inputs(), dict(zip(scoring.INDICATORS, map(Decimal, weights), strict=True)))
    with connection.cursor() as cursor:
        cursor.execute("SELECT hezuo_period_score(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                       [insp_total, n_insp, rep_total, n_rep, ratings_total, ratings, kpi, *weights,
                        scoring.SATISFACTION_MIN_RATINGS])
        (score,) = cursor.fetchone()
    assert score == expected.score


# --- the rating's event: as audit.record writes it, and it verifies --------------------------------

HOSTILE = ['引号"和\\反斜杠', "换行\n制表\t回车\r", "控制\x01\x1f字符", "表情😀与𠮷", "<script>alert(1)</script>",
           "公式 =HYPERLINK(\"http://x\")", "长" * 240]


@on_postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("title", HOSTILE)
def test_a_ratings_event_written_in_the_database_verifies_whatever_the_activitys_title(title, contract, roles):
    activity = activity_titled(contract, roles, title)
    assert rate(activity, 5, 1).status_code == 302  # the month's first: the ordinary path makes its row
    with CaptureQueriesContext(connection) as queries:
        assert rate(activity, 4, 2).status_code == 302
    assert any("hezuo_rating_submit(" in q["sql"] for q in queries.captured_queries)
    assert not any('INSERT INTO "core_auditevent"' in q["sql"] for q in queries.captured_queries)

    rating = Rating.objects.latest("pk")
    event = AuditEvent.objects.latest("seq")
    assert (event.action, event.object_type, event.object_id) == ("rating.submitted", "evaluations.Rating",
                                                                  str(rating.pk))
    assert event.object_repr == str(rating)[:200]
    assert event.after == {"activity": activity.pk, "stars": 4} and event.before is None
    assert (event.actor_id, event.actor_label, event.palace_id) == (None, "system", activity.palace_id)
    assert event.ip == "10.0.0.3"
    report = verify_chain()
    assert report.ok, report.problem
    period = month(contract)
    fresh = services.period_recompute(period)
    assert (period.ratings_count, period.ratings_total, period.score, period.standing) == (
        2, 175, fresh.score, fresh.standing)


# --- what the function leaves to the ordinary path --------------------------------------------------

@on_postgres
@pytest.mark.django_db(transaction=True)
def test_the_rating_that_fails_the_month_goes_the_ordinary_way_and_issues_the_order(contract, roles):
    activity = activity_titled(contract, roles, "职工健身操")
    for n in range(scoring.SATISFACTION_MIN_RATINGS - 1):  # 29 ratings of one star: too few to count yet
        assert rate(activity, 1, n).status_code == 302
    assert month(contract).score is None and not RectificationOrder.objects.exists()

    assert rate(activity, 1, 99).status_code == 302  # the 30th: satisfaction 0 counts, the month fails
    period = month(contract)
    assert (period.ratings_count, period.score, period.standing) == (30, Decimal("0.00"), "red")
    order = RectificationOrder.objects.get()
    assert (order.period_id, order.trigger) == (period.pk, RectificationOrder.Trigger.SCORE)
    contract.refresh_from_db()
    assert contract.state == contract.State.RECTIFICATION

    assert rate(activity, 1, 100).status_code == 302  # under its order already: no second order
    assert RectificationOrder.objects.count() == 1 and month(contract).ratings_count == 31
    assert verify_chain().ok


@on_postgres
@pytest.mark.django_db(transaction=True)
def test_a_rating_of_a_closed_month_goes_the_ordinary_way_and_issues_its_summary_again(contract, roles):
    activity = activity_titled(contract, roles, "职工合唱团")
    assert rate(activity, 5, 1).status_code == 302
    PeriodScore.objects.filter(pk=month(contract).pk).update(closed=True)
    summaries = IssuedDocument.objects.filter(kind=IssuedDocument.Kind.MONTHLY_SUMMARY)
    assert not summaries.exists()
    assert rate(activity, 3, 2).status_code == 302
    assert month(contract).ratings_count == 2
    assert summaries.count() == 1
    assert verify_chain().ok


@on_postgres
@pytest.mark.django_db
def test_inside_a_callers_transaction_the_rating_leaves_its_commit_durable(contract, roles):
    activity = activity_titled(contract, roles, "职工读书会")
    token = services.rating_link_for(activity).token
    services.rating_submit(token=token, stars=5, comment="", device_id="first-device-0123456789")
    with transaction.atomic():
        rating = services.rating_submit(token=token, stars=4, comment="", device_id="second-device-0123456789")
        with connection.cursor() as cursor:
            cursor.execute("SHOW synchronous_commit")
            assert cursor.fetchone() == ("on",)
    assert Rating.objects.get(pk=rating.pk).stars == 4
    assert month(contract).ratings_count == 2


# --- the page's hot path: plainly valid input is what the form accepts -------------------------------

@settings(max_examples=500)
@given(stars=st.sampled_from(["1", "3", "5", "0", "6", " 4", "4.0", "", "x", "٣"]) | st.text(max_size=3),
       comment=st.text(max_size=520) | st.sampled_from(["", "  好  ", "\x00", "a\x00b", " " * 600, "字" * 500]))
def test_what_passes_the_hot_path_is_what_the_form_accepts_with_the_same_values(stars, comment):
    data = QueryDict(mutable=True)
    data.update({"stars": stars, "comment": comment})
    quick = plainly_valid(data)
    if quick is not None:
        form = RatingForm(data)
        assert form.is_valid(), form.errors
        assert quick == (form.cleaned_data["stars"], form.cleaned_data["comment"])


@on_postgres
@pytest.mark.django_db
def test_a_link_that_cannot_be_rated_is_declined_without_an_error_in_the_servers_log(contract, roles):
    activity_titled(contract, roles, "职工篮球赛")
    with connection.cursor() as cursor:
        cursor.execute(ratings._call(), ["no-such-token", 5, 100, "评论", "device", timezone.now(), DAY, DAY, False, ""])
        assert cursor.fetchone() == (None, None, None, "link")
    assert not Rating.objects.exists()


@on_postgres
@pytest.mark.django_db
def test_without_the_function_ratings_go_the_ordinary_way_and_say_so_in_the_log(contract, roles, caplog):
    activity = activity_titled(contract, roles, "职工摄影展")
    token = services.rating_link_for(activity).token
    services.rating_submit(token=token, stars=5, comment="", device_id="first-device-0123456789")
    with connection.cursor() as cursor:  # a database restored from before migration 0005
        cursor.execute("ALTER FUNCTION hezuo_rating_submit RENAME TO hezuo_rating_submit_away")
    ratings._warn_not_migrated.cache_clear()
    rating = services.rating_submit(token=token, stars=4, comment="", device_id="second-device-0123456789")
    assert Rating.objects.get(pk=rating.pk).stars == 4 and month(contract).ratings_count == 2
    assert "hezuo_rating_submit is missing" in caplog.text
    assert verify_chain().ok


@pytest.mark.django_db
@pytest.mark.parametrize("stars", [True, 0, 6, "5", 4.0])
def test_only_a_whole_number_of_stars_from_1_to_5_is_a_rating(stars, contract, roles):
    activity = activity_titled(contract, roles, "职工象棋赛")
    token = services.rating_link_for(activity).token
    with pytest.raises(DomainError) as refused:
        services.rating_submit(token=token, stars=stars, comment="", device_id="a-device-0123456789")
    assert refused.value.field == "stars"
    assert not Rating.objects.exists()
