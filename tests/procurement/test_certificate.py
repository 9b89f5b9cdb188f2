import hashlib
import io
import logging

import pypdf
import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from core.documents import document_bytes
from core.errors import DomainError, NotPermitted
from core.models import AuditEvent, IssuedDocument
from core.uploads import store_upload
from procurement import documents as procurement_documents
from procurement.documents import issue_provider_certificate
from procurement.models import Provider, ProviderDocument, ServiceCategory
from procurement.services import provider_reject, provider_verify

from ..factories import PDF_BYTES, ProviderFactory, provider_user

LONG_NAME = "汶上县新时代职工公益服务发展促进会暨社会工作服务中心（民办非企业单位）"


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages)


def certificates_of(provider) -> list[IssuedDocument]:
    return list(
        IssuedDocument.objects.filter(
            content_type=ContentType.objects.get_for_model(Provider),
            object_id=str(provider.pk),
            kind=IssuedDocument.Kind.PROVIDER_CERTIFICATE,
        ).order_by("version")
    )


@pytest.fixture
def pending_provider(roles, wenshang):
    """A registration awaiting verification, with a licence and a qualification certificate attached."""
    provider = ProviderFactory(
        palace=wenshang,
        name="汶上县惠民职业培训学校",
        legal_representative="王五",
        categories=[ServiceCategory.TRAINING, ServiceCategory.HEALTH],
    )
    user = provider_user(provider, "t-huimin")
    for kind, name in [
        (ProviderDocument.Kind.LICENCE, "办学许可证.pdf"),
        (ProviderDocument.Kind.QUALIFICATION, "健康管理师资格证.pdf"),
    ]:
        stored = store_upload(
            upload=SimpleUploadedFile(name, PDF_BYTES + name.encode()), purpose="provider_document", actor=user
        )
        ProviderDocument.objects.create(provider=provider, kind=kind, file=stored)
    return provider


def test_verifying_a_provider_issues_its_certificate(roles, pending_provider, django_capture_on_commit_callbacks):
    roles["admin"].full_name = "王建国"
    roles["admin"].save()
    with django_capture_on_commit_callbacks(execute=True):
        provider_verify(actor=roles["admin"], provider=pending_provider, reason="材料齐全")
    [doc] = certificates_of(pending_provider)
    assert (doc.version, doc.palace, doc.issued_by) == (1, pending_provider.palace, roles["admin"])
    assert doc.title == "服务机构登记核验证明（汶上县惠民职业培训学校）"
    text = pdf_text(document_bytes(doc))
    for expected in (
        "服务机构登记核验证明",
        "汶上县惠民职业培训学校",
        pending_provider.credit_code,
        "王五",
        "培训、健康",
        "汶上县工人文化宫",
        "王建国",
        "材料齐全",
        "办学许可证.pdf",
        "健康管理师资格证.pdf",
        "第 1 页 共",
    ):
        assert expected in text
    assert len(pending_provider.credit_code) == 18
    for provider_doc in pending_provider.documents.select_related("file"):
        assert provider_doc.file.sha256[:16] in text
    assert AuditEvent.objects.filter(action="document.issued", object_id=str(doc.pk)).exists()


def test_certificate_is_issued_only_after_the_verification_commits(
    roles, pending_provider, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        provider_verify(actor=roles["admin"], provider=pending_provider)
    assert certificates_of(pending_provider) == []
    for callback in callbacks:
        callback()
    assert len(certificates_of(pending_provider)) == 1


def test_certificate_failure_does_not_undo_the_verification(
    roles, pending_provider, monkeypatch, caplog, django_capture_on_commit_callbacks
):
    def broken(**kwargs):
        raise RuntimeError("renderer down")

    monkeypatch.setattr(procurement_documents, "document_issue", broken)
    with caplog.at_level(logging.ERROR), django_capture_on_commit_callbacks(execute=True):
        provider_verify(actor=roles["admin"], provider=pending_provider)
    pending_provider.refresh_from_db()
    assert pending_provider.status == Provider.Status.VERIFIED
    assert certificates_of(pending_provider) == []
    assert "renderer down" in caplog.text


def test_rejecting_a_provider_issues_no_certificate(roles, pending_provider, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        provider_reject(actor=roles["admin"], provider=pending_provider, reason="执照过期")
    assert certificates_of(pending_provider) == []


def test_reissuing_a_certificate_adds_version_two(roles):
    provider = roles["provider_a"].provider
    first = issue_provider_certificate(actor=roles["admin"], provider=provider)
    second = issue_provider_certificate(actor=roles["admin"], provider=provider)
    assert (first.version, second.version) == (1, 2)
    assert first.pk != second.pk
    assert "第 2 版" in pdf_text(document_bytes(second))


def test_only_an_admin_of_the_providers_palace_issues_its_certificate(roles):
    for role in ("other_admin", "auditor", "evaluator", "provider_a"):
        with pytest.raises(NotPermitted):
            issue_provider_certificate(actor=roles[role], provider=roles["provider_a"].provider)
    assert not IssuedDocument.objects.exists()


def test_unverified_provider_gets_no_certificate(roles, pending_provider):
    with pytest.raises(DomainError):
        issue_provider_certificate(actor=roles["admin"], provider=pending_provider)


def test_certificate_is_chinese_whatever_the_issuers_language(roles):
    with translation.override("en"):
        doc = issue_provider_certificate(actor=roles["admin"], provider=roles["provider_a"].provider)
    text = pdf_text(document_bytes(doc))
    assert "第 1 页 共 1 页" in text
    assert "培训" in text  # the category, not "Training"


def test_long_chinese_name_is_printed_whole_on_one_page(roles, wenshang):
    provider = ProviderFactory(palace=wenshang, verified=True, name=LONG_NAME)
    doc = issue_provider_certificate(actor=roles["admin"], provider=provider)
    reader = pypdf.PdfReader(io.BytesIO(document_bytes(doc)))
    assert len(reader.pages) == 1
    assert LONG_NAME in reader.pages[0].extract_text().replace("\n", "")


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("provider_a", 200),
        ("admin", 200),
        ("auditor", 200),
        ("provider_b", 403),
        ("other_auditor", 403),
        ("other_admin", 403),
        ("evaluator", 403),
    ],
)
def test_certificate_download_by_role(roles, client_for, role, status):
    doc = issue_provider_certificate(actor=roles["admin"], provider=roles["provider_a"].provider)
    response = client_for(roles[role]).get(reverse("document_download", args=[doc.pk]))
    assert response.status_code == status
    if status == 200:
        assert hashlib.sha256(b"".join(response.streaming_content)).hexdigest() == doc.sha256


def test_anonymous_certificate_download_goes_to_login(roles, client):
    doc = issue_provider_certificate(actor=roles["admin"], provider=roles["provider_a"].provider)
    response = client.get(reverse("document_download", args=[doc.pk]))
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


def test_downloaded_certificate_verifies_as_genuine_and_a_flipped_byte_does_not(roles, client_for, client):
    doc = issue_provider_certificate(actor=roles["admin"], provider=roles["provider_a"].provider)
    data = b"".join(client_for(roles["provider_a"]).get(reverse("document_download", args=[doc.pk])).streaming_content)
    genuine = client.post(
        reverse("verify_upload"), {"file": SimpleUploadedFile("cert.pdf", data, content_type="application/pdf")}
    )
    assert 'data-verdict="genuine"' in genuine.content.decode()
    flipped = bytearray(data)
    flipped[len(flipped) // 2] ^= 0xFF
    forged = client.post(
        reverse("verify_upload"),
        {"file": SimpleUploadedFile("cert.pdf", bytes(flipped), content_type="application/pdf")},
    )
    assert 'data-verdict="not-genuine"' in forged.content.decode()
    by_code = client.get(reverse("verify_document", args=[doc.pk.hex]))
    assert by_code.status_code == 200
    assert 'data-verdict="genuine"' in by_code.content.decode()
