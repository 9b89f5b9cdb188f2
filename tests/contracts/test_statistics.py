"""The palace statistics page: what counts, by category and month, who may see which palace, and its cost."""

import csv
import io
from datetime import date, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import openpyxl
import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from contracts import services, statistics
from contracts.models import Activity, ServiceReport
from core.models import Palace, Role
from tests.contract_builders import active_contract
from tests.factories import ProviderFactory, UserFactory, provider_user, staff

pytestmark = pytest.mark.django_db

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 21, 10, 0, tzinfo=SH)
URL = reverse("contracts:statistics")


@pytest.fixture
def on_day():
    with time_machine.travel(NOW, tick=False):
        yield NOW.date()


def _rows(report: ServiceReport, *pairs) -> list[services.ActivityInput]:
    """Activities from (day of the period, category, participants)."""
    return [
        services.ActivityInput(report.period_start + timedelta(days=day), f"活动{i}", category, "多功能厅", n)
        for i, (day, category, n) in enumerate(pairs, start=1)
    ]


def _deliver(report, provider_user, reviewer, rows, outcome: str) -> None:
    """Take the report to ``outcome``: draft, submitted, accepted or returned, through the services."""
    services.report_save(actor=provider_user, report=report, narrative="本月按计划开展活动。", activities=rows)
    if outcome == "draft":
        return
    report = services.report_submit(actor=provider_user, report=report)
    if outcome == "accepted":
        services.report_review(actor=reviewer, report=report, accept=True, score=Decimal(90))
    elif outcome == "returned":
        services.report_review(actor=reviewer, report=report, accept=False, comment="请补充签到表")


@pytest.fixture
def delivered(roles, wenshang, foshan, on_day):
    """A Wenshang contract from 2026-01-01 whose reports are in every state, and one Foshan contract."""
    users = roles
    contract = active_contract(
        palace=wenshang, provider=users["provider_a"].provider, provider_user=users["provider_a"], admin=users["admin"]
    )
    reports = {r.sequence: r for r in contract.reports.all()}
    # January and March accepted, May submitted: these count.
    _deliver(
        reports[1],
        users["provider_a"],
        users["admin"],
        _rows(reports[1], (3, "training", 40), (10, "training", 60), (17, "culture", 300)),
        "accepted",
    )
    _deliver(
        reports[3],
        users["provider_a"],
        users["evaluator"],
        _rows(reports[3], (5, "sports", 1200), (20, "training", 50)),
        "accepted",
    )
    _deliver(reports[5], users["provider_a"], users["admin"], _rows(reports[5], (9, "culture", 250)), "submitted")
    # February returned and April a draft: these do not.
    _deliver(reports[2], users["provider_a"], users["admin"], _rows(reports[2], (1, "training", 999)), "returned")
    _deliver(reports[4], users["provider_a"], users["admin"], _rows(reports[4], (1, "sports", 888)), "draft")
    # Nor does another palace's accepted report.
    fs_provider = ProviderFactory(palace=foshan, verified=True)
    fs_user = provider_user(fs_provider, "t-fs-prov")
    fs_admin = staff(foshan, Role.ADMIN, "t-fs-admin-2")
    other = active_contract(palace=foshan, provider=fs_provider, provider_user=fs_user, admin=fs_admin)
    first = other.reports.get(sequence=1)
    _deliver(first, fs_user, fs_admin, _rows(first, (2, "training", 777)), "accepted")
    return SimpleNamespace(contract=contract, other=other)


# --- the figures ----------------------------------------------------------------------------------


def test_only_submitted_and_accepted_activities_of_the_palace_count(delivered, wenshang):
    stats = statistics.palace_statistics(palace=wenshang, start=date(2026, 1, 1), end=date(2026, 12, 31))
    by = {c.category: c for c in stats.categories}
    assert (by["training"].activities, by["training"].participants) == (3, 150)
    assert (by["culture"].activities, by["culture"].participants, by["culture"].awaiting_review) == (2, 550, 1)
    assert (by["sports"].activities, by["sports"].participants) == (1, 1200)
    assert by["health"].activities == 0 and by["legal_aid"].participants == 0
    assert (stats.activities, stats.participants, stats.awaiting_review, stats.contracts) == (6, 1900, 1, 1)
    assert by["training"].contracts == 1 and by["training"].average == 50


def test_the_trend_has_every_month_of_the_period_with_zeros(delivered, wenshang):
    stats = statistics.palace_statistics(palace=wenshang, start=date(2025, 12, 15), end=date(2026, 6, 10))
    assert [t.start for t in stats.trend] == [date(2025, 12, 1)] + [date(2026, m, 1) for m in range(1, 7)]
    assert stats.trend[0].label == "2025-12" and not stats.yearly
    trend = {t.start.month: (t.activities, t.participants, t.by_category) for t in stats.trend}
    assert trend[1] == (3, 400, {"training": 2, "culture": 1})
    assert trend[2] == (0, 0, {})  # the returned report
    assert trend[3] == (2, 1250, {"sports": 1, "training": 1})
    assert trend[4] == (0, 0, {})  # the draft
    assert trend[5] == (1, 250, {"culture": 1})
    assert sum(t.activities for t in stats.trend) == stats.activities
    # Each month's cells follow the categories that have data, in their order.
    assert [c.category for c in stats.categories_with_data] == ["training", "culture", "sports"]
    assert stats.trend[1].cells == [2, 1, 0]
    assert stats.trend_totals == [3, 2, 1]


def test_the_period_bounds_are_inclusive(delivered, wenshang):
    # January's activities fall on the 4th, 11th and 18th.
    stats = statistics.palace_statistics(palace=wenshang, start=date(2026, 1, 4), end=date(2026, 1, 11))
    assert (stats.activities, stats.participants) == (2, 100)


def test_the_page_shows_the_table_the_trend_and_the_counting_rule(delivered, wenshang, client_for, roles):
    response = client_for(roles["auditor"]).get(URL, {"start": "2026-01-01", "end": "2026-12-31"})
    assert response.status_code == 200
    body = response.content.decode()
    stats = response.context["stats"]
    assert stats.palace == wenshang and (stats.activities, stats.participants) == (6, 1900)
    assert "1,900" in body and "<svg" in body and "<title" in body
    assert "2026-05" in body and body.count("<svg") == 2
    assert list(response.context["counted_states"]) == [ServiceReport.State.SUBMITTED, ServiceReport.State.ACCEPTED]


@pytest.mark.parametrize("lang", ["zh-hans", "en"])
def test_the_page_renders_in_both_languages(delivered, client_for, roles, lang):
    client = client_for(roles["admin"])
    client.cookies["django_language"] = lang
    response = client.get(URL, {"start": "2026-01-01", "end": "2026-12-31"}, HTTP_ACCEPT_LANGUAGE=lang)
    assert response.status_code == 200
    assert response.content.decode().count("<svg") == 2


# --- the period -----------------------------------------------------------------------------------


def test_the_default_period_is_the_last_twelve_months_up_to_today(roles, client_for, on_day):
    response = client_for(roles["admin"]).get(URL)
    stats = response.context["stats"]
    assert (stats.start, stats.end) == (date(2025, 12, 1), date(2026, 11, 21))
    assert len(stats.trend) == 12
    presets = {p["label"]: p for p in response.context["presets"]}
    assert len(presets) == 3 and sum(p["active"] for p in presets.values()) == 1


def test_a_start_after_the_end_is_refused_with_a_message(roles, client_for, on_day):
    response = client_for(roles["admin"]).get(URL, {"start": "2026-06-01", "end": "2026-05-31"})
    assert response.status_code == 200 and response.context["stats"] is None
    assert str(statistics.ERR_ORDER % {"start": "2026-06-01", "end": "2026-05-31"}) in response.content.decode()


def test_a_period_of_more_than_ten_years_is_refused(roles, client_for, on_day):
    client = client_for(roles["admin"])
    response = client.get(URL, {"start": "2016-01-01", "end": "2026-01-01"})
    assert response.context["stats"] is None
    assert str(statistics.ERR_TOO_LONG % {"years": 10}) in response.content.decode()
    response = client.get(URL, {"start": "2016-01-01", "end": "2025-12-31"})
    assert response.context["stats"] is not None


def test_a_period_of_more_than_three_years_trends_per_year(delivered, wenshang):
    stats = statistics.palace_statistics(palace=wenshang, start=date(2023, 7, 1), end=date(2026, 11, 21))
    assert stats.yearly and [t.label for t in stats.trend] == ["2023", "2024", "2025", "2026"]
    assert [t.activities for t in stats.trend] == [0, 0, 0, 6] and stats.trend[3].participants == 1900
    within = statistics.palace_statistics(palace=wenshang, start=date(2023, 12, 1), end=date(2026, 11, 30))
    assert not within.yearly and len(within.trend) == 36


def test_a_malformed_date_is_a_form_error_not_a_crash(roles, client_for, on_day):
    response = client_for(roles["admin"]).get(URL, {"start": "2026-13-45"})
    assert response.status_code == 200 and response.context["stats"] is None
    assert response.context["form"].errors["start"]


# --- who may see which palace ---------------------------------------------------------------------


def test_providers_are_refused_and_visitors_sent_to_log_in(roles, client_for):
    assert client_for(roles["provider_a"]).get(URL).status_code == 403
    response = client_for().get(URL)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_another_palaces_auditor_can_neither_pick_nor_forge_this_palace(roles, wenshang, foshan, client_for):
    client = client_for(roles["other_auditor"])
    response = client.get(URL)
    assert response.status_code == 200 and response.context["stats"].palace == foshan
    assert list(response.context["form"].fields["palace"].queryset) == [foshan]
    assert wenshang.name not in response.content.decode()
    assert client.get(URL, {"palace": wenshang.pk}).status_code == 403
    assert client.get(URL, {"palace": wenshang.pk, "export": "csv"}).status_code == 403
    missing = Palace.objects.order_by("-pk").first().pk + 100
    assert client.get(URL, {"palace": missing}).status_code == 404
    assert client.get(URL, {"palace": "1 OR 1=1"}).status_code == 404


def test_staff_of_both_palaces_and_the_superuser_choose_between_them(roles, wenshang, foshan, client_for):
    root = UserFactory(username="t-root-stats", is_superuser=True, is_staff=True)
    response = client_for(root).get(URL, {"palace": wenshang.pk})
    assert response.status_code == 200 and response.context["stats"].palace == wenshang
    assert set(response.context["form"].fields["palace"].queryset) == {wenshang, foshan}


# --- cost -----------------------------------------------------------------------------------------


def _bulk_activities(report: ServiceReport, n: int) -> None:
    categories = ["training", "culture", "sports", "health"]
    Activity.objects.bulk_create(
        [
            Activity(
                report=report,
                contract_id=report.contract_id,
                palace_id=report.contract.palace_id,
                date=date(2026, 1 + k % 10, 1 + k % 28),
                title=f"活动{k}",
                category=categories[k % 4],
                place="多功能厅",
                participants=10 + k % 90,
            )
            for k in range(n)
        ],
        batch_size=1000,
    )


def test_the_page_costs_the_same_queries_for_10_and_2000_activities(roles, wenshang, client_for, on_day):
    contract = active_contract(
        palace=wenshang, provider=roles["provider_a"].provider, provider_user=roles["provider_a"], admin=roles["admin"]
    )
    report = contract.reports.get(sequence=1)
    ServiceReport.objects.filter(pk=report.pk).update(state=ServiceReport.State.ACCEPTED)
    client = client_for(roles["admin"])
    params = {"start": "2026-01-01", "end": "2026-12-31"}
    counts = []
    for total in (10, 2000):
        _bulk_activities(report, total - Activity.objects.count())
        client.get(URL, params)  # warm the session and the shell's caches alike
        with CaptureQueriesContext(connection) as queries:
            response = client.get(URL, params)
        assert response.context["stats"].activities == total
        counts.append(len(queries))
        aggregates = [q["sql"] for q in queries.captured_queries if "contracts_activity" in q["sql"]]
        assert len(aggregates) == 2, aggregates
    assert counts[0] == counts[1], counts


# --- export and charts ----------------------------------------------------------------------------


def test_the_tables_export_to_csv_and_xlsx(delivered, roles, client_for):
    client = client_for(roles["admin"])
    params = {"start": "2026-01-01", "end": "2026-12-31"}
    response = client.get(URL, {**params, "export": "csv"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert len(rows) == 1 + 6 + 1  # header, six categories, total
    assert rows[-1][1:3] == ["6", "1900"]
    response = client.get(URL, {**params, "export": "xlsx"})
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert len(book.worksheets) == 2
    by_month = list(book.worksheets[1].values)
    assert len(by_month) == 1 + 12 + 1 and by_month[-1][-2:] == (6, 1900)
    assert by_month[1][0] == "2026-01" and by_month[5][1:] == (0, 1, 0, 1, 250)


def test_exported_text_cannot_run_as_a_formula(wenshang):
    row = statistics.CategoryRow(
        category="other", label='=HYPERLINK("x")', activities=1, participants=2, awaiting_review=0, contracts=1
    )
    stats = statistics.PalaceStatistics(
        palace=wenshang, start=date(2026, 1, 1), end=date(2026, 1, 31), categories=[row], trend=[], contracts=1
    )
    from contracts.views_stats import _export

    body = _export(stats, "csv").content.decode("utf-8-sig")
    assert "'=HYPERLINK" in body


def test_the_charts_are_accessible_svg_with_escaped_labels(wenshang):
    evil = statistics.CategoryRow(
        category="culture",
        label="<script>alert(1)</script>&",
        activities=5,
        participants=600,
        awaiting_review=0,
        contracts=1,
    )
    month = statistics.TrendRow(
        start=date(2026, 3, 1), label="2026-03", activities=5, participants=600, by_category={"culture": 5}, cells=[5]
    )
    stats = statistics.PalaceStatistics(
        palace=wenshang, start=date(2026, 3, 1), end=date(2026, 3, 31), categories=[evil], trend=[month], contracts=1
    )
    for svg in (statistics.category_chart(stats), statistics.trend_chart(stats)):
        assert svg.startswith("<svg") and 'role="img"' in svg and "<title" in svg and "<desc" in svg
        assert "<script>" not in svg and "&lt;script&gt;" in svg
    assert "2026-03" in statistics.trend_chart(stats)


def test_the_axis_ceiling_is_a_round_number():
    assert statistics._nice_ceiling(0) == (1, 1)
    assert statistics._nice_ceiling(7) == (8, 2)
    assert statistics._nice_ceiling(19) == (20, 5)
    assert statistics._nice_ceiling(1234) == (1500, 500)
