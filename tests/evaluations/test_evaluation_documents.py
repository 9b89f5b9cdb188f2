"""The PDFs of real-time evaluation, read back as text: the rectification notice and the monthly summary."""

from datetime import date, datetime
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone
from pypdf import PdfReader

from contracts import services as contract_services
from core.models import AuditEvent, IssuedDocument
from evaluations import services
from evaluations.models import PeriodScore, RectificationOrder
from evaluations.standing.documents import trend_svg
from evaluations.standing.summaries import close_periods
from tests.contract_builders import active_contract

pytestmark = pytest.mark.django_db


def at(y, m, d, h=10):
    return timezone.make_aware(datetime(y, m, d, h))


def pdf_text(document: IssuedDocument) -> str:
    with document.file.open("rb") as handle:
        return "".join(page.extract_text() for page in PdfReader(handle).pages)


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


def inspect(roles, contract, checklist, day: date, points):
    inspection = services.inspection_assign(
        actor=roles["admin"],
        contract=contract,
        checklist=checklist,
        inspector=roles["evaluator"],
        due_on=day,
        now=at(day.year, day.month, day.day, 8),
    )
    items = {
        item.pk: services.ItemScoreInput(Decimal(p), "签到表缺页" if p < 60 else "")
        for item, p in zip(checklist.items.all(), points, strict=True)
    }
    return services.inspection_submit(
        actor=roles["evaluator"],
        inspection=inspection,
        items=items,
        inspected_on=day,
        notes="现场检查",
        now=at(day.year, day.month, day.day, 15),
    )


def test_the_notice_states_the_findings_and_the_deadline(
    roles, contract, checklist, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        inspect(roles, contract, checklist, date(2026, 3, 10), [40, 70, 20])
    order = RectificationOrder.objects.get()
    notice = IssuedDocument.objects.get(kind=IssuedDocument.Kind.RECTIFICATION_NOTICE)
    assert notice.subject == order and notice.palace == contract.palace
    text = pdf_text(notice)
    assert "限期整改通知书" in text and order.number in text
    assert "2026年3月24日" in text and "2026-03-24" in text  # 10 working days from 2026-03-10
    assert "签到记录真实完整" in text and "师资到位、按课表授课" in text  # the two failed checklist items
    assert contract.provider.name in text and "2026年3月" in text
    assert "任一事项未完全整改的，本次整改不合格" in text


@pytest.fixture
def february(roles, contract, checklist):
    """February: one inspection (85.80), one report scored 90, five worker ratings (too few to count)."""
    provider = roles["provider_a"]
    inspect(roles, contract, checklist, date(2026, 2, 3), [90, 80, 86])
    report = contract.reports.get(sequence=2)
    contract_services.report_save(
        actor=provider,
        report=report,
        narrative="二月份开展职工书法培训。",
        activities=[contract_services.ActivityInput(date(2026, 2, 10), "职工书法培训", "training", "二楼教室", 30)],
    )
    link = services.rating_link_for(report.activities.get())
    for i, stars in enumerate([5, 4, 4, 3, 5]):
        services.rating_submit(token=link.token, stars=stars, comment="", device_id=f"device-{i}", now=at(2026, 2, 11))
    with time_machine.travel(at(2026, 3, 2), tick=False):
        contract_services.report_submit(actor=provider, report=report)
        contract_services.report_review(actor=roles["admin"], report=report, accept=True, score=Decimal(90))
    return PeriodScore.objects.get(contract=contract, month=date(2026, 2, 1))


def test_the_monthly_summary_states_the_month_its_score_and_its_composition(roles, contract, february):
    inputs = february.inputs()
    assert inputs.inspections == Decimal("85.80") and inputs.reports == Decimal("90.00") and inputs.ratings == 5
    assert "closed 1" in close_periods(at(2026, 3, 16))
    summary = IssuedDocument.objects.get(kind=IssuedDocument.Kind.MONTHLY_SUMMARY)
    february.refresh_from_db()
    assert summary.subject == february and february.closed
    text = pdf_text(summary)
    assert "实时评价月度小结" in text and "2026年2月" in text and contract.number in text
    assert f"{february.score:.2f}" in text
    # The composition: each indicator's value, its weight as set and as applied.
    assert "85.80" in text and "90.00" in text
    assert "57.14" in text and "28.57" in text and "14.29" in text  # 40, 20, 10 of the 70 that count
    # Satisfaction had five ratings, fewer than 30: the plain sentence, and the count and average.
    assert "本月仅收到 5 条职工评价，不足 30 条" in text
    assert "4.2 星" in text and "80.00" in text  # (5+4+4+3+5) ÷ 5 stars, 80 points of 100
    assert "培训服务现场检查表" in text and "第 2 期" in text
    assert "本月无红线事件" in text and "本月未下达整改通知" in text


def test_a_month_closes_once_fifteen_days_after_it_ends(roles, contract, checklist, february):
    inspect(roles, contract, checklist, date(2026, 3, 3), [90, 90, 90])  # March: still open at the end
    assert "closed 0" in close_periods(at(2026, 3, 14))  # 2026-02-28 + 14 days: ratings may still come
    assert "closed 1" in close_periods(at(2026, 3, 15))
    assert "closed 0" in close_periods(at(2026, 3, 15))  # run again: nothing more
    assert "closed 0" in close_periods(at(2026, 4, 1))
    assert IssuedDocument.objects.filter(kind=IssuedDocument.Kind.MONTHLY_SUMMARY).count() == 1
    assert not PeriodScore.objects.get(contract=contract, month=date(2026, 3, 1)).closed
    assert "closed 1" in close_periods(at(2026, 4, 15))
    assert IssuedDocument.objects.filter(kind=IssuedDocument.Kind.MONTHLY_SUMMARY).count() == 2
    assert AuditEvent.objects.filter(action="document.issued").count() >= 2
    march = IssuedDocument.objects.filter(kind=IssuedDocument.Kind.MONTHLY_SUMMARY).order_by("-issued_at").first()
    text = pdf_text(march)
    assert "2026年3月" in text and "90.00" in text and "本月无已评审的服务报告" in text


def test_a_failed_month_lists_its_red_line_and_its_order(roles, contract, checklist):
    inspect(roles, contract, checklist, date(2026, 4, 2), [95, 95, 95])
    services.red_line_record(
        actor=roles["evaluator"],
        contract=contract,
        category="charging",
        occurred_on=date(2026, 4, 8),
        description="向参训职工收取资料费每人 50 元",
        now=at(2026, 4, 8),
    )
    close_periods(at(2026, 5, 20))
    text = pdf_text(IssuedDocument.objects.get(kind=IssuedDocument.Kind.MONTHLY_SUMMARY))
    order = RectificationOrder.objects.get()
    assert "不合格" in text and "发生红线事件" in text and "向参训职工收取资料费每人 50 元" in text
    assert order.number in text and "2026-04-22" in text


def test_the_trend_chart_is_built_from_numbers_only():
    svg = trend_svg(
        [
            (date(2026, 1, 1), Decimal("72.50"), "amber"),
            (date(2026, 2, 1), None, "none"),
            (date(2026, 3, 1), Decimal("55.00"), "red"),
        ],
        date(2026, 3, 1),
    )
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert svg.count("<circle") == 2 and "<polyline" not in svg  # the line breaks at the month with no score
    assert "55.00" in svg and "合格线 60" in svg
