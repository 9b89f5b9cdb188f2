"""Issued documents: public verification (by code, hash or the file itself) and permission-checked download."""

import hashlib
import io
import re

from django import forms
from django.conf import settings
from django.http import FileResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from .documents import (
    DOCUMENT_TZ,
    can_download_document,
    document_bytes,
    find_document,
    find_document_by_sha256,
    latest_version,
    normalise_key,
    verification_code_display,
)
from .models import IssuedDocument
from .uploads import ERR_EMPTY, ERR_TOO_LARGE, detect_type, display_name
from .viewmixins import deny_or_login

ERR_NO_FILE = _("Choose the PDF file to check.")
ERR_NOT_PDF = _("The file “%(name)s” is not a PDF. Its content was checked, not its name.")
ERR_NO_CODE = _("Enter the verification code printed on the document.")


class VerifyUploadForm(forms.Form):
    # Emptiness, size and type are judged in _hash_upload, with the messages uploads use.
    file = forms.FileField(
        label=_("PDF file"),
        required=False,
        allow_empty_file=True,
        widget=forms.FileInput(attrs={"accept": "application/pdf,.pdf"}),
    )


def _result(request, *, doc: IssuedDocument | None, checked: str, matched_by: str, status: int = 200):
    """``matched_by`` is "sha256", "code" or "file": how the visitor identified the document."""
    context = {"doc": doc, "checked": checked, "matched_by": matched_by}
    if doc is not None:
        newest = latest_version(doc)
        context |= {
            "kind_label": doc.get_kind_display(),
            "issued_at_local": timezone.localtime(doc.issued_at, DOCUMENT_TZ),
            "issuer": _issuer_label(doc),
            "code_display": verification_code_display(doc.id),
            "newer": newest if newest.pk != doc.pk else None,
        }
    return render(request, "public/verify_result.html", context, status=status)


def _issuer_label(doc: IssuedDocument) -> str:
    # A full name, never a login name, goes on a public page.
    if doc.issued_by is not None and doc.issued_by.full_name:
        return doc.issued_by.full_name
    return ""


def verify_document(request, sha256):
    """Public: is the document with this SHA-256 or verification code genuine?"""
    key = normalise_key(sha256)[:64]
    doc = find_document(key)
    return _result(
        request,
        doc=doc,
        checked=key,
        matched_by="sha256" if len(key) == 64 else "code",
        status=200 if doc is not None else 404,
    )


def _hash_upload(upload) -> tuple[str | None, str]:
    """(sha256, error): checks the upload is a non-empty PDF within the limit, stores nothing."""
    if not upload:
        return None, str(ERR_NO_FILE)
    name = display_name(upload.name)
    limit = settings.HEZUO_UPLOAD_MAX_BYTES
    if not upload.size:
        return None, str(ERR_EMPTY % {"name": name})
    if upload.size > limit:
        return None, str(
            ERR_TOO_LARGE % {"name": name, "size": filesizeformat(upload.size), "limit": filesizeformat(limit)}
        )
    upload.seek(0)
    if detect_type(upload.read(8192)) != "application/pdf":
        return None, str(ERR_NOT_PDF % {"name": name})
    upload.seek(0)
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    return digest.hexdigest(), ""


@require_http_methods(["GET", "POST"])
def verify_upload(request):
    """Public: check a PDF file (nothing is kept), or jump to a typed verification code."""
    if request.method == "GET" and "code" in request.GET:
        # Typed from paper: keep letters and digits only, the result page judges the rest.
        code = re.sub(r"[^0-9a-z]", "", normalise_key(request.GET["code"]))[:64]
        if code:
            return redirect("verify_document", sha256=code)
        return render(request, "public/verify.html", {"form": VerifyUploadForm(), "code_error": ERR_NO_CODE})
    if request.method == "GET":
        return render(request, "public/verify.html", {"form": VerifyUploadForm()})
    form = VerifyUploadForm(request.POST, request.FILES)
    sha256, error = _hash_upload(form.cleaned_data.get("file") if form.is_valid() else None)
    if error:
        form.add_error("file", error)
        return render(request, "public/verify.html", {"form": form})
    return _result(request, doc=find_document_by_sha256(sha256), checked=sha256, matched_by="file")


def download_document(request, pk):
    """An issued PDF, byte for byte as issued, to whoever may see its subject or audits its palace."""
    if not request.user.is_authenticated:
        return deny_or_login(request)
    doc = get_object_or_404(IssuedDocument.objects.select_related("palace"), pk=pk)
    if not can_download_document(request.user, doc):
        return deny_or_login(request)
    data = document_bytes(doc)
    response = FileResponse(io.BytesIO(data), as_attachment=True, filename=doc.filename, content_type="application/pdf")
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response
