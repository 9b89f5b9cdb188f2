"""Worker satisfaction by QR code (DOMAIN.md §4): the public rating page, its QR code and poster.

A worker scans the code, gives 1–5 stars and maybe a comment, without logging in; the
month's score moves at once. One rating per device per activity, POSTs limited per
address, and the link works from the day of the activity for 14 days.
"""

import re
from datetime import date, datetime
from decimal import Decimal

import pytest
import time_machine
from django.core.cache import cache
from django.db import IntegrityError, connection, transaction
from django.http import QueryDict
from django.template.loader import render_to_string
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
from core.models import AuditEvent, AuditHead, IssuedDocument
from core.registry import page_sections
from evaluations import services
from evaluations.models import PeriodScore, Rating, RatingLink, RectificationOrder
from evaluations.realtime import scoring, sections
from evaluations.realtime.services.ratings import (
    ERR_ALREADY,
    ERR_FULL,
    ERR_LINK,
    ERR_NOT_YET,
    ERR_STARS,
    ERR_TOO_OLD,
    find_link,
)
from evaluations.realtime.views.rating import (
    DEVICE_COOKIE,
    ERR_NO_DEVICE,
    RatingForm,
    plainly_valid,
)
from tests.contract_builders import active_contract

pytestmark = pytest.mark.django_db

ACTIVITY_DAY = date(2026, 2, 10)
TITLE, PLACE = "职工书法公益课堂", "二楼书画室"


def at(y, m, d, h=10):
    return timezone.make_aware(datetime(y, m, d, h))


@pytest.fixture(autouse=True)
def _fresh_rate_limit():
    # The limiter counts in Django's cache (LocMemCache here, shared by every test in this process).
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def contract(roles, wenshang):
    return active_contract(
        palace=wenshang,
        provider=roles["provider_a"].provider,
        provider_user=roles["provider_a"],
        admin=roles["admin"],
        starts_on=date(2026, 1, 1),
    )


@pytest.fixture
def activity(roles, contract):
    report = contract.reports.get(sequence=2)  # February
    contract_services.report_save(
        actor=roles["provider_a"],
        report=report,
        narrative="二月",
        activities=[contract_services.ActivityInput(ACTIVITY_DAY, TITLE, "culture", PLACE, 28)],
    )
    return report.activities.get()


@pytest.fixture
def url(activity):
    return reverse("rate", args=[services.rating_link_for(activity).token])


@pytest.fixture
def two_days_later():
    with time_machine.travel(at(2026, 2, 12), tick=False):
        yield


def phone(url, **extra) -> Client:
    """A phone that opened the rating page once, so it carries this site's device cookie."""
    client = Client(**extra)
    assert client.get(url).status_code == 200
    return client


def text(response) -> str:
    return response.content.decode()


def february(contract) -> PeriodScore:
    return PeriodScore.objects.get(contract=contract, month=date(2026, 2, 1))


# --- the worker's side ----------------------------------------------------------------------------


def test_a_worker_rates_without_logging_in_and_the_months_score_moves_at_once(
    url, activity, contract, roles, two_days_later
):
    client = Client()
    page = client.get(url)
    assert page.status_code == 200
    body = text(page)
    assert TITLE in body and PLACE in body and roles["provider_a"].provider.name in body
    assert "汶上县工人文化宫" in body and "2026-02-10" in body
    assert 'name="csrfmiddlewaretoken"' in body
    assert body.count('type="radio" name="stars"') == 5

    response = client.post(url, {"stars": "4", "comment": "老师讲得很细，希望多开几期。"})
    assert response.status_code == 302 and response["Location"] == url  # post/redirect/get
    thanks = client.get(url)
    assert 'data-state="thanks"' in text(thanks) and "老师讲得很细，希望多开几期。" in text(thanks)

    rating = Rating.objects.get()
    assert (rating.stars, rating.activity, rating.contract) == (4, activity, contract)
    cookie = client.cookies[DEVICE_COOKIE].value
    assert rating.device != cookie and cookie not in rating.device  # only a keyed hash is kept
    period = february(contract)
    assert (period.ratings_count, period.ratings_total) == (1, 75)
    fresh = services.period_recompute(period)
    assert (fresh.ratings_count, fresh.ratings_total, fresh.score) == (1, 75, period.score)


def test_the_public_page_is_chinese_for_an_anonymous_worker(url, two_days_later):
    response = Client().get(url)
    body = text(response)
    assert response["Content-Language"] == "zh-hans"
    assert '<html lang="zh-hans">' in body
    assert "工人文化宫社会化服务" in body  # the public layout's title
    assert TITLE in body and "星期二" in body  # the activity's weekday, in Chinese


def test_the_device_cookie_is_random_http_only_and_kept_for_a_year(url, settings, two_days_later):
    first = Client().get(url).cookies[DEVICE_COOKIE]
    second = Client().get(url).cookies[DEVICE_COOKIE]
    assert first.value != second.value
    assert first["httponly"] and first["samesite"] == "Lax" and first["max-age"] == 365 * 24 * 3600
    assert not first["secure"]
    settings.SESSION_COOKIE_SECURE = True  # production
    assert Client().get(url).cookies[DEVICE_COOKIE]["secure"]


def test_a_second_rating_from_the_same_phone_is_refused_politely(url, contract, two_days_later):
    client = phone(url)
    client.post(url, {"stars": "5"})
    again = client.post(url, {"stars": "1", "comment": "再来一次"})
    assert again.status_code == 200
    assert 'data-state="already"' in text(again) and str(ERR_ALREADY) in text(again)
    assert Rating.objects.get().stars == 5
    assert february(contract).ratings_count == 1


def test_another_phone_can_rate_the_same_activity(url, contract, two_days_later):
    phone(url).post(url, {"stars": "5"})
    phone(url).post(url, {"stars": "3"})
    assert sorted(Rating.objects.values_list("stars", flat=True)) == [3, 5]
    period = february(contract)
    assert (period.ratings_count, period.ratings_total) == (2, 150)


def test_a_post_without_the_sites_cookie_is_asked_to_send_again_and_stores_nothing(url, two_days_later):
    client = Client()
    response = client.post(url, {"stars": "5"})
    assert response.status_code == 400 and str(ERR_NO_DEVICE) in text(response)
    assert 'value="5" id="star-5" required checked' in text(response)  # the choice is kept for the retry
    assert not Rating.objects.exists()
    # The refusal handed out a cookie: sending the same form again now counts.
    assert client.post(url, {"stars": "5"}).status_code == 302
    assert Rating.objects.count() == 1


def test_an_invented_device_cookie_counts_as_none(url, two_days_later):
    client = Client()
    client.cookies[DEVICE_COOKIE] = "a-device-id-made-up-by-a-script"
    assert client.post(url, {"stars": "5"}).status_code == 400
    assert not Rating.objects.exists()


@pytest.mark.parametrize("stars", ["0", "6", "-1", "abc", "3.5", ""])
def test_stars_out_of_range_or_not_a_whole_number_are_refused_clearly(url, stars, two_days_later):
    client = phone(url)
    response = client.post(url, {"stars": stars, "comment": "好"})
    assert response.status_code == 200
    assert str(ERR_STARS) in text(response)
    assert "好</textarea>" in text(response)  # the comment is kept
    assert not Rating.objects.exists() and not PeriodScore.objects.filter(ratings_count__gt=0).exists()


def test_missing_stars_are_refused_clearly(url, two_days_later):
    response = phone(url).post(url, {"comment": "没选星"})
    assert str(ERR_STARS) in text(response) and not Rating.objects.exists()


def test_a_comment_with_html_is_kept_as_text_and_shown_escaped(url, activity, roles, two_days_later, rf):
    client = phone(url)
    client.post(url, {"stars": "2", "comment": '<script>alert("x")</script><b>差</b>'})
    assert Rating.objects.get().comment == '<script>alert("x")</script><b>差</b>'
    thanks = text(client.get(url))
    assert "<script>alert" not in thanks and "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in thanks
    request = rf.get("/")
    request.user = roles["admin"]
    section = sections.report_ratings_section(request, activity.report)
    html = render_to_string(section.template, {"section": section}, request=request)
    assert "<script>alert" not in html and "&lt;b&gt;差&lt;/b&gt;" in html


def test_a_comment_over_500_characters_is_refused_not_cut(url, two_days_later):
    client = phone(url)
    response = client.post(url, {"stars": "4", "comment": "好" * 501})
    assert response.status_code == 200 and "500" in text(response)
    assert not Rating.objects.exists()
    assert client.post(url, {"stars": "4", "comment": "好" * 500}).status_code == 302
    assert len(Rating.objects.get().comment) == 500


# --- links that cannot take a rating --------------------------------------------------------------


def test_a_forged_token_is_404_with_a_polite_message(activity, two_days_later):
    for token in ["AAAAAAAAAAAAAAAAAAAAAA", "x" * 80, str(activity.pk), f"{activity.pk:022d}"]:
        response = Client().post(reverse("rate", args=[token]), {"stars": "5"})
        assert response.status_code == 404, token
        assert str(ERR_LINK) in text(response)
    assert Client().get(reverse("rate", args=[activity.pk])).status_code == 404
    assert not Rating.objects.exists()


def test_the_token_is_random_not_derived_from_the_activity(activity):
    link = services.rating_link_for(activity)
    assert re.fullmatch(r"[A-Za-z0-9_-]{22}", link.token)  # 128 random bits, URL-safe base64
    assert link.token != str(activity.pk)
    assert services.rating_link_for(activity) == link  # one link per activity, kept
    link.delete()
    again = services.rating_link_for(activity)
    assert again.token != link.token  # the same activity draws a new token: nothing is computed from its id


def test_a_link_15_days_after_the_activity_is_gone(url, contract):
    with time_machine.travel(at(2026, 2, 24, 23), tick=False):  # 14 days after: still open
        assert phone(url).post(url, {"stars": "4"}).status_code == 302
    with time_machine.travel(at(2026, 2, 25), tick=False):
        client = Client()
        page = client.get(url)
        assert page.status_code == 410
        assert str(ERR_TOO_OLD % {"days": 14}) in text(page) and TITLE in text(page)
        assert client.post(url, {"stars": "5"}).status_code == 410
    assert Rating.objects.count() == 1 and february(contract).ratings_count == 1


def test_an_activity_still_to_come_cannot_be_rated_yet(url):
    with time_machine.travel(at(2026, 2, 9), tick=False):
        client = Client()
        page = client.get(url)
        assert page.status_code == 200 and str(ERR_NOT_YET) in text(page)
        assert 'name="stars"' not in text(page)
        assert client.post(url, {"stars": "5"}).status_code == 200
    assert not Rating.objects.exists()


# --- the rate limit -------------------------------------------------------------------------------


def test_more_than_the_allowed_posts_from_one_address_get_429_with_when_to_come_back(url, settings, two_days_later):
    settings.HEZUO_RATING_POSTS_PER_MINUTE = 12  # 12 a minute, 2 every 10 seconds
    phones = [phone(url) for _ in range(3)]
    assert [p.post(url, {"stars": "5"}).status_code for p in phones[:2]] == [302, 302]
    refused = phones[2].post(url, {"stars": "5"})
    assert refused.status_code == 429 and 1 <= int(refused["Retry-After"]) <= 10
    assert 'data-state="too-many"' in text(refused)
    assert Rating.objects.count() == 2
    # Another address is counted on its own; after Retry-After the same address is let in again.
    assert phone(url, REMOTE_ADDR="127.0.0.2").post(url, {"stars": "4"}).status_code == 302
    later = at(2026, 2, 12) + timezone.timedelta(seconds=int(refused["Retry-After"]))
    with time_machine.travel(later, tick=False):
        assert phones[2].post(url, {"stars": "5"}).status_code == 302
    assert Rating.objects.count() == 4


def test_the_default_limit_is_60_posts_a_minute_10_in_any_10_second_window(url, two_days_later):
    # High enough for a hall of workers behind one NAT address (one POST a second, for ever); each
    # device still rates once.
    client = phone(url)
    codes = [client.post(url, {"stars": "5"}).status_code for _ in range(11)]
    assert codes == [302] + [200] * 9 + [429]


def _most_in_any(span: int, accepted: list[int]) -> int:
    return max(sum(accepted[i : i + span]) for i in range(len(accepted) - span + 1))


def test_a_flood_from_one_address_gets_at_most_20_in_10_seconds_and_70_in_a_minute(url):
    # Every second for 130 seconds, one address sends as fast as it can until refused.
    accepted = []
    with time_machine.travel(at(2026, 2, 12), tick=False) as clock:
        client = phone(url)
        for _second in range(130):
            passed = 0
            while passed < 30 and client.post(url, {"stars": "5"}).status_code != 429:
                passed += 1
            accepted.append(passed)
            clock.shift(1)
    assert _most_in_any(60, accepted) <= 70
    assert _most_in_any(10, accepted) <= 20
    # Its refused POSTs count too, so the hammering is held back harder, but never shut out for a minute.
    assert min(sum(accepted[i : i + 60]) for i in range(len(accepted) - 59)) > 0
    assert Rating.objects.count() == 1


def test_a_burst_across_a_window_boundary_gets_at_most_20_not_twice_the_minute(url):
    # The incident: a burst straddling the minute's end got the allowance of both minutes (70 of 70,
    # and up to 120). Ten trials, 70 seconds apart so each starts afresh in every window, each one
    # second later in the 10-second cycle: 35 POSTs in one second and 35 in the next.
    got = []
    start = at(2026, 2, 12)
    for trial in range(10):
        with time_machine.travel(start + timezone.timedelta(seconds=71 * trial), tick=False) as clock:
            client = phone(url)
            passed = 0
            for second in range(2):
                passed += sum(client.post(url, {"stars": "5"}).status_code != 429 for _ in range(35))
                if second == 0:
                    clock.shift(1)
            got.append(passed)
    assert max(got) == 20  # one trial straddled the 10-second boundary: 10 + 10
    assert min(got) >= 10
    assert Rating.objects.count() == 10


def _redis_cache(url: str):
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.exceptions.ConnectionError:
        pytest.skip(f"Redis does not answer at {url}")
    return {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url, "KEY_PREFIX": "hezuo-test"}


REDIS_TEST_URL = "redis://127.0.0.1:6379/12"


@pytest.mark.parametrize("backend", ["local memory", "redis"])
def test_the_per_address_limit_holds_across_two_clients_sharing_the_cache(backend, url, settings, two_days_later):
    if backend == "redis":
        import redis

        settings.CACHES = {"default": _redis_cache(REDIS_TEST_URL)}
        raw = redis.Redis.from_url(REDIS_TEST_URL)
        for key in raw.scan_iter("hezuo-test:*"):
            raw.delete(key)
    # Two workers' phones behind one address, each a client of its own (its own cookie jar).
    first, second = phone(url), phone(url)
    codes = [c.post(url, {"stars": "5"}).status_code for _ in range(6) for c in (first, second)]
    assert codes.count(429) == 2 and codes[-2:] == [429, 429]
    assert Rating.objects.count() == 2
    if backend == "redis":
        # The counts are in Redis, where another process or server reads the same numbers.
        assert list(raw.scan_iter("hezuo-test:*:rl:*"))
        for key in raw.scan_iter("hezuo-test:*"):
            raw.delete(key)


# --- no more ratings than people who attended ----------------------------------------------------


@pytest.fixture
def five_attended(roles, contract):
    report = contract.reports.get(sequence=2)
    contract_services.report_save(
        actor=roles["provider_a"],
        report=report,
        narrative="二月",
        activities=[contract_services.ActivityInput(ACTIVITY_DAY, "职工太极拳小班", "sports", "一楼活动室", 5)],
    )
    return reverse("rate", args=[services.rating_link_for(report.activities.get()).token])


def test_six_fresh_cookie_jars_on_an_activity_five_attended_store_five_ratings(five_attended, two_days_later):
    url = five_attended
    codes = [phone(url).post(url, {"stars": "5"}).status_code for _ in range(5)]
    assert codes == [302] * 5
    sixth = phone(url).post(url, {"stars": "5"})
    assert sixth.status_code == 200
    assert str(ERR_FULL % {"participants": 5}) in text(sixth)
    assert "参加人数（5 人）" in text(sixth)  # in Chinese, the page's language
    assert Rating.objects.count() == 5
    assert PeriodScore.objects.get(month=date(2026, 2, 1)).ratings_count == 5


def test_the_service_refuses_a_rating_past_the_attendance_and_writes_nothing(five_attended, two_days_later):
    link = find_link(five_attended.split("/")[-2])
    for n in range(5):
        services.rating_submit(link=link, stars=4, comment="", device_id=f"device-{n:02d}-0123456789")
    events = AuditEvent.objects.count()
    with pytest.raises(DomainError) as refused:
        services.rating_submit(link=link, stars=4, comment="", device_id="device-99-0123456789")
    assert refused.value.message == ERR_FULL % {"participants": 5}
    assert Rating.objects.count() == 5 and AuditEvent.objects.count() == events


def test_a_higher_participant_count_on_the_report_opens_more_places(five_attended, roles, contract, two_days_later):
    url = five_attended
    for _ in range(5):
        phone(url).post(url, {"stars": "4"})
    contract_services.report_save(
        actor=roles["provider_a"],
        report=contract.reports.get(sequence=2),
        narrative="二月（更正签到人数）",
        activities=[contract_services.ActivityInput(ACTIVITY_DAY, "职工太极拳小班", "sports", "一楼活动室", 6)],
    )
    assert phone(url).post(url, {"stars": "4"}).status_code == 302
    assert Rating.objects.count() == 6


# --- the QR code, the poster, the report's section ------------------------------------------------


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("admin", 200),
        ("evaluator", 200),
        ("auditor", 200),
        ("provider_a", 200),
        ("provider_b", 403),
        ("other_admin", 403),
        ("other_auditor", 403),
        (None, "login"),
    ],
)
def test_the_qr_code_downloads_for_the_palace_and_the_provider_only(activity, roles, client_for, role, expected):
    response = client_for(roles.get(role)).get(reverse("evaluations:activity_qr", args=[activity.pk]))
    if expected == "login":
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
        return
    assert response.status_code == expected
    if expected == 200:
        assert response["Content-Type"] == "image/svg+xml"
        assert response["Content-Disposition"] == f'attachment; filename="rating-qr-20260210-{activity.pk}.svg"'
        assert b"<svg" in response.content
    poster = client_for(roles.get(role)).get(reverse("evaluations:activity_poster", args=[activity.pk]))
    assert poster.status_code == expected


def test_the_poster_shows_the_activity_the_big_code_and_the_short_address(activity, roles, client_for, settings):
    settings.HEZUO_PUBLIC_URL = "https://hezuo.example.cn"
    body = text(client_for(roles["provider_a"]).get(reverse("evaluations:activity_poster", args=[activity.pk])))
    token = RatingLink.objects.get(activity=activity).token
    assert f"hezuo.example.cn/rate/{token}/" in body
    assert "汶上县工人文化宫" in body and TITLE in body and PLACE in body and "2026-02-10" in body
    assert "<svg" in body and "2026-02-24" in body  # the last day it takes ratings


def test_the_report_page_section_lists_ratings_for_staff_and_the_provider(url, activity, roles, rf, two_days_later):
    phone(url).post(url, {"stars": "5"})
    phone(url).post(url, {"stars": "4", "comment": "很好"})
    report = activity.report

    def section_for(user):
        request = rf.get("/")
        request.user = user
        found = [
            s
            for s in page_sections("contracts.report_detail", request, report)
            if s.template == "evaluations/rating/report_section.html"
        ]
        return found[0] if found else None, request

    assert section_for(roles["provider_b"])[0] is None
    assert section_for(roles["other_admin"])[0] is None
    for role in ("admin", "auditor", "provider_a"):
        section, request = section_for(roles[role])
        row = section.context["activities"][0]
        assert (row.ratings_count, row.ratings_avg, row.rating_closed_why) == (2, 4.5, "")
        html = render_to_string(section.template, {"section": section}, request=request)
        assert reverse("evaluations:activity_qr", args=[activity.pk]) in html
        assert reverse("evaluations:activity_poster", args=[activity.pk]) in html
        assert "4.5 ★" in html and "很好" in html


def test_a_providers_home_lists_its_activities_open_for_ratings_with_their_posters(
    url, activity, roles, client_for, two_days_later
):
    phone(url).post(url, {"stars": "5"})
    [panel] = sections.provider_rating_panels(roles["provider_a"])
    assert [(a.pk, a.ratings_count) for a in panel.context["activities"]] == [(activity.pk, 1)]
    home = text(client_for(roles["provider_a"]).get(reverse("workbench:index")))
    assert TITLE in home and reverse("evaluations:activity_poster", args=[activity.pk]) in home
    assert sections.provider_rating_panels(roles["provider_b"]) == []
    assert sections.provider_rating_panels(roles["admin"]) == []
    with time_machine.travel(at(2026, 2, 25), tick=False):  # past the window: gone from the panel
        assert sections.provider_rating_panels(roles["provider_a"]) == []


# --- the rating's transaction ---------------------------------------------------------------------


def _statements(queries) -> list[str]:
    return [q["sql"] for q in queries.captured_queries if "SAVEPOINT" not in q["sql"]]


def test_a_rating_reads_its_link_once_and_writes_in_few_statements(url, contract, two_days_later):
    phone(url).post(url, {"stars": "5"})  # the month's first rating also inserts its row
    client = phone(url)
    with CaptureQueriesContext(connection) as queries:
        assert client.post(url, {"stars": "4"}).status_code == 302
    sql = _statements(queries)
    # The link with its activity and contract, then its row locked for the attendance count.
    assert sum('"evaluations_ratinglink"' in s for s in sql) == 2
    assert not any('FROM "contracts_contract"' in s for s in sql)  # the contract comes with the link
    assert sum('UPDATE "evaluations_periodscore"' in s for s in sql) == 1  # sums, score and standing at once
    assert not any("synchronous_commit" in s for s in sql)
    assert len(sql) <= 12, sql
    period = february(contract)
    assert (period.ratings_count, period.ratings_total) == (2, 175)
    assert verify_chain().ok and AuditEvent.objects.order_by("seq").last().action == "rating.submitted"


@pytest.mark.django_db(transaction=True)
def test_an_integrity_error_other_than_a_repeat_is_not_taken_for_already_rated(url, two_days_later):
    link = find_link(url.split("/")[-2])
    link.activity.pk = 10**9  # the activity is gone: the INSERT breaks its foreign key, not the one-per-device rule
    with pytest.raises(IntegrityError):
        services.rating_submit(link=link, stars=4, comment="", device_id="a-device-id-1234567890")
    assert not Rating.objects.exists()
    assert verify_chain().ok


def test_a_rating_in_a_month_already_under_its_order_does_not_lock_the_contract(url, contract, two_days_later):
    with transaction.atomic():  # February fails on a report score of 40 alone, and is issued its order
        services.period_apply(contract=contract, day=ACTIVITY_DAY, report=Decimal(40))
    assert RectificationOrder.objects.filter(trigger="score").count() == 1
    client = phone(url)
    with CaptureQueriesContext(connection) as queries:
        assert client.post(url, {"stars": "5"}).status_code == 302
    assert not any('FROM "contracts_contract"' in s for s in _statements(queries))
    assert RectificationOrder.objects.count() == 1
    period = february(contract)
    assert (period.ratings_count, period.standing) == (1, "red")


def test_a_rating_can_be_the_first_event_of_the_audit_chain(url, two_days_later):
    client = phone(url)
    with connection.cursor() as cursor:  # a new database: no event, no chain head yet
        cursor.execute(f"DELETE FROM {AuditEvent._meta.db_table}")  # noqa: S608
        cursor.execute(f"DELETE FROM {AuditHead._meta.db_table}")  # noqa: S608
    assert client.post(url, {"stars": "5"}).status_code == 302
    assert [e.action for e in AuditEvent.objects.all()] == ["rating.submitted"]
    assert verify_chain().ok
    assert phone(url).post(url, {"stars": "4"}).status_code == 302  # the next one chains onto it
    assert AuditEvent.objects.count() == 2 and verify_chain().ok


def rate(activity: Activity, stars: int, n: int = 0):
    """One phone: opens the page (its device cookie), then posts its stars."""
    url = reverse("rate", args=[services.rating_link_for(activity).token])
    client = Client(REMOTE_ADDR=f"10.0.{n // 200}.{n % 200 + 1}")
    assert client.get(url).status_code == 200
    return client.post(url, {"stars": str(stars), "comment": "好"})


def activity_titled(contract, roles, title: str) -> Activity:
    report = contract.reports.get(sequence=2)
    contract_services.report_save(
        actor=roles["provider_a"],
        report=report,
        narrative="二月",
        activities=[contract_services.ActivityInput(ACTIVITY_DAY, title, "culture", "多功能厅", 60)],
    )
    return report.activities.get()


HOSTILE = [
    '引号"和\\反斜杠',
    "换行\n制表\t回车\r",
    "控制\x01\x1f字符",
    "表情😀与𠮷",
    "<script>alert(1)</script>",
    '公式 =HYPERLINK("http://x")',
    "长" * 240,
]


@pytest.mark.parametrize("title", HOSTILE)
def test_a_ratings_event_verifies_whatever_the_activitys_title(title, contract, roles, two_days_later):
    activity = activity_titled(contract, roles, title)
    assert rate(activity, 5, 1).status_code == 302
    assert rate(activity, 4, 2).status_code == 302
    rating = Rating.objects.latest("pk")
    event = AuditEvent.objects.latest("seq")
    assert (event.action, event.object_type, event.object_id) == (
        "rating.submitted",
        "evaluations.Rating",
        str(rating.pk),
    )
    assert event.object_repr == str(rating)[:200]
    assert event.after == {"activity": activity.pk, "stars": 4} and event.before is None
    assert (event.actor_id, event.actor_label, event.palace_id) == (None, "system", activity.palace_id)
    assert event.ip == "10.0.0.3"
    report = verify_chain()
    assert report.ok, report.problem
    period = february(contract)
    fresh = services.period_recompute(period)
    assert (period.ratings_count, period.ratings_total, period.score, period.standing) == (
        2,
        175,
        fresh.score,
        fresh.standing,
    )


@pytest.mark.django_db(transaction=True)
def test_the_rating_that_fails_the_month_issues_the_order_once(contract, roles, two_days_later):
    activity = activity_titled(contract, roles, "职工健身操")
    for n in range(scoring.SATISFACTION_MIN_RATINGS - 1):  # 29 ratings of one star: too few to count yet
        assert rate(activity, 1, n).status_code == 302
    assert february(contract).score is None and not RectificationOrder.objects.exists()

    assert rate(activity, 1, 99).status_code == 302  # the 30th: satisfaction 0 counts, the month fails
    period = february(contract)
    assert (period.ratings_count, period.score, period.standing) == (30, Decimal("0.00"), "red")
    order = RectificationOrder.objects.get()
    assert (order.period_id, order.trigger) == (period.pk, RectificationOrder.Trigger.SCORE)
    contract.refresh_from_db()
    assert contract.state == contract.State.RECTIFICATION

    assert rate(activity, 1, 100).status_code == 302  # under its order already: no second order
    assert RectificationOrder.objects.count() == 1 and february(contract).ratings_count == 31
    fresh = services.period_recompute(february(contract))
    assert (fresh.ratings_total, fresh.score) == (february(contract).ratings_total, february(contract).score)
    assert verify_chain().ok


@pytest.mark.django_db(transaction=True)
def test_a_rating_of_a_closed_month_issues_its_summary_again(contract, roles, two_days_later):
    activity = activity_titled(contract, roles, "职工合唱团")
    assert rate(activity, 5, 1).status_code == 302
    PeriodScore.objects.filter(pk=february(contract).pk).update(closed=True)
    summaries = IssuedDocument.objects.filter(kind=IssuedDocument.Kind.MONTHLY_SUMMARY)
    assert not summaries.exists()
    assert rate(activity, 3, 2).status_code == 302
    assert february(contract).ratings_count == 2
    assert summaries.count() == 1
    assert verify_chain().ok


def _synchronous_commit() -> str:
    # Straight on the driver's connection: Django's cursor wrappers (and the capture) are not involved.
    with connection.connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        return cursor.fetchone()[0]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="synchronous_commit is PostgreSQL's")
@pytest.mark.django_db(transaction=True)
def test_a_ratings_own_transaction_commits_durably(contract, roles, two_days_later):
    activity = activity_titled(contract, roles, "职工读书会")
    token = services.rating_link_for(activity).token
    services.rating_submit(token=token, stars=5, comment="", device_id="first-device-0123456789")  # the month's row
    seen = []

    def at_the_months_write(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        if sql.startswith('UPDATE "evaluations_periodscore"'):  # the rating's last statement before COMMIT
            seen.append((connection.in_atomic_block, _synchronous_commit()))
        return result

    assert connection.get_autocommit()  # no caller's transaction: the rating's is its own
    with connection.execute_wrapper(at_the_months_write):
        services.rating_submit(token=token, stars=4, comment="", device_id="second-device-0123456789")
    assert seen == [(True, "on")]
    assert _synchronous_commit() == "on"
    assert february(contract).ratings_count == 2


def test_a_rating_inside_a_callers_transaction_is_part_of_it(contract, roles, two_days_later):
    activity = activity_titled(contract, roles, "职工象棋赛")
    token = services.rating_link_for(activity).token
    services.rating_submit(token=token, stars=5, comment="", device_id="first-device-0123456789")
    with transaction.atomic():
        rating = services.rating_submit(token=token, stars=4, comment="", device_id="second-device-0123456789")
        with pytest.raises(DomainError) as again:  # a replay inside the caller's transaction leaves it usable
            services.rating_submit(token=token, stars=1, comment="", device_id="second-device-0123456789")
        assert str(again.value) == str(ERR_ALREADY)
        if connection.vendor == "postgresql":
            assert _synchronous_commit() == "on"
        assert february(contract).ratings_count == 2
    assert Rating.objects.get(pk=rating.pk).stars == 4
    assert february(contract).ratings_count == 2 and verify_chain().ok


def test_a_forged_or_expired_link_is_refused_by_the_service_and_stores_nothing(contract, roles):
    activity = activity_titled(contract, roles, "职工摄影展")
    token = services.rating_link_for(activity).token
    for forged in ["no-such-token", "", "x" * 80, str(activity.pk)]:
        with pytest.raises(DomainError) as refused:
            services.rating_submit(
                token=forged, stars=5, comment="", device_id="a-device-0123456789", now=at(2026, 2, 12)
            )
        assert str(refused.value) == str(ERR_LINK)
    with pytest.raises(DomainError) as refused:
        services.rating_submit(token=token, stars=5, comment="", device_id="a-device-0123456789", now=at(2026, 2, 25))
    assert str(refused.value) == str(ERR_TOO_OLD % {"days": 14})
    assert not Rating.objects.exists() and not PeriodScore.objects.filter(ratings_count__gt=0).exists()


@pytest.mark.parametrize("stars", [True, 0, 6, "5", 4.0])
def test_only_a_whole_number_of_stars_from_1_to_5_is_a_rating(stars, contract, roles, two_days_later):
    activity = activity_titled(contract, roles, "职工象棋赛")
    token = services.rating_link_for(activity).token
    with pytest.raises(DomainError) as refused:
        services.rating_submit(token=token, stars=stars, comment="", device_id="a-device-0123456789")
    assert refused.value.field == "stars"
    assert not Rating.objects.exists()


# --- the page's hot path: plainly valid input is what the form accepts -------------------------------


@settings(max_examples=500)
@given(
    stars=st.sampled_from(["1", "3", "5", "0", "6", " 4", "4.0", "", "x", "٣"]) | st.text(max_size=3),
    comment=st.text(max_size=520) | st.sampled_from(["", "  好  ", "\x00", "a\x00b", " " * 600, "字" * 500]),
)
def test_what_passes_the_hot_path_is_what_the_form_accepts_with_the_same_values(stars, comment):
    data = QueryDict(mutable=True)
    data.update({"stars": stars, "comment": comment})
    quick = plainly_valid(data)
    if quick is not None:
        form = RatingForm(data)
        assert form.is_valid(), form.errors
        assert quick == (form.cleaned_data["stars"], form.cleaned_data["comment"])
