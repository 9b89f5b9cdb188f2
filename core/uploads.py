"""Uploaded files: type checked by content, size and count capped, names chosen by the server."""

import hashlib
from collections.abc import Sequence

import filetype
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .errors import DomainError
from .models import StoredFile, User

DOCUMENT_TYPES = frozenset({"application/pdf", "image/jpeg", "image/png"})
IMAGE_TYPES = frozenset({"image/jpeg", "image/png"})

ERR_EMPTY = _("The file “%(name)s” is empty.")
ERR_TOO_LARGE = _("The file “%(name)s” is %(size)s; the limit is %(limit)s.")
ERR_TYPE = _("The file “%(name)s” is not an accepted type (%(allowed)s). Its content was checked, not its name.")
ERR_TOO_MANY = _("At most %(limit)d files can be uploaded at once.")

_TYPE_LABELS = {"application/pdf": "PDF", "image/jpeg": "JPEG", "image/png": "PNG"}


def detect_type(head: bytes) -> str | None:
    """The MIME type from the file's first bytes, or None when it is not a known binary type."""
    kind = filetype.guess(head)
    return kind.mime if kind else None


def display_name(name: str) -> str:
    """A file name safe to show and to offer on download: no directories, no control characters."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(ch for ch in base if ch.isprintable()).strip().lstrip(".")
    return base[:150] or "file"


def check_file_count(uploads: Sequence, limit: int | None = None) -> None:
    limit = limit or settings.DATA_UPLOAD_MAX_NUMBER_FILES
    if len(uploads) > limit:
        raise DomainError(ERR_TOO_MANY % {"limit": limit}, field="file")


def check_upload(
    *, upload: UploadedFile, allowed: frozenset[str] = DOCUMENT_TYPES, max_bytes: int | None = None
) -> str:
    """Validate one upload without storing it; return its detected MIME type.

    Raises ``DomainError`` naming the file when it is empty, too large, or its
    content is not one of ``allowed`` (whatever its name or declared type says).
    """
    limit = max_bytes or settings.HEZUO_UPLOAD_MAX_BYTES
    name = display_name(upload.name)
    if not upload.size:
        raise DomainError(ERR_EMPTY % {"name": name}, field="file")
    if upload.size > limit:
        raise DomainError(
            ERR_TOO_LARGE % {"name": name, "size": filesizeformat(upload.size), "limit": filesizeformat(limit)},
            field="file",
        )
    upload.seek(0)
    mime = detect_type(upload.read(8192))
    upload.seek(0)
    if mime not in allowed:
        labels = "、".join(sorted(_TYPE_LABELS.get(t, t) for t in allowed))
        raise DomainError(ERR_TYPE % {"name": name, "allowed": labels}, field="file")
    return mime


def store_uploads(
    *,
    uploads: Sequence[UploadedFile],
    purpose: str,
    actor: User | None,
    allowed: frozenset[str] = DOCUMENT_TYPES,
    max_bytes: int | None = None,
) -> list[StoredFile]:
    """Check every upload first, then store them all: a refused file leaves nothing on disk."""
    check_file_count(uploads)
    for upload in uploads:
        check_upload(upload=upload, allowed=allowed, max_bytes=max_bytes)
    return [store_upload(upload=u, purpose=purpose, actor=actor, allowed=allowed, max_bytes=max_bytes) for u in uploads]


def store_upload(
    *,
    upload: UploadedFile,
    purpose: str,
    actor: User | None,
    allowed: frozenset[str] = DOCUMENT_TYPES,
    max_bytes: int | None = None,
) -> StoredFile:
    """Check one upload and store it under a server-generated name.

    Raises ``DomainError`` naming the file when it is empty, too large, or its
    content is not one of ``allowed`` (whatever its name or declared type says).
    """
    mime = check_upload(upload=upload, allowed=allowed, max_bytes=max_bytes)
    name = display_name(upload.name)
    upload.seek(0)
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    stored = StoredFile(
        purpose=purpose,
        original_name=name,
        content_type=mime,
        size=upload.size,
        sha256=digest.hexdigest(),
        uploaded_by=actor,
        uploaded_at=timezone.now(),
    )
    stored.file.save("upload", upload, save=False)
    stored.save()
    return stored
