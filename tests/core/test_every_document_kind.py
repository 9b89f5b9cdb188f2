"""Every kind of issued document, rendered through its real builder and read back: the Chinese title, the
names and numbers it is about, "第 x 页 共 y 页" on every page and the verification code; laid out
within the margins, with the verification band never alone on the last page.

The provider and the palace carry long Chinese names on purpose: a long name must wrap inside its cell,
not push a table past the margin or lose characters. A new ``IssuedDocument.Kind`` fails here until
it has a builder below.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone
from pypdf import PdfReader

import core.pdf
from core.documents import verification_code_display
from core.models import IssuedDocument, Palace
from evaluations import services as evaluation_services
from evaluations.models import Exit, FinalEvaluation, PeriodScore, RectificationOrder
from evaluations.standing.summaries import close_periods
from procurement.documents import issue_tender_report
from procurement.models import Provider, ServiceCategory
from procurement.services import provider_verify
from tests.contract_builders import active_contract
from tests.evaluations.test_exit import poor_final
from tests.factories import ProviderFactory, provider_user
from tests.final_builders import POOR_TERM, final_evaluation
from tests.recruitment_builders import Stage, build_recruitment

pytestmark = pytest.mark.django_db

Kind = IssuedDocument.Kind
LONG_PROVIDER = "汶上县某某某某某某社会工作服务中心（民办非企业单位）第一分支机构"
LONG_PALACE = "汶上县总工会职工服务中心（汶上县工人文化宫）"
# Half a CSS pixel of rounding, in WeasyPrint's units (CSS pixels).
TOLERANCE = 0.5


@dataclass
class Built:
    """An issued document and what a reader must find in it."""

    document: IssuedDocument
    title: str
    expected: list[str] = field(default_factory=list)


def flat(text: str) -> str:
    """The extracted text without the line breaks and spaces a wrapped line picks up."""
    return re.sub(r"\s+", "", text)


def day(value: date) -> str:
    return f"{value.year}年{value.month}月{value.day}日"


def at(y: int, m: int, d: int, h: int = 10) -> datetime:
    return timezone.make_aware(datetime(y, m, d, h))


def _long_provider(palace: Palace, **kwargs) -> tuple[Provider, object]:
    provider = ProviderFactory(palace=palace, name=LONG_PROVIDER, **kwargs)
    return provider, provider_user(provider)


def _contract(roles, palace):
    provider, user = _long_provider(palace, verified=True)
    return active_contract(
        palace=palace, provider=provider, provider_user=user, admin=roles["admin"], starts_on=date(2026, 1, 1)
    )


# --- one builder per kind ----------------------------------------------------------------------------


def provider_certificate(roles, palace, capture) -> Built:
    provider, _user = _long_provider(palace, legal_representative="王五", categories=[ServiceCategory.TRAINING])
    with capture(execute=True):
        provider_verify(actor=roles["admin"], provider=provider, reason="材料齐全，核验通过。")
    document = IssuedDocument.objects.get(kind=Kind.PROVIDER_CERTIFICATE)
    return Built(document, "服务机构登记核验证明", [provider.credit_code, "王五"])


def tender_report(roles, palace, capture) -> Built:
    built = build_recruitment(
        Stage.COMPILED, palace=palace, provider_names=[LONG_PROVIDER, "筑安技术培训中心", "汶上县家政服务协会"]
    )
    document = issue_tender_report(recruitment=built.recruitment)
    totals = [f"{a.total:.2f}" for a in built.applications]
    return Built(
        document,
        "评审报告",
        [built.recruitment.number, "筑安技术培训中心", *totals, *(m.evaluator.full_name for m in built.members)],
    )


def rectification_notice(roles, palace, capture) -> Built:
    contract = _contract(roles, palace)
    with time_machine.travel(at(2026, 4, 8), tick=False), capture(execute=True):
        line = evaluation_services.red_line_record(
            actor=roles["evaluator"],
            contract=contract,
            category="charging",
            occurred_on=date(2026, 4, 7),
            description="向参训职工收取资料费每人 50 元",
        )
    order = RectificationOrder.objects.get(red_line=line)
    document = IssuedDocument.objects.get(kind=Kind.RECTIFICATION_NOTICE)
    return Built(
        document, "限期整改通知书", [order.number, contract.number, "向参训职工收取资料费每人50元", day(order.deadline)]
    )


def monthly_summary(roles, palace, capture) -> Built:
    """April: one inspection (85.80 points) and a red line, which fails the month whatever its score."""
    contract = _contract(roles, palace)
    checklist = evaluation_services.checklist_create(
        actor=roles["admin"],
        palace_id=palace.pk,
        category="training",
        name="培训服务现场检查表",
        items=[
            evaluation_services.ChecklistItemInput("师资到位、按课表授课", Decimal(40)),
            evaluation_services.ChecklistItemInput("场地安全、消防通道畅通", Decimal(30)),
            evaluation_services.ChecklistItemInput("签到记录真实完整", Decimal(30)),
        ],
    )
    inspection = evaluation_services.inspection_assign(
        actor=roles["admin"],
        contract=contract,
        checklist=checklist,
        inspector=roles["evaluator"],
        due_on=date(2026, 4, 3),
        now=at(2026, 4, 1),
    )
    evaluation_services.inspection_submit(
        actor=roles["evaluator"],
        inspection=inspection,
        inspected_on=date(2026, 4, 3),
        notes="现场检查",
        items={
            item.pk: evaluation_services.ItemScoreInput(Decimal(p), "")
            for item, p in zip(checklist.items.all(), [90, 80, 86], strict=True)
        },
        now=at(2026, 4, 3, 15),
    )
    with time_machine.travel(at(2026, 4, 8), tick=False):
        evaluation_services.red_line_record(
            actor=roles["evaluator"],
            contract=contract,
            category="absent",
            occurred_on=date(2026, 4, 7),
            description="连续两周未按计划开课",
        )
    close_periods(at(2026, 5, 16))
    document = IssuedDocument.objects.get(kind=Kind.MONTHLY_SUMMARY)
    period = document.subject
    assert isinstance(period, PeriodScore) and period.month == date(2026, 4, 1)
    return Built(
        document,
        "实时评价月度小结",
        [
            contract.number,
            "2026年4月",
            f"{period.score:.2f}",
            "85.80",
            "不合格",
            "连续两周未按计划开课",
            "培训服务现场检查表",
        ],
    )


def assessment_report(roles, palace, capture) -> Built:
    provider, user = _long_provider(palace, verified=True)
    with capture(execute=True):
        evaluation = final_evaluation(
            palace=palace,
            provider=provider,
            provider_user=user,
            admin=roles["admin"],
            term=POOR_TERM,
            panel_points=Decimal("20"),
        )
    assert isinstance(evaluation, FinalEvaluation) and evaluation.rating == "poor"
    document = IssuedDocument.objects.get(kind=Kind.ASSESSMENT_REPORT)
    exclusion = evaluation.contract.exit.exclusion
    return Built(
        document,
        "终期评估报告",
        [
            evaluation.contract.number,
            f"{evaluation.total:.2f}",
            "评价等级：差",
            provider.credit_code,
            f"至{day(exclusion.ends_on)}前",
        ],
    )


def exit_notice(roles, palace, capture) -> Built:
    contract = _contract(roles, palace)
    with capture(execute=True):
        exit_ = evaluation_services.exit_open(
            actor=roles["admin"],
            contract=contract,
            reason="终期评价为差，终止合作。",
            final_evaluation=poor_final(contract),
        )
    assert isinstance(exit_, Exit)
    document = IssuedDocument.objects.get(kind=Kind.EXIT_NOTICE)
    amount = exit_.withheld_milestone.amount
    return Built(
        document,
        "退出合作通知书",
        [
            contract.number,
            f"{amount:,.2f}元",
            f"至{day(exit_.exclusion.ends_on)}前",
            exit_.retender.number,
            "终期评价得分52.40分，评价等级为差",
        ],
    )


BUILDERS: dict[str, Callable[..., Built]] = {
    Kind.PROVIDER_CERTIFICATE: provider_certificate,
    Kind.TENDER_REPORT: tender_report,
    Kind.RECTIFICATION_NOTICE: rectification_notice,
    Kind.MONTHLY_SUMMARY: monthly_summary,
    Kind.ASSESSMENT_REPORT: assessment_report,
    Kind.EXIT_NOTICE: exit_notice,
}


def test_every_kind_has_a_builder_here():
    assert set(BUILDERS) == set(Kind.values)


# --- the layout, seen through the renderer -------------------------------------------------------------


def _boxes(box):
    yield box
    for child in getattr(box, "children", ()):
        if type(child).__name__ != "MarginBox":  # the page's own header and footer
            yield from _boxes(child)


def layout_problems(document) -> list[str]:
    """Boxes that stick out of their page's content area; a last page holding nothing but the closing band."""
    problems = []
    for number, page in enumerate(document.pages, start=1):
        page_box = page._page_box
        left = page_box.content_box_x()
        right = left + page_box.width
        for box in _boxes(page_box):
            if box is page_box or not hasattr(box, "margin_width"):
                continue
            if box.position_x < left - TOLERANCE or box.position_x + box.margin_width() > right + TOLERANCE:
                element = getattr(box, "element", None)
                where = f"{element.tag}.{element.get('class')}" if element is not None else type(box).__name__
                problems.append(f"page {number}: {where} sticks out of the margins")
    last = document.pages[-1]._page_box
    body = next(b for b in _boxes(last) if getattr(b, "element_tag", "") == "body")
    first = body.children[0] if body.children else None
    if first is not None and "closing" in (first.element.get("class") or ""):
        problems.append("the verification band stands alone on the last page")
    return problems


def letterhead_lines(document) -> int:
    """How many lines the palace's name takes in the letterhead of the first page."""
    first = document.pages[0]._page_box
    name = next(
        b
        for b in _boxes(first)
        if getattr(b, "element_tag", "") == "p" and "palace" in (b.element.get("class") or "").split()
    )
    return len(name.children)


@pytest.fixture
def laid_out(monkeypatch):
    """Every document laid out while the test runs, as the renderer laid it out."""
    documents = []
    real = core.pdf.lay_out

    def spy(html):
        document = real(html)
        documents.append(document)
        return document

    monkeypatch.setattr(core.pdf, "lay_out", spy)
    return documents


@pytest.mark.parametrize("kind", Kind.values)
def test_every_kind_renders_its_title_names_numbers_and_page_numbers(
    kind, roles, wenshang, laid_out, django_capture_on_commit_callbacks
):
    wenshang.name = LONG_PALACE
    wenshang.save(update_fields=["name"])
    built = BUILDERS[kind](roles, wenshang, django_capture_on_commit_callbacks)
    document = built.document
    assert document.kind == kind and document.palace == wenshang

    with document.file.open("rb") as handle:
        pages = [page.extract_text() for page in PdfReader(handle).pages]
    text = flat("".join(pages))
    assert built.title in text
    for expected in (LONG_PROVIDER, LONG_PALACE, *built.expected):
        assert flat(expected) in text, expected
    for number, page in enumerate(pages, start=1):
        assert f"第{number}页共{len(pages)}页" in flat(page), number
    assert "核验码" in text and flat(verification_code_display(document.id)) in text
    # The audit chain as it stood before the document's own event, for verify_audit --against.
    assert flat(f"签发时审计链：第 {document.chain_seq} 条，链头 {document.chain_hash[:16]}…") in text

    # The document as the renderer laid it out (others may have been issued on the way, e.g. the exit
    # notice before the assessment report).
    [layout] = [d for d in laid_out if d.metadata.title == document.title]
    assert len(layout.pages) == len(pages)
    assert layout_problems(layout) == []
    assert letterhead_lines(layout) == 1  # a long name is set smaller, not wrapped


def test_the_layout_check_sees_a_table_past_the_margin_and_a_lone_band(roles, wenshang):
    """The check above can fail: a fixed-width table wider than the page, and a band pushed to a page of its own."""
    html = (
        '<html><body><table style="width: 250mm"><tr><td>宽表</td></tr></table>'
        '<div style="height: 255mm; break-inside: avoid"></div><footer class="closing">核验码</footer></body></html>'
    )
    problems = layout_problems(core.pdf.lay_out(html))
    assert any("table" in p for p in problems)
    assert "the verification band stands alone on the last page" in problems


def test_a_long_palace_name_signs_off_on_two_lines_broken_before_its_parenthesis():
    assert core.pdf.signoff_lines(LONG_PALACE) == ["汶上县总工会职工服务中心", "（汶上县工人文化宫）"]
    assert core.pdf.signoff_lines("汶上县工人文化宫") == ["汶上县工人文化宫"]
    assert core.pdf.signoff_lines("某某市某某区总工会职工服务中心文化宫分中心") == [
        "某某市某某区总工会职工服务中心文化宫分中心"
    ]
