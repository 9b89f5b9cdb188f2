"""The standing of contracts as users see it: a contract's score and its trend, the board, the provider's
scores and the home panels.

Pages render in Chinese by default. Sentences this area owns are compared with their
constants rendered in the page's language, so the tests hold before and after the lead
translates them.
"""

import html
import re
from datetime import date, datetime
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

import evaluations.standing.sections  # noqa: F401  (registers the contract page's section and the home panels)
from contracts import services as contract_services
from core.registry import page_sections
from evaluations import services
from evaluations.models import PeriodScore, RectificationOrder
from evaluations.realtime import charts
from evaluations.standing import selectors as selectors
from tests.contract_builders import active_contract, draft_contract

pytestmark = pytest.mark.django_db

NOW = timezone.make_aware(datetime(2026, 3, 20, 10))  # a Friday; the contracts run 2026-01-01 – 2026-12-31


def at(y, m, d, h=10):
    return timezone.make_aware(datetime(y, m, d, h))


def zh(msgid: str, **params) -> str:
    """A sentence as the Chinese page shows it (the English msgid until the lead translates it)."""
    with translation.override("zh-hans"):
        text = str(translation.gettext(msgid) if isinstance(msgid, str) else msgid)
        return text % params if params else text


def zh_n(message, **params) -> str:
    with translation.override("zh-hans"):
        return str(message % params)


def page(response) -> str:
    assert response.status_code == 200, response.status_code
    return html.unescape(response.content.decode())


@pytest.fixture
def today():
    with time_machine.travel(NOW, tick=False):
        yield NOW.date()


@pytest.fixture
def contract(today, roles, wenshang):
    return active_contract(
        palace=wenshang,
        provider=roles["provider_a"].provider,
        provider_user=roles["provider_a"],
        admin=roles["admin"],
        starts_on=date(2026, 1, 1),
    )


@pytest.fixture
def checklist(roles, wenshang):
    return services.checklist_create(
        actor=roles["admin"],
        palace_id=wenshang.pk,
        category="training",
        name="培训服务现场检查表",
        items=[
            services.ChecklistItemInput("师资到位、按课表授课", Decimal(40)),
            services.ChecklistItemInput("场地安全、消防通道畅通", Decimal(30)),
            services.ChecklistItemInput("签到记录真实完整", Decimal(30)),
        ],
    )


def inspect(roles, contract, checklist, day, points, inspector="evaluator"):
    inspection = services.inspection_assign(
        actor=roles["admin"],
        contract=contract,
        checklist=checklist,
        inspector=roles[inspector],
        due_on=day,
        now=at(day.year, day.month, 1),
    )
    items = {
        item.pk: services.ItemScoreInput(Decimal(p), "签到表缺页" if p < 60 else "")
        for item, p in zip(checklist.items.all(), points, strict=True)
    }
    return services.inspection_submit(
        actor=roles[inspector],
        inspection=inspection,
        items=items,
        inspected_on=day,
        notes="现场检查",
        now=at(day.year, day.month, day.day, 15),
    )


def rate(roles, contract, day, count, stars=5, first=0):
    """``count`` workers rate an activity of ``day`` the day after, each from their own phone."""
    report = contract.reports.get(period_start__lte=day, period_end__gte=day)
    contract_services.report_save(
        actor=roles["provider_a"],
        report=report,
        narrative="本月活动",
        activities=[contract_services.ActivityInput(day, "职工安全培训", "training", "一楼教室", 40)],
    )
    token = services.rating_link_for(report.activities.get()).token
    for k in range(first, first + count):
        services.rating_submit(
            token=token, stars=stars, comment="", device_id=f"phone-{k}", now=at(day.year, day.month, day.day + 1, 19)
        )


def score_url(contract):
    return reverse("evaluations:contract_score", args=[contract.pk])


# --- a contract's score -------------------------------------------------------------------------


def test_the_score_page_shows_the_months_composition_and_says_satisfaction_is_shared_out(
    roles, contract, checklist, client_for
):
    inspect(roles, contract, checklist, date(2026, 3, 3), [90, 80, 86])  # 85.80
    rate(roles, contract, date(2026, 3, 5), 12)
    body = page(client_for(roles["admin"]).get(score_url(contract)))
    assert "85.80" in body
    # Twelve ratings do not count yet: the page says so in plain words, and why the weights moved.
    assert zh_n(selectors.MSG_TOO_FEW_RATINGS, count=12, minimum=30) in body
    assert zh("No input yet") in body  # no report score, no KPI progress this month
    table = body[body.index("hz-score-table") : body.index("</table>", body.index("hz-score-table"))]
    rows = re.findall(
        r"<tr><td>(.*?)</td>\s*<td class=\"hz-num\">(.*?)</td>.*?<td class=\"hz-num\">(.*?)</td>\s*"
        r"<td class=\"hz-num\">(.*?)</td></tr>",
        table,
        re.S,
    )
    inspections = rows[0]
    assert inspections[1] == "85.80" and inspections[2] == "40" and inspections[3].strip() == "100"
    satisfaction = rows[2]
    assert satisfaction[1] == "100.00" and satisfaction[2] == "30"
    assert zh("fewer than 30 ratings: shared out") in satisfaction[3]  # applied: 0, its 30 struck through
    # The standing: a chip with a word, not colour alone.
    assert 'hz-standing hz-standing--green hz-standing--big">' + zh("Good") in body

    # Eighteen more: thirty ratings, so satisfaction counts at its weight, 40 : 30 renormalised.
    rate(roles, contract, date(2026, 3, 5), 18, first=12)
    body = page(client_for(roles["admin"]).get(score_url(contract)))
    assert zh_n(selectors.MSG_TOO_FEW_RATINGS, count=30, minimum=30) not in body
    assert "91.89" in body  # (85.80 × 40 + 100 × 30) ÷ 70
    assert ">57.14<" in body and ">42.86<" in body


def test_a_red_line_fails_the_month_in_words_and_on_the_trend(roles, contract, checklist, client_for):
    inspect(roles, contract, checklist, date(2026, 2, 10), [90, 90, 90])
    inspect(roles, contract, checklist, date(2026, 3, 3), [95, 95, 95])
    services.red_line_record(
        actor=roles["evaluator"],
        contract=contract,
        category="charging",
        occurred_on=date(2026, 3, 9),
        description="向参训职工收取资料费每人 50 元",
        now=at(2026, 3, 9),
    )
    body = page(client_for(roles["provider_a"]).get(score_url(contract)))
    assert "95.00" in body
    assert zh("Failing") + " · " + zh("red line") in body
    assert zh_n(selectors.MSG_RED_LINE, count=1) in body
    order = RectificationOrder.objects.get(contract=contract)
    assert order.number in body and reverse("evaluations:order", args=[order.pk]) in body
    # The trend: January (no score), February (green), March (red, marked "red line").
    svg = body[body.index('<svg class="hz-chart"') : body.index("</svg>", body.index('<svg class="hz-chart"'))]
    assert re.findall(r'data-month="([\d-]+)" data-standing="(\w+)"', svg) == [
        ("2026-01", "none"),
        ("2026-02", "green"),
        ("2026-03", "red"),
    ]
    assert "hz-chart__redline" in svg and zh("red line") in svg
    # The provider is not offered the staff's actions.
    assert reverse("evaluations:red_line_record", args=[contract.pk]) not in body


def _score_sections(user, contract):
    request = RequestFactory().get("/")
    request.user = user
    return [
        s
        for s in page_sections("contracts.contract_detail", request, contract)
        if s.template == "evaluations/dashboards/section_score.html"
    ]


def test_the_contract_page_shows_the_score_section_once_the_contract_is_in_force(
    roles, wenshang, contract, checklist, client_for
):
    inspect(roles, contract, checklist, date(2026, 3, 3), [90, 80, 86])
    body = page(client_for(roles["auditor"]).get(reverse("contracts:contract_detail", args=[contract.pk])))
    section = body[body.index('<div class="hz-card" id="score">') :]
    assert zh("Real-time score") in section and "85.80" in section and zh("Good") in section
    assert '<svg class="hz-chart"' in section and score_url(contract) in section
    (rendered,) = _score_sections(roles["provider_a"], contract)
    assert "85.80" in render_to_string(rendered.template, {"section": rendered})
    # A draft has no score section; nor does anyone who may not see the contract.
    draft = draft_contract(palace=wenshang, provider=roles["provider_b"].provider)
    assert not _score_sections(roles["admin"], draft)
    assert not _score_sections(roles["provider_b"], contract)


def test_only_staff_who_may_act_are_offered_to_assign_an_inspection_or_record_a_red_line(roles, contract, client_for):
    assign = reverse("evaluations:inspection_assign", args=[contract.pk])
    red_line = reverse("evaluations:red_line_record", args=[contract.pk])
    admin = page(client_for(roles["admin"]).get(score_url(contract)))
    assert assign in admin and red_line in admin
    evaluator = page(client_for(roles["evaluator"]).get(score_url(contract)))
    assert assign not in evaluator and red_line in evaluator
    for reader in ("auditor", "provider_a"):
        body = page(client_for(roles[reader]).get(score_url(contract)))
        assert assign not in body and red_line not in body


# --- the charts ---------------------------------------------------------------------------------


def test_the_trend_has_a_point_per_month_and_escapes_its_text():
    points = [
        charts.TrendPoint(date(2026, m, 1), Decimal(s) if s is not None else None, st, red_lines=r)
        for m, s, st, r in [
            (1, 86, "green", 0),
            (2, None, "none", 0),
            (3, 52, "red", 0),
            (4, 91, "red", 1),
            (5, 70, "amber", 0),
        ]
    ]
    svg = str(charts.trend_chart(points, title='<script>alert("x")</script> 书法 & 诵读'))
    assert svg.count('class="hz-chart__point"') == 5
    assert re.findall(r'data-month="([\d-]+)"', svg) == ["2026-01", "2026-02", "2026-03", "2026-04", "2026-05"]
    assert "<script>" not in svg and "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; 书法 &amp; 诵读" in svg
    assert svg.count("<title") == 1 + 5 + 1  # the chart, each month, the red-line stripe
    assert ">60</text>" in svg and ">80</text>" in svg  # the pass mark and the green line, labelled
    assert svg.count("hz-chart__redline") == 1
    assert 'role="img"' in svg and 'aria-labelledby="trend-title trend-desc"' in svg
    # The line breaks at the month with no score: two segments.
    path = re.search(r'<path d="([^"]+)"', svg).group(1)
    assert path.count("M") == 2 and path.count("L") == 2
    spark = str(charts.sparkline(points))
    assert spark.count("<polyline") == 1 and "86, 52, 91, 70" in spark and "#c77700" in spark  # last: amber


@pytest.mark.parametrize(
    ("score", "label"),
    [
        ("79.66", "79.6"),
        ("59.99", "59.9"),
        ("80.00", "80"),
        ("60.04", "60"),
        ("100.00", "100"),
        ("0.00", "0"),
        ("72.50", "72.5"),
    ],
)
def test_a_months_label_on_the_chart_never_reaches_a_line_its_score_did_not(score, label):
    point = charts.TrendPoint(date(2026, 3, 1), Decimal(score), "amber")
    svg = str(charts.trend_chart([point], title="走势"))
    assert re.search(r'class="hz-chart__value">([^<]+)<', svg).group(1) == label
    assert f"2026-03 {label}" in svg and label in str(charts.sparkline([point]))


def test_a_project_name_with_markup_is_escaped_on_the_score_page(roles, contract, client_for):
    contract.project.name = "<b>职工</b>培训"
    contract.project.save()
    raw = client_for(roles["admin"]).get(score_url(contract)).content.decode()
    assert "<b>职工</b>" not in raw and "&lt;b&gt;职工&lt;/b&gt;培训" in raw


# --- the administrator's board ------------------------------------------------------------------


def _board_contracts(roles, wenshang, checklist, n, start=0):
    provider, user = roles["provider_a"].provider, roles["provider_a"]
    for i in range(start, start + n):
        c = active_contract(
            palace=wenshang,
            provider=provider,
            provider_user=user,
            admin=roles["admin"],
            starts_on=date(2026, 1, 1),
            number=f"WS-T-{i:03d}",
        )
        inspect(roles, c, checklist, date(2026, 2, 10), [85, 85, 85])
        inspect(roles, c, checklist, date(2026, 3, 10), [50, 60, 70] if i % 3 == 0 else [88, 80, 90])
        if i % 4 == 1:
            services.red_line_record(
                actor=roles["evaluator"],
                contract=c,
                category="safety",
                occurred_on=date(2026, 3, 12),
                description="消防通道堵塞",
                now=at(2026, 3, 12),
            )
        if i % 5 == 2:
            services.inspection_assign(
                actor=roles["admin"],
                contract=c,
                checklist=checklist,
                inspector=roles["evaluator"],
                due_on=date(2026, 3, 24),
            )


def test_the_board_reads_in_the_same_number_of_queries_for_5_or_40_contracts(
    roles, wenshang, today, checklist, client_for, django_assert_max_num_queries
):
    client = client_for(roles["admin"])
    client.get(reverse("evaluations:dashboard"))  # the session, the calendar: warm
    _board_contracts(roles, wenshang, checklist, 5)
    with CaptureQueriesContext(connection) as five:
        body = page(client.get(reverse("evaluations:dashboard")))
    assert body.count('<svg class="hz-spark"') == 5
    _board_contracts(roles, wenshang, checklist, 35, start=5)
    with django_assert_max_num_queries(len(five.captured_queries)):
        body = page(client.get(reverse("evaluations:dashboard")))
    assert body.count('<svg class="hz-spark"') == 40
    assert len(five.captured_queries) <= 15


def test_the_board_shows_each_contracts_standing_orders_and_deadlines(
    roles, wenshang, foshan, today, checklist, client_for
):
    _board_contracts(roles, wenshang, checklist, 6)
    body = page(client_for(roles["auditor"]).get(reverse("evaluations:dashboard")))
    counts = {
        s: PeriodScore.objects.filter(month=date(2026, 3, 1), standing=s).count() for s in ("green", "amber", "red")
    }
    assert counts == {"green": 2, "amber": 0, "red": 4}  # 0 and 3 score 59.00; 1 and 5 have a red line
    for standing, word in (("red", "Failing"), ("green", "Good")):
        assert f'hz-standing hz-standing--{standing}" href="?standing={standing}' in body
        assert f"{zh(word)} {counts[standing]}" in body
    # Worst first: the failing contracts lead the table, the lowest score first.
    table = body.split('id="deadlines"')[0]
    assert list(dict.fromkeys(re.findall(r"WS-T-\d{3}", table))) == [
        "WS-T-000",
        "WS-T-003",
        "WS-T-001",
        "WS-T-005",
        "WS-T-002",
        "WS-T-004",
    ]
    # Orders due within five working days (2026-03-27) are listed with their deadline; so are inspections.
    orders = RectificationOrder.objects.filter(state="open", deadline__lte=date(2026, 3, 27))
    assert orders.exists()
    deadlines = body[body.index('id="deadlines"') :]
    for order in orders:
        assert order.number in deadlines and f"{order.deadline:%Y-%m-%d}" in deadlines
    assert "2026-03-24" in deadlines  # WS-T-002's assigned inspection
    # Filtered to red, only the failing contracts.
    red = page(client_for(roles["admin"]).get(reverse("evaluations:dashboard") + "?standing=red&sort=-score"))
    assert list(dict.fromkeys(re.findall(r"WS-T-\d{3}", red.split('id="deadlines"')[0]))) == [
        "WS-T-001",
        "WS-T-005",
        "WS-T-000",
        "WS-T-003",
    ]
    # The other palace's administrator sees none of Wenshang's contracts.
    other = page(client_for(roles["other_admin"]).get(reverse("evaluations:dashboard")))
    assert "WS-T-" not in other


# --- the provider's scores ------------------------------------------------------------------------


def test_the_provider_sees_its_scores_and_what_an_open_order_asks_by_when(roles, contract, checklist, client_for):
    inspect(roles, contract, checklist, date(2026, 3, 10), [30, 40, 20])  # 30.00: fails, an order is issued
    order = RectificationOrder.objects.get(contract=contract)
    body = page(client_for(roles["provider_a"]).get(reverse("evaluations:provider_scores")))
    assert contract.number in body and "30.00" in body and zh("Failing") in body
    assert order.number in body and reverse("evaluations:order", args=[order.pk]) in body
    assert order.deadline.strftime("%Y-%m-%d") in body  # 10 working days from 2026-03-10: 2026-03-24
    assert order.deadline == date(2026, 3, 24)
    assert zh("Answer the order") in body
    # Another provider sees neither the contract nor the order.
    other = page(client_for(roles["provider_b"]).get(reverse("evaluations:provider_scores")))
    assert contract.number not in other and order.number not in other


# --- home panels ----------------------------------------------------------------------------------


def test_home_panels_for_the_administrator_the_evaluator_and_the_provider(
    roles, wenshang, contract, checklist, client_for
):
    inspect(roles, contract, checklist, date(2026, 3, 10), [30, 40, 20])
    services.inspection_assign(
        actor=roles["admin"],
        contract=contract,
        checklist=checklist,
        inspector=roles["evaluator"],
        due_on=date(2026, 3, 26),
    )
    home = reverse("workbench:index")
    admin = page(client_for(roles["admin"]).get(home))
    assert zh("Standing of contracts") in admin and reverse("evaluations:dashboard") + "?standing=red" in admin
    evaluator = page(client_for(roles["evaluator"]).get(home))
    assert zh("My inspections") in evaluator and reverse("evaluations:inbox") in evaluator
    inspection = contract.inspections.get(state="assigned")
    assert reverse("evaluations:inspection", args=[inspection.pk]) in evaluator and "03-26" in evaluator
    provider = page(client_for(roles["provider_a"]).get(home))
    order = RectificationOrder.objects.get(contract=contract)
    assert reverse("evaluations:order", args=[order.pk]) in provider and "2026-03-24" in provider
    assert order.number not in page(client_for(roles["provider_b"]).get(home))
