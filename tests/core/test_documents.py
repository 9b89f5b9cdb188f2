import hashlib
import io

import pypdf
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils.html import escape

from core import documents
from core.documents import (
    DocumentIntegrityError,
    document_bytes,
    document_issue,
    documents_for_subject,
    find_document,
)
from core.models import AuditEvent, IssuedDocument, StoredFile

from ..factories import PNG_BYTES, UserFactory

KIND = IssuedDocument.Kind.PROVIDER_CERTIFICATE


@pytest.fixture
def quick_render(monkeypatch):
    """Stand-in renderer: a tiny PDF that carries the document's id, so each issue has its own bytes.

    Most tests here are about the store, not the layout; the real renderer runs in
    the tests marked ``real render``.
    """
    contexts = []

    def fake(template_name, context):
        contexts.append(context)
        return b"%PDF-1.4\n% " + context["verification_code"].encode() + b"\n%%EOF\n"

    monkeypatch.setattr(documents, "render_pdf", fake)
    return contexts


def issue(actor, provider, **overrides):
    kwargs = {
        "actor": actor,
        "kind": KIND,
        "subject": provider,
        "palace": provider.palace,
        "title": f"服务机构登记核验证明（{provider.name}）",
        "template": "core/pdf/base.html",
        "context": {},
    }
    return document_issue(**(kwargs | overrides))


def test_issuing_twice_gives_versions_one_and_two(roles, quick_render):
    provider = roles["provider_a"].provider
    first = issue(roles["admin"], provider)
    second = issue(roles["admin"], provider)
    assert (first.version, second.version) == (1, 2)
    assert first.pk != second.pk
    assert first.sha256 != second.sha256
    assert list(documents_for_subject(provider)) == [second, first]


def test_versions_are_counted_per_subject_and_kind(roles, quick_render):
    provider_a, provider_b = roles["provider_a"].provider, roles["provider_b"].provider
    issue(roles["admin"], provider_a)
    assert issue(roles["admin"], provider_b).version == 1
    assert issue(roles["admin"], provider_a, kind=IssuedDocument.Kind.EXIT_NOTICE).version == 1


def test_issued_document_is_stored_once_under_its_sha256(roles, quick_render, settings):
    doc = issue(roles["admin"], roles["provider_a"].provider)
    data = document_bytes(doc)
    assert hashlib.sha256(data).hexdigest() == doc.sha256
    assert doc.size == len(data)
    assert doc.file.name == f"documents/{doc.sha256[:2]}/{doc.sha256}.pdf"
    assert doc.issued_by == roles["admin"]
    stored = list((settings.MEDIA_ROOT / "documents").rglob("*.pdf"))
    assert len(stored) == 1


def test_template_gets_the_verification_identity(roles, quick_render, settings):
    settings.HEZUO_PUBLIC_URL = "https://hezuo.example.cn"
    doc = issue(roles["admin"], roles["provider_a"].provider, context={"extra": "保留"})
    context = quick_render[-1]
    assert context["extra"] == "保留"
    assert context["document_id"] == doc.pk
    assert context["verification_code"] == doc.pk.hex
    assert context["verification_url"] == f"https://hezuo.example.cn/verify/{doc.pk.hex}/"
    assert context["qr_data_uri"].startswith("data:image/svg+xml")
    assert context["palace"] == doc.palace
    assert (context["title"], context["version"]) == (doc.title, 1)
    assert str(context["issued_at"].tzinfo) == "Asia/Shanghai"


def test_issuing_writes_an_audit_event(roles, quick_render):
    doc = issue(roles["admin"], roles["provider_a"].provider)
    event = AuditEvent.objects.get(action="document.issued", object_id=str(doc.pk))
    assert event.actor == roles["admin"]
    assert event.palace_id == doc.palace_id
    assert {k: event.after[k] for k in ("kind", "title", "version", "sha256", "size")} == {
        "kind": KIND,
        "title": doc.title,
        "version": 1,
        "sha256": doc.sha256,
        "size": doc.size,
    }


def test_failed_issue_leaves_neither_row_nor_file(roles, quick_render, monkeypatch, settings):
    def broken(**kwargs):
        raise RuntimeError("audit store down")

    monkeypatch.setattr(documents.audit, "record", broken)
    with pytest.raises(RuntimeError):
        issue(roles["admin"], roles["provider_a"].provider)
    assert not IssuedDocument.objects.exists()
    assert not list((settings.MEDIA_ROOT / "documents").rglob("*.pdf"))


def test_altered_stored_file_is_never_served(roles, quick_render):
    doc = issue(roles["admin"], roles["provider_a"].provider)
    with open(doc.file.path, "r+b") as handle:
        handle.seek(3)
        handle.write(b"X")
    with pytest.raises(DocumentIntegrityError):
        document_bytes(doc)


def test_find_document_by_hash_or_code_in_any_case(roles, quick_render):
    doc = issue(roles["admin"], roles["provider_a"].provider)
    grouped = " ".join(doc.pk.hex.upper()[i : i + 4] for i in range(0, 32, 4))
    for key in (doc.sha256, doc.sha256.upper(), doc.pk.hex, doc.pk.hex.upper(), str(doc.pk), grouped):
        assert find_document(key) == doc
    for key in ("", "0" * 64, "0" * 32, "zz" * 16, "../../etc/passwd", doc.sha256[:63]):
        assert find_document(key) is None


# Verification page


def test_verify_page_by_sha256_says_genuine(roles, quick_render, client):
    doc = issue(roles["admin"], roles["provider_a"].provider)
    response = client.get(reverse("verify_document", args=[doc.sha256]))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-verdict="genuine"' in html
    for shown in (doc.title, doc.sha256, "汶上县工人文化宫", roles["admin"].full_name):
        assert shown in html
    assert response.context["doc"] == doc


def test_verify_page_by_printed_code_says_genuine(roles, quick_render, client):
    doc = issue(roles["admin"], roles["provider_a"].provider)
    response = client.get(reverse("verify_document", args=[doc.pk.hex.upper()]))
    assert response.status_code == 200
    assert 'data-verdict="genuine"' in response.content.decode()
    assert response.context["matched_by"] == "code"


def test_verify_page_shows_issue_time_in_beijing_time(roles, quick_render, client):
    doc = issue(roles["admin"], roles["provider_a"].provider)
    response = client.get(reverse("verify_document", args=[doc.sha256]))
    assert str(response.context["issued_at_local"].tzinfo) == "Asia/Shanghai"


def test_verify_page_never_shows_a_login_name(roles, quick_render, client):
    roles["admin"].full_name = ""
    roles["admin"].save()
    doc = issue(roles["admin"], roles["provider_a"].provider)
    html = client.get(reverse("verify_document", args=[doc.sha256])).content.decode()
    assert roles["admin"].username not in html


def test_verify_page_says_when_a_newer_version_exists(roles, quick_render, client):
    first = issue(roles["admin"], roles["provider_a"].provider)
    issue(roles["admin"], roles["provider_a"].provider)
    response = client.get(reverse("verify_document", args=[first.sha256]))
    assert response.status_code == 200
    assert response.context["newer"].version == 2
    assert 'data-superseded="true"' in response.content.decode()


@pytest.mark.parametrize("key", ["0" * 64, "a" * 32, "not-a-hash", "%00", "A" * 200, "' OR 1=1 --"])
def test_verify_page_for_unknown_or_malformed_key_says_not_genuine(db, client, key):
    response = client.get(reverse("verify_document", args=[key]))
    assert response.status_code == 404
    assert 'data-verdict="not-genuine"' in response.content.decode()


def test_typed_code_leads_to_its_verification_page(roles, quick_render, client):
    doc = issue(roles["admin"], roles["provider_a"].provider)
    grouped = " ".join(doc.pk.hex.upper()[i : i + 4] for i in range(0, 32, 4))
    response = client.get(reverse("verify_upload"), {"code": f" {grouped} "}, follow=True)
    assert response.status_code == 200
    assert response.context["doc"] == doc


def test_verify_form_is_public(db, client):
    response = client.get(reverse("verify_upload"))
    assert response.status_code == 200
    assert 'enctype="multipart/form-data"' in response.content.decode()


def upload(name: str, data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/pdf")


def test_uploading_the_exact_pdf_says_genuine_and_keeps_nothing(roles, quick_render, client, settings):
    doc = issue(roles["admin"], roles["provider_a"].provider)
    data = document_bytes(doc)
    files_before = sorted(p for p in settings.MEDIA_ROOT.rglob("*") if p.is_file())
    response = client.post(reverse("verify_upload"), {"file": upload("证明.pdf", data)})
    assert response.status_code == 200
    assert 'data-verdict="genuine"' in response.content.decode()
    assert response.context["doc"] == doc
    assert sorted(p for p in settings.MEDIA_ROOT.rglob("*") if p.is_file()) == files_before
    assert not StoredFile.objects.exists()


def test_uploading_the_pdf_with_one_byte_flipped_says_not_genuine(roles, quick_render, client):
    doc = issue(roles["admin"], roles["provider_a"].provider)
    data = bytearray(document_bytes(doc))
    data[-10] ^= 0x01
    response = client.post(reverse("verify_upload"), {"file": upload("证明.pdf", bytes(data))})
    assert response.status_code == 200
    assert 'data-verdict="not-genuine"' in response.content.decode()
    assert response.context["checked"] == hashlib.sha256(bytes(data)).hexdigest()


@pytest.mark.parametrize(
    ("name", "data", "message_part"),
    [
        ("photo.pdf", PNG_BYTES, "PDF"),
        ("notes.pdf", b"just some text, named .pdf", "PDF"),
        ("empty.pdf", b"", "empty"),
    ],
)
def test_upload_that_is_not_a_pdf_is_refused_with_a_message(db, client, name, data, message_part):
    response = client.post(reverse("verify_upload"), {"file": upload(name, data)})
    assert response.status_code == 200
    errors = response.context["form"].errors["file"]
    assert message_part in " ".join(errors)
    html = response.content.decode()
    assert all(escape(e) in html for e in errors)
    assert "data-verdict" not in html


def test_oversized_upload_is_refused_with_a_message(db, client, settings):
    settings.HEZUO_UPLOAD_MAX_BYTES = 100
    response = client.post(reverse("verify_upload"), {"file": upload("big.pdf", b"%PDF-1.4\n" + b"0" * 200)})
    assert response.status_code == 200
    assert "big.pdf" in " ".join(response.context["form"].errors["file"])


def test_upload_without_a_file_is_refused_with_a_message(db, client):
    response = client.post(reverse("verify_upload"), {})
    assert response.status_code == 200
    assert response.context["form"].errors["file"]


# Download


def test_download_twice_returns_the_same_bytes_as_stored(roles, quick_render, client_for):
    doc = issue(roles["admin"], roles["provider_a"].provider)
    client = client_for(roles["provider_a"])
    url = reverse("document_download", args=[doc.pk])
    first, second = client.get(url), client.get(url)
    bodies = [b"".join(r.streaming_content) for r in (first, second)]
    assert bodies[0] == bodies[1]
    assert hashlib.sha256(bodies[0]).hexdigest() == doc.sha256
    assert first["Content-Type"] == "application/pdf"
    assert first["X-Content-Type-Options"] == "nosniff"
    assert first["Content-Disposition"].startswith("attachment;")
    assert "filename*=" in first["Content-Disposition"]  # the Chinese title, RFC 5987-encoded


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("provider_a", 200),
        ("admin", 200),
        ("auditor", 200),
        ("evaluator", 403),
        ("provider_b", 403),
        ("other_admin", 403),
        ("other_auditor", 403),
    ],
)
def test_download_is_for_the_subject_and_its_palaces_admins_and_auditors(roles, quick_render, client_for, role, status):
    doc = issue(roles["admin"], roles["provider_a"].provider)
    response = client_for(roles[role]).get(reverse("document_download", args=[doc.pk]))
    assert response.status_code == status


def test_superuser_may_download(roles, quick_render, client_for):
    doc = issue(roles["admin"], roles["provider_a"].provider)
    root = UserFactory(username="root", is_superuser=True, is_staff=True)
    assert client_for(root).get(reverse("document_download", args=[doc.pk])).status_code == 200


def test_anonymous_download_goes_to_login(roles, quick_render, client):
    doc = issue(roles["admin"], roles["provider_a"].provider)
    response = client.get(reverse("document_download", args=[doc.pk]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


# Real rendering, end to end


def test_real_document_prints_its_verification_code_and_link(roles, settings):
    settings.HEZUO_PUBLIC_URL = "https://hezuo.example.cn"
    doc = issue(roles["admin"], roles["provider_a"].provider)
    text = "\n".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(document_bytes(doc))).pages)
    assert f"https://hezuo.example.cn/verify/{doc.pk.hex}/" in text
    assert " ".join(doc.pk.hex.upper()[i : i + 4] for i in range(0, 32, 4)) in text
    assert "第 1 页 共 1 页" in text
