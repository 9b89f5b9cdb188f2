"""The assessment report (终期评估报告), read back as text: issued once at sign-off through the document store,
with the rating, every component's points as the evaluation's page shows them, the appeal and its decision,
the approval trail and the page numbers."""

import re
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest
import time_machine
from pypdf import PdfReader

from core.errors import DomainError
from core.models import IssuedDocument, Role
from evaluations import services
from evaluations.final.documents import ERR_REPORT_NOT_FINAL, issue_assessment_report
from evaluations.final.selectors import FinalBreakdown, final_breakdown
from evaluations.models import FinalEvaluation
from tests.factories import staff
from tests.final_builders import (
    EXCELLENT_TERM,
    PASS_TERM,
    POOR_TERM,
    after_window,
    at,
    final_evaluation,
    proposed_evaluation,
)

pytestmark = pytest.mark.django_db


def pdf_pages(document: IssuedDocument) -> list[str]:
    with document.file.open("rb") as handle:
        return [page.extract_text() for page in PdfReader(handle).pages]


def report_of(evaluation: FinalEvaluation) -> IssuedDocument:
    return IssuedDocument.objects.get(kind=IssuedDocument.Kind.ASSESSMENT_REPORT)


def flat(text: str) -> str:
    """The extracted text without the line breaks and spaces a wrapped paragraph picks up."""
    return re.sub(r"\s+", "", text)


def assert_the_printed_figures_make_the_total(text: str, breakdown: FinalBreakdown) -> None:
    """Each component's points as the evaluation's page prints them (unrounded), their sum, and the
    proposed total that sum less the deduction rounds to, once (DOMAIN.md §5)."""
    for row in breakdown.components:
        assert row.points_text in text, row.label
    assert f"折合得分合计{breakdown.subtotal_text}" in text
    printed = sum((Decimal(row.points_text) for row in breakdown.components if not row.shared_out), Decimal(0))
    assert printed == Decimal(breakdown.subtotal_text)
    assert (printed - breakdown.deduction).quantize(Decimal("0.01"), ROUND_HALF_UP) == breakdown.proposed_total
    assert f"（合计减扣分，四舍五入到分）{breakdown.proposed_total:.2f}" in text
    assert "不逐项取整" in text


@pytest.fixture
def provider(roles):
    return roles["provider_a"].provider


@pytest.fixture
def second_admin(wenshang):
    user = staff(wenshang, Role.ADMIN, "t-ws-admin2")
    user.full_name = "李秀英"
    user.save()
    return user


def test_a_poor_rating_appealed_and_upheld_is_reported_once(
    roles, wenshang, provider, second_admin, django_capture_on_commit_callbacks
):
    admin, provider_user = roles["admin"], roles["provider_a"]
    evaluation = proposed_evaluation(
        palace=wenshang,
        provider=provider,
        provider_user=provider_user,
        admin=admin,
        term=POOR_TERM,
        panel_points=Decimal("20"),
    )
    lodged = at(evaluation.appeal_deadline - timedelta(days=1))
    appeal = services.appeal_lodge(
        actor=provider_user,
        evaluation=evaluation,
        now=lodged,
        grounds="七月暴雨停电，两次培训顺延，不应计为未完成场次。",
    )
    services.appeal_decide(
        actor=admin,
        appeal=appeal,
        decision="upheld",
        now=lodged + timedelta(days=1),
        reason="顺延的两次培训在合作期内未补开，原评分无误。",
    )
    with django_capture_on_commit_callbacks(execute=True):
        signed = services.final_sign_off(actor=admin, evaluation=evaluation, now=after_window(evaluation))
        assert not IssuedDocument.objects.exists()  # a 差 awaits the second administrator
        services.final_confirm(actor=second_admin, evaluation=signed, now=after_window(evaluation, 15))
    evaluation.refresh_from_db()
    assert evaluation.rating == "poor"

    report = report_of(evaluation)
    assert report.subject == evaluation and report.palace == wenshang and report.version == 1
    pages = pdf_pages(report)
    text = flat("".join(pages))
    assert "终期评估报告" in text and "评价等级：差。" in text and "退出合作" in text
    assert provider.name in text and provider.credit_code in text and evaluation.contract.number in text
    assert_the_printed_figures_make_the_total(text, final_breakdown(evaluation))
    assert f"{evaluation.total:.2f}" in text
    # The appeal, its decision and its reason; the points did not change.
    assert "维持原评价" in text and "顺延的两次培训在合作期内未补开，原评分无误。" in text
    assert f"未变化，维持拟定得分{evaluation.total:.2f}分（差）" in text
    # The approval trail names both administrators; every page is numbered "第 x 页 共 y 页".
    assert "复核确认" in text and "李秀英" in text and str(admin) in text
    for number, page in enumerate(pages, start=1):
        assert f"第{number}页共{len(pages)}页" in flat(page)
    assert "核验码" in text

    # Issued once: a second call (a retried job, a doubled commit hook) returns the same document.
    assert issue_assessment_report(evaluation=evaluation, actor=admin) == report
    assert IssuedDocument.objects.filter(kind=IssuedDocument.Kind.ASSESSMENT_REPORT).count() == 1


def test_an_excellent_rating_without_appeal(roles, wenshang, provider, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        evaluation = final_evaluation(
            palace=wenshang,
            provider=provider,
            provider_user=roles["provider_a"],
            admin=roles["admin"],
            term=EXCELLENT_TERM,
            panel_points=Decimal("90"),
        )
    assert evaluation.rating == "excellent"
    text = flat("".join(pdf_pages(report_of(evaluation))))
    assert "评价等级：优秀。" in text and f"{evaluation.total:.2f}" in text
    assert "可不经重新招募与该机构续约一次" in text
    assert "申诉期届满，未提出申诉" in text and "合作期内未发生红线事件" in text
    breakdown = final_breakdown(evaluation)
    assert_the_printed_figures_make_the_total(text, breakdown)
    # 83.33 × 15% is 12.4995 and stays so: rounded first it read 12.50.
    assert "12.4995" in text and breakdown.total == Decimal("91.00")


def test_an_adjusted_appeal_shows_the_points_before_and_after(
    roles, wenshang, provider, django_capture_on_commit_callbacks
):
    admin, provider_user = roles["admin"], roles["provider_a"]
    evaluation = proposed_evaluation(
        palace=wenshang,
        provider=provider,
        provider_user=provider_user,
        admin=admin,
        term=PASS_TERM,
        panel_points=Decimal("70"),
    )
    proposed = evaluation.proposed_total
    lodged = at(evaluation.appeal_deadline)
    appeal = services.appeal_lodge(
        actor=provider_user, evaluation=evaluation, now=lodged, grounds="三月份服务报告评审漏计一次培训。"
    )
    services.appeal_decide(
        actor=admin,
        appeal=appeal,
        decision="adjusted",
        adjusted_total=Decimal("81.00"),
        reason="经核对签到表，三月份确有一次培训漏计，调整得分。",
        now=lodged + timedelta(hours=3),
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.final_sign_off(actor=admin, evaluation=evaluation, now=after_window(evaluation))
    evaluation.refresh_from_db()
    text = flat("".join(pdf_pages(report_of(evaluation))))
    assert "调整得分" in text and f"{proposed:.2f}分（合格）→81.00分（良好）" in text
    assert "终期评价得分（申诉后调整，见第七部分）" in text and "评价等级：良好。" in text


def test_no_report_before_the_rating_is_final(roles, wenshang, provider):
    evaluation = proposed_evaluation(
        palace=wenshang,
        provider=provider,
        provider_user=roles["provider_a"],
        admin=roles["admin"],
        term=PASS_TERM,
        panel_points=Decimal("70"),
    )
    with time_machine.travel(after_window(evaluation), tick=False), pytest.raises(DomainError) as refused:
        issue_assessment_report(evaluation=evaluation, actor=roles["admin"])
    assert refused.value.message == ERR_REPORT_NOT_FINAL
    assert not IssuedDocument.objects.exists()
