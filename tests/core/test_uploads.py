import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template.defaultfilters import filesizeformat
from django.urls import reverse

from core.errors import DomainError
from core.models import AuditEvent, StoredFile
from core.uploads import (
    ERR_EMPTY,
    ERR_TOO_LARGE,
    ERR_TOO_MANY,
    check_file_count,
    store_upload,
)
from procurement import services
from procurement.models import ProviderDocument

from ..factories import JPEG_BYTES, PDF_BYTES, PNG_BYTES, pdf_upload, png_upload

pytestmark = pytest.mark.django_db

HTML = b"<!DOCTYPE html><html><body><script>fetch('/accounts/')</script></body></html>"
SVG = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.cookie)</script></svg>'


def upload(name: str, content: bytes, content_type: str = "application/pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def refusal(file: SimpleUploadedFile) -> str:
    with pytest.raises(DomainError) as excinfo:
        store_upload(upload=file, purpose="test", actor=None)
    assert excinfo.value.field == "file"
    return str(excinfo.value)


def stored_on_disk() -> list:
    root = settings.MEDIA_ROOT
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


# --- store_upload -------------------------------------------------------------------------


def test_pdf_png_and_jpeg_are_stored_with_their_detected_type():
    for content, mime in (
        (PDF_BYTES, "application/pdf"),
        (PNG_BYTES, "image/png"),
        (JPEG_BYTES, "image/jpeg"),
    ):
        stored = store_upload(upload=upload("file", content, mime), purpose="test", actor=None)
        assert stored.content_type == mime
        assert stored.size == len(content)
        with stored.file.open("rb") as handle:
            assert handle.read() == content


def test_html_named_pdf_is_refused():
    message = refusal(upload("licence.pdf", HTML))
    assert "licence.pdf" in message
    assert StoredFile.objects.count() == 0 and stored_on_disk() == []


def test_svg_is_refused_even_when_named_png():
    assert "logo.png" in refusal(upload("logo.png", SVG, "image/png"))
    refusal(upload("logo.svg", SVG, "image/svg+xml"))
    assert StoredFile.objects.count() == 0


def test_declared_type_is_ignored_in_favour_of_the_content():
    stored = store_upload(upload=upload("scan.pdf", PNG_BYTES, "application/pdf"), purpose="test", actor=None)
    assert stored.content_type == "image/png"


def _assert_server_chose_the_path(stored: StoredFile) -> None:
    assert stored.file.name.startswith("uploads/")
    assert ".." not in stored.file.name
    assert "passwd" not in stored.file.name and "evil" not in stored.file.name
    assert stored.file.name.rsplit("/", 1)[-1] == stored.id.hex
    assert (settings.MEDIA_ROOT / stored.file.name).resolve().is_relative_to(settings.MEDIA_ROOT.resolve())


def test_path_traversal_name_is_stored_under_a_server_generated_name():
    stored = store_upload(upload=upload("../../etc/passwd.pdf", PDF_BYTES), purpose="test", actor=None)
    _assert_server_chose_the_path(stored)
    assert stored.original_name == "passwd.pdf"


def test_traversal_name_that_reaches_store_upload_raw_is_reduced_to_its_base_name():
    # Django's UploadedFile already strips directories on POSIX; store_upload must not rely on it.
    raw = upload("placeholder.pdf", PDF_BYTES)
    raw._name = "../../etc/passwd.pdf"
    stored = store_upload(upload=raw, purpose="test", actor=None)
    _assert_server_chose_the_path(stored)
    assert stored.original_name == "passwd.pdf"

    windows = upload("..\\..\\Windows\\evil.pdf", PDF_BYTES)
    stored = store_upload(upload=windows, purpose="test", actor=None)
    _assert_server_chose_the_path(stored)
    assert stored.original_name == "evil.pdf"


def test_file_over_the_limit_is_refused_naming_its_size():
    size = settings.HEZUO_UPLOAD_MAX_BYTES + 1024 * 1024
    big = upload("report.pdf", PDF_BYTES + b"\0" * (size - len(PDF_BYTES)))
    message = refusal(big)
    assert message == str(
        ERR_TOO_LARGE
        % {
            "name": "report.pdf",
            "size": filesizeformat(size),
            "limit": filesizeformat(settings.HEZUO_UPLOAD_MAX_BYTES),
        }
    )
    assert filesizeformat(size) in message
    assert StoredFile.objects.count() == 0 and stored_on_disk() == []


def test_file_at_exactly_the_limit_is_accepted():
    size = settings.HEZUO_UPLOAD_MAX_BYTES
    stored = store_upload(
        upload=upload("report.pdf", PDF_BYTES + b"\0" * (size - len(PDF_BYTES))),
        purpose="test",
        actor=None,
    )
    assert stored.size == size


def test_empty_file_is_refused():
    assert refusal(upload("empty.pdf", b"")) == str(ERR_EMPTY % {"name": "empty.pdf"})


def test_more_files_than_the_request_limit_are_refused():
    limit = settings.DATA_UPLOAD_MAX_NUMBER_FILES
    check_file_count([pdf_upload()] * limit)
    with pytest.raises(DomainError) as excinfo:
        check_file_count([pdf_upload()] * (limit + 1))
    assert str(excinfo.value) == ERR_TOO_MANY % {"limit": limit}


# --- through the provider portal ----------------------------------------------------------


def test_provider_uploads_several_documents_at_once(roles, client_for):
    provider = roles["provider_a"].provider
    files = [
        pdf_upload("资质证书.pdf"),
        png_upload("场地照片.png"),
        upload("../消防证明.jpg", JPEG_BYTES, "image/jpeg"),
    ]
    response = client_for(roles["provider_a"]).post(
        reverse("portal:organisation_documents"),
        {"kind": "qualification", "files": files},
    )
    assert response.status_code == 302
    docs = ProviderDocument.objects.filter(provider=provider).select_related("file")
    assert sorted(d.file.original_name for d in docs) == [
        "场地照片.png",
        "消防证明.jpg",
        "资质证书.pdf",
    ]
    assert {d.kind for d in docs} == {ProviderDocument.Kind.QUALIFICATION}
    assert {d.file.uploaded_by for d in docs} == {roles["provider_a"]}
    event = AuditEvent.objects.get(action="provider.documents_added")
    assert len(event.after["documents"]) == 3


def test_a_bad_file_among_several_stores_none_of_them(roles, client_for):
    files = [pdf_upload("good.pdf"), upload("bad.pdf", HTML), png_upload("good.png")]
    response = client_for(roles["provider_a"]).post(
        reverse("portal:organisation_documents"),
        {"kind": "qualification", "files": files},
    )
    assert response.status_code == 302
    assert not ProviderDocument.objects.exists()
    assert not StoredFile.objects.exists()
    assert not AuditEvent.objects.filter(action="provider.documents_added").exists()


def test_a_bad_file_among_several_leaves_no_file_on_disk(roles, client_for):
    files = [pdf_upload("good.pdf"), upload("bad.pdf", HTML)]
    client_for(roles["provider_a"]).post(
        reverse("portal:organisation_documents"),
        {"kind": "qualification", "files": files},
    )
    assert stored_on_disk() == []


def test_django_refuses_a_request_with_too_many_files(roles, client_for):
    files = [pdf_upload(f"doc{i}.pdf") for i in range(settings.DATA_UPLOAD_MAX_NUMBER_FILES + 1)]
    response = client_for(roles["provider_a"]).post(
        reverse("portal:organisation_documents"),
        {"kind": "qualification", "files": files},
    )
    assert response.status_code == 400
    assert not StoredFile.objects.exists()
    assert stored_on_disk() == []


# --- the download view --------------------------------------------------------------------


@pytest.fixture
def document(roles):
    provider = roles["provider_a"].provider
    [doc] = services.provider_add_documents(
        actor=roles["provider_a"],
        provider=provider,
        documents=[services.DocumentUpload(ProviderDocument.Kind.QUALIFICATION, pdf_upload("资质证书.pdf"))],
    )
    return doc.file


@pytest.mark.parametrize("role", ["provider_a", "admin", "auditor"])
def test_download_returns_the_bytes_as_an_unsniffable_attachment(roles, client_for, document, role):
    response = client_for(roles[role]).get(reverse("file_download", args=[document.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF_BYTES
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "%E8%B5%84%E8%B4%A8%E8%AF%81%E4%B9%A6.pdf" in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]


@pytest.mark.parametrize("role", ["provider_b", "other_admin", "other_auditor", "evaluator"])
def test_download_is_forbidden_to_anyone_else(roles, client_for, document, role):
    response = client_for(roles[role]).get(reverse("file_download", args=[document.pk]))
    assert response.status_code == 403


def test_download_sends_anonymous_visitors_to_log_in(client_for, document):
    url = reverse("file_download", args=[document.pk])
    response = client_for().get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert "next=" in response["Location"]


def test_file_attached_to_nothing_is_downloadable_by_nobody(roles, client_for):
    orphan = store_upload(upload=pdf_upload(), purpose="test", actor=roles["provider_a"])
    response = client_for(roles["admin"]).get(reverse("file_download", args=[orphan.pk]))
    assert response.status_code == 403
