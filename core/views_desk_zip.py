"""The desk's bulk download: the documents a filter selects, as one ZIP with a manifest.

The ZIP is written to a temporary file, one PDF at a time, 64 KiB at a time, while each is
hashed; nothing holds a whole PDF, let alone all of them, so the memory a download takes
does not grow with the number of documents (scripts/benchmark_desk_zip.py measures it).
PDFs are already compressed, so they are stored, not deflated again.

``manifest.csv`` lists each file's name in the ZIP, its SHA-256, kind, subject, issue time
(Beijing time) and whether the stored bytes still hash to the SHA-256 recorded at issue.
"""

import csv
import hashlib
import io
import logging
import re
import shutil
import tempfile
import unicodedata
import zipfile

from django.contrib import messages
from django.http import FileResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_GET

from .desk import can_use_desk
from .desk_documents import DocumentDeskView, subject_label
from .documents import DOCUMENT_TZ
from .exports import sanitize_cell
from .models import IssuedDocument
from .viewmixins import deny_or_login

logger = logging.getLogger(__name__)

MAX_ZIP_DOCUMENTS = 1000
CHUNK_BYTES = 64 * 1024
ROWS_PER_FETCH = 200
MANIFEST_NAME = "manifest.csv"
ZIP_FIELDS = ("kind", "title", "version", "palace__name", "sha256", "size", "file", "issued_at")

# A name in the ZIP must be one plain file name on Windows, macOS and Linux alike: no path
# separators or characters Windows refuses, no control or invisible formatting characters
# (a right-to-left override could make "…fdp.exe" read as "…exe.pdf"), no "..", no leading
# dot (a hidden file) or trailing dot or space. Chinese stays as it is: 120 characters, and at
# most 180 bytes of UTF-8 so that "-v12 (3).pdf" still fits the usual 255-byte limit.
_UNSAFE = re.compile(r'[<>:"/\\|?*]')
_DOTS = re.compile(r"\.{2,}")
_SPACES = re.compile(r"\s+")
MAX_NAME_CHARS = 120
MAX_NAME_BYTES = 180


def safe_stem(text: str, fallback: str = "document") -> str:
    """``text`` made into a file name (without extension) that is safe on every system."""
    text = unicodedata.normalize("NFC", text or "")
    text = "".join(" " if unicodedata.category(c) in ("Zl", "Zp") or c in "\t\r\n" else c for c in text)
    text = "".join(c for c in text if not unicodedata.category(c).startswith("C"))
    text = _DOTS.sub(".", _UNSAFE.sub("_", text))
    text = _SPACES.sub(" ", text).strip(" ._")
    text = text[:MAX_NAME_CHARS]
    while len(text.encode()) > MAX_NAME_BYTES:
        text = text[:-1]
    text = text.rstrip(" .")
    return text or fallback


class _Names:
    """Unique names in one ZIP: the second "报告-v1.pdf" becomes "报告-v1 (2).pdf", and so on.
    Compared without case, as Windows and macOS compare them."""

    def __init__(self):
        self.taken: set[str] = {MANIFEST_NAME}

    def claim(self, stem: str, extension: str) -> str:
        name, n = f"{stem}{extension}", 1
        while name.casefold() in self.taken:
            n += 1
            name = f"{stem} ({n}){extension}"
        self.taken.add(name.casefold())
        return name


def document_entry_name(doc: IssuedDocument) -> tuple[str, str]:
    """(stem, extension) of ``doc``'s file in the ZIP: its title and version, like a single download."""
    return f"{safe_stem(doc.title, fallback=doc.kind)}-v{doc.version}", ".pdf"


def _back(request):
    query = request.GET.copy()
    query.pop("_export", None)
    url = reverse("desk:table", args=[DocumentDeskView.slug])
    return redirect(f"{url}?{query.urlencode()}" if query else url)


def _copy_hashing(source, target) -> str:
    digest = hashlib.sha256()
    while chunk := source.read(CHUNK_BYTES):
        digest.update(chunk)
        target.write(chunk)
    return digest.hexdigest()


def _entry(name: str, when) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=when.timetuple()[:6])
    info.compress_type = zipfile.ZIP_STORED
    # rw-r--r--: without it, unzip on Linux or macOS makes files nobody may read.
    info.external_attr = 0o100644 << 16
    return info


def write_documents_zip(documents, target) -> set[str]:
    """Write each of ``documents`` (an iterable of IssuedDocument) and the manifest as a ZIP to the
    binary file ``target``. Returns the names of the palaces the documents belong to."""
    names = _Names()
    palaces: set[str] = set()
    yes, no, missing = _("yes"), _("no"), _("file missing")
    with tempfile.TemporaryFile() as manifest_file, zipfile.ZipFile(target, "w", zipfile.ZIP_STORED) as archive:
        manifest_text = io.TextIOWrapper(manifest_file, encoding="utf-8-sig", newline="")
        manifest = csv.writer(manifest_text)
        manifest.writerow([_("File name"), _("SHA-256"), _("Kind"), _("Object"), _("Issued at"), _("Verified")])
        for doc in documents:
            if doc.palace is not None:
                palaces.add(doc.palace.name)
            issued_at = timezone.localtime(doc.issued_at, DOCUMENT_TZ)
            name = names.claim(*document_entry_name(doc))
            info = _entry(name, issued_at)
            try:
                with doc.file.open("rb") as source, archive.open(info, "w", force_zip64=doc.size >= 2**31) as entry:
                    sha256 = _copy_hashing(source, entry)
            except FileNotFoundError:
                logger.error("Issued document %s has no stored file", doc.pk)
                name, verified = "", missing
            else:
                verified = yes if sha256 == doc.sha256 else no
                if sha256 != doc.sha256:
                    logger.error("Issued document %s no longer matches its SHA-256", doc.pk)
            manifest.writerow(
                [
                    sanitize_cell(cell)
                    for cell in (
                        name,
                        doc.sha256,
                        str(doc.get_kind_display()),
                        subject_label(doc),
                        issued_at.isoformat(timespec="seconds"),
                        verified,
                    )
                ]
            )
        manifest_text.flush()
        manifest_file.seek(0)
        with archive.open(_entry(MANIFEST_NAME, timezone.localtime(timezone.now(), DOCUMENT_TZ)), "w") as entry:
            shutil.copyfileobj(manifest_file, entry, CHUNK_BYTES)
        manifest_text.detach()
    return palaces


@require_GET
def documents_zip(request):
    """The documents the desk's documents table shows for the same filter, as one ZIP."""
    if not can_use_desk(request.user):
        return deny_or_login(request)
    # The table's own view gives the queryset: the same palaces, the same filter, nothing more.
    table_view = DocumentDeskView()
    table_view.setup(request)
    filterset = table_view.get_filterset(table_view.get_filterset_class())
    if filterset.is_bound and not filterset.is_valid():
        messages.error(request, _("Correct the filter, then download the ZIP again."))
        return _back(request)
    # Only what the ZIP needs of each row: it reads thousands of rows the table never shows at once.
    documents = (
        filterset.qs.select_related(None).select_related("palace").only(*ZIP_FIELDS).order_by("-issued_at", "pk")
    )
    count = documents.count()
    if count == 0:
        messages.info(request, _("No documents match the filter, so there is nothing to download."))
        return _back(request)
    if count > MAX_ZIP_DOCUMENTS:
        messages.warning(
            request,
            _(
                "The filter selects %(count)d documents; a ZIP holds at most %(max)d. Narrow "
                "the filter (a date range, a kind or a palace), then download again."
            )
            % {"count": count, "max": MAX_ZIP_DOCUMENTS},
        )
        return _back(request)
    handle = tempfile.TemporaryFile()
    try:
        palaces = write_documents_zip(documents.iterator(chunk_size=ROWS_PER_FETCH), handle)
    except BaseException:
        handle.close()
        raise
    handle.seek(0)
    today = timezone.localtime(timezone.now(), DOCUMENT_TZ)
    parts = [
        pgettext("the file name of a ZIP of issued documents", "Documents"),
        *(palaces if len(palaces) == 1 else ()),
        f"{today:%Y%m%d}",
    ]
    filename = safe_stem("-".join(parts)) + ".zip"
    response = FileResponse(handle, as_attachment=True, filename=filename, content_type="application/zip")
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
