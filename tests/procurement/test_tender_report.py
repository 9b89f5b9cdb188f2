"""The tender evaluation report (评审报告): issued at compilation, reissued after a correction."""

import io
import re
from decimal import Decimal

import pypdf
import pytest
from django.contrib.contenttypes.models import ContentType

from core.documents import document_bytes
from core.errors import DomainError, NotPermitted
from core.models import AuditEvent, IssuedDocument
from procurement import documents as procurement_documents
from procurement import services
from procurement.documents import issue_tender_report
from procurement.models import Recruitment, ScoreCorrection

from ..recruitment_builders import RecruitmentBuilder, Stage, build_recruitment


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages)


def flat(text: str) -> str:
    """Extracted text without line breaks: a long name wrapped in its cell reads whole again."""
    return re.sub(r"\s*\n\s*", "", text)


def reports_of(recruitment) -> list[IssuedDocument]:
    return list(
        IssuedDocument.objects.filter(
            content_type=ContentType.objects.get_for_model(Recruitment),
            object_id=str(recruitment.pk),
            kind=IssuedDocument.Kind.TENDER_REPORT,
        ).order_by("version")
    )


@pytest.fixture
def compiled(db):
    """5 evaluators (one recused and replaced), 4 applicants, 5 criteria, one justified outlier."""
    return build_recruitment(
        Stage.COMPILED, applicants=4, evaluators=5, criteria=5, recusals=1, outlier=True, issue_documents=True
    )


def test_compiling_issues_the_report_with_names_totals_and_panel(compiled):
    [report] = reports_of(compiled.recruitment)
    assert report.version == 1
    assert report.palace == compiled.palace
    text = pdf_text(document_bytes(report))
    joined = flat(text)
    for provider in compiled.providers:
        assert provider.name in joined
    for application in compiled.applications:
        assert f"{application.total:.2f}" in text
    for member in compiled.members:
        assert member.evaluator.full_name in text
    recused = compiled.recruitment.panel.get(state="recused")
    assert recused.evaluator.full_name in text
    for expected in (
        "评审报告",
        compiled.recruitment.number,
        "回避",
        "三年内任职",
        "无利害关系",
        "畸高畸低评分说明",
        "第 1 页 共",
        "第 1 版",
        "汶上县工人文化宫",
    ):
        assert expected in joined, expected
    assert AuditEvent.objects.filter(action="document.issued", object_id=str(report.pk)).exists()
    # The full matrix: every evaluator × applicant × criterion, formatted as printed.
    numbers = set(re.findall(r"\d+\.\d\d", text))
    for member in compiled.members:
        for score in member.scores.all():
            assert f"{score.points:.2f}" in numbers


def test_correction_issues_version_two_and_leaves_version_one_untouched(compiled):
    [first] = reports_of(compiled.recruitment)
    first_bytes = document_bytes(first)
    totals_before = [a.total for a in compiled.applications]
    correction = compiled.correct_score()
    assert correction.state == ScoreCorrection.State.APPROVED
    first_again, second = reports_of(compiled.recruitment)
    assert (first_again.pk, first_again.sha256) == (first.pk, first.sha256)
    assert document_bytes(first_again) == first_bytes
    assert second.version == 2 and second.sha256 != first.sha256
    text = pdf_text(document_bytes(second))
    joined = flat(text)
    assert f"{correction.original_points:.2f}" in text
    assert f"{correction.corrected_points:.2f}" in text
    for expected in (
        "评分更正",
        "计算错误",
        "已批准",
        "第 2 版",
        compiled.admin.full_name,
        compiled.approver.full_name,
        correction.justification,
    ):
        assert expected in joined, expected
    assert [a.total for a in compiled.applications] != totals_before, "the correction moved a total"
    for application in compiled.applications:  # the recompiled totals
        assert f"{application.total:.2f}" in text


@pytest.fixture
def quick_render(monkeypatch):
    """A stand-in renderer (the store is under test here, not the layout): a tiny PDF per issue."""

    def fake(template_name, context):
        return b"%PDF-1.4\n% " + context["verification_code"].encode() + b"\n%%EOF\n"

    monkeypatch.setattr("core.documents.render_pdf", fake)


def test_each_compilation_is_a_new_version_never_a_rerender(db, quick_render):
    built = build_recruitment(Stage.COMPILED, issue_documents=True)
    [first] = reports_of(built.recruitment)
    first_bytes = document_bytes(first)
    built.correct_score()
    again = issue_tender_report(recruitment=built.recruitment, actor=built.admin)
    assert [r.version for r in reports_of(built.recruitment)] == [1, 2, 3]
    assert again.version == 3 and again.issued_by == built.admin
    assert document_bytes(reports_of(built.recruitment)[0]) == first_bytes


def test_report_is_refused_before_compilation(db):
    built = build_recruitment(Stage.SCORED)
    with pytest.raises(DomainError):
        issue_tender_report(recruitment=built.recruitment)
    assert reports_of(built.recruitment) == []


def test_only_an_admin_of_the_palace_issues_it(db):
    built = build_recruitment(Stage.COMPILED)
    for user in (built.members[0].evaluator, built.provider_users[0]):
        with pytest.raises(NotPermitted):
            issue_tender_report(recruitment=built.recruitment, actor=user)
    assert reports_of(built.recruitment) == []


def test_report_names_the_award_and_the_reason_for_passing_over_the_top_ranked(db):
    builder = RecruitmentBuilder(applicants=3).advance_to(Stage.COMPILED)
    second = builder.recruitment.applications.get(rank=2)
    services.award_propose(
        actor=builder.admin, recruitment=builder.recruitment, application=second, reason="排名第一的单位放弃合作资格"
    )
    text = flat(pdf_text(document_bytes(issue_tender_report(recruitment=builder.recruitment))))
    assert f"拟确定{second.provider.name}为合作单位" in text
    assert "排名第一的单位放弃合作资格" in text


def test_report_failure_does_not_undo_the_compilation(db, monkeypatch, caplog):
    def broken(**kwargs):
        raise RuntimeError("renderer down")

    monkeypatch.setattr(procurement_documents, "document_issue", broken)
    built = build_recruitment(Stage.COMPILED, issue_documents=True)
    assert built.recruitment.compiled_at is not None
    assert reports_of(built.recruitment) == []
    assert "renderer down" in caplog.text


def test_large_panel_report_paginates_with_landscape_matrices(db):
    """30 applicants × 7 evaluators × 10 criteria: every name and total is there, matrices landscape."""
    built = build_recruitment(Stage.COMPILED, applicants=30, evaluators=7, criteria=10, comments=False)
    report = issue_tender_report(recruitment=built.recruitment)
    reader = pypdf.PdfReader(io.BytesIO(document_bytes(report)))
    pages = len(reader.pages)
    text = "\n".join(p.extract_text() for p in reader.pages)
    assert f"第 {pages} 页 共 {pages} 页" in text
    joined = flat(text)
    for provider in built.providers:
        assert provider.name in joined
    for application in built.applications:
        assert f"{application.total:.2f}" in text
    landscape = [p for p in reader.pages if p.mediabox.width > p.mediabox.height]
    assert landscape, "the 10-column score matrices go on landscape pages"
    assert Decimal(reader.pages[0].mediabox.width) < Decimal(reader.pages[0].mediabox.height)
