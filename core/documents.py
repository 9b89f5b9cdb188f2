"""The issued-document store: every PDF is rendered once, hashed, stored, and never re-rendered.

A PDF cannot print its own SHA-256, so each document prints its UUID as the
verification code, with a link and QR code to ``/verify/<code>/``. That page
shows the stored SHA-256, which anyone can compare with ``sha256sum`` of the
copy they hold; ``/verify/`` also takes the file itself.
"""

import hashlib
import logging
import re
import uuid
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.db import models, transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from . import audit
from .audit_anchor import chain_tip
from .models import IssuedDocument, Palace, Role, User
from .pdf import render_pdf
from .permissions import has_role
from .qr import qr_svg_data_uri
from .registry import can_view_subject

logger = logging.getLogger(__name__)

# Documents are dated in the palaces' time zone, whatever the server's.
DOCUMENT_TZ = ZoneInfo("Asia/Shanghai")

_SHA256_RE = re.compile(r"[0-9a-f]{64}")
_CODE_RE = re.compile(r"[0-9a-f]{32}")


class DocumentIntegrityError(Exception):
    """The stored file no longer hashes to the SHA-256 recorded when it was issued."""


def verification_code(document_id: uuid.UUID) -> str:
    return document_id.hex


def verification_code_display(document_id: uuid.UUID) -> str:
    """The code as printed: upper case in groups of four, easy to read out and type back."""
    code = verification_code(document_id).upper()
    return " ".join(code[i : i + 4] for i in range(0, len(code), 4))


def verification_url(document_id: uuid.UUID) -> str:
    path = reverse("verify_document", args=[verification_code(document_id)])
    return settings.HEZUO_PUBLIC_URL.rstrip("/") + path


def document_issue(
    *,
    actor: User | None,
    kind: str,
    subject: models.Model,
    palace: Palace | None,
    title: str,
    template: str,
    context: dict,
) -> IssuedDocument:
    """Render ``template`` to a PDF and keep it as the next version of ``kind`` for ``subject``.

    Preconditions: the caller has checked that ``actor`` may issue it. Effects:
    one ``IssuedDocument`` holding the bytes (written once, under a path named
    by their SHA-256) and one ``document.issued`` audit event, in one
    transaction. The template's context also gets ``document_id``,
    ``verification_code`` (and ``verification_code_display``), ``verification_url``, ``qr_data_uri``,
    ``issued_at``, ``palace``, ``title``, ``version``, and the audit chain's position and head hash just
    before this document's own event (``chain_seq``, ``chain_hash``, also stored on the document), which
    the PDF prints so that ``verify_audit --against`` can check the chain against it later.
    """
    if kind not in IssuedDocument.Kind.values:
        raise ValueError(f"Unknown document kind: {kind}")
    with transaction.atomic():
        content_type = ContentType.objects.get_for_model(subject)
        object_id = str(subject.pk)
        # FOR UPDATE on no rows locks nothing, so the first two issues for a
        # subject would both be version 1; locking the subject row serialises them.
        list(type(subject)._base_manager.select_for_update().filter(pk=subject.pk).values_list("pk"))
        versions = list(
            IssuedDocument.objects.select_for_update()
            .filter(content_type=content_type, object_id=object_id, kind=kind)
            .values_list("version", flat=True)
        )
        doc = IssuedDocument(
            id=uuid.uuid4(),
            kind=kind,
            title=title[:200],
            version=max(versions, default=0) + 1,
            palace=palace,
            content_type=content_type,
            object_id=object_id,
            issued_by=actor if actor is not None and actor.is_authenticated else None,
            issued_at=timezone.now(),
        )
        # The anchor: the chain's tip now, before this document's own event. Read without locking the head,
        # which would hold every audited write in every palace for the length of the render; an event that
        # lands meanwhile only puts the anchor one step earlier, and any earlier tip is as good a check.
        doc.chain_seq, doc.chain_hash = chain_tip()
        url = verification_url(doc.id)
        pdf = render_pdf(
            template,
            {
                **context,
                "document_id": doc.id,
                "verification_code": verification_code(doc.id),
                "verification_code_display": verification_code_display(doc.id),
                "verification_url": url,
                "qr_data_uri": qr_svg_data_uri(url),
                "issued_at": timezone.localtime(doc.issued_at, DOCUMENT_TZ),
                "palace": palace,
                "title": doc.title,
                "version": doc.version,
                "chain_seq": doc.chain_seq,
                "chain_hash": doc.chain_hash,
            },
        )
        doc.sha256 = hashlib.sha256(pdf).hexdigest()
        doc.size = len(pdf)
        doc.file.save(f"{doc.sha256}.pdf", ContentFile(pdf), save=False)
        try:
            doc.save(force_insert=True)
            audit.record(
                actor=actor,
                action="document.issued",
                obj=doc,
                palace=palace,
                after={
                    "kind": doc.kind,
                    "title": doc.title,
                    "version": doc.version,
                    "sha256": doc.sha256,
                    "size": doc.size,
                    "subject": f"{content_type.app_label}.{content_type.model}:{object_id}",
                },
            )
        except BaseException:
            # The row is not there, so neither should the bytes be.
            doc.file.storage.delete(doc.file.name)
            raise
    return doc


def document_bytes(doc: IssuedDocument) -> bytes:
    """The stored bytes, exactly as issued. Raises ``DocumentIntegrityError`` if they changed."""
    with doc.file.open("rb") as handle:
        data = handle.read()
    if hashlib.sha256(data).hexdigest() != doc.sha256:
        logger.error("Issued document %s no longer matches its SHA-256", doc.pk)
        raise DocumentIntegrityError(f"Stored file of document {doc.pk} was altered.")
    return data


def can_download_document(user, doc: IssuedDocument) -> bool:
    """Whoever may see the document's subject, and the admins and auditors of its palace."""
    if not user.is_authenticated:
        return False
    if user.is_superuser or has_role(user, doc.palace_id, Role.ADMIN, Role.AUDITOR):
        return True
    return can_view_subject(user, doc.subject)


# Selectors


def documents_for_subject(subject: models.Model) -> QuerySet[IssuedDocument]:
    """Every document issued about ``subject``, newest version of each kind first."""
    return (
        IssuedDocument.objects.filter(
            content_type=ContentType.objects.get_for_model(subject), object_id=str(subject.pk)
        )
        .select_related("palace", "issued_by")
        .order_by("kind", "-version")
    )


def normalise_key(key: str) -> str:
    """A verification key as typed or scanned: case, spaces and dashes do not matter."""
    return re.sub(r"[\s\-]", "", key or "").lower()


def find_document(key: str) -> IssuedDocument | None:
    """The document whose SHA-256 (64 hex) or verification code (32 hex) is ``key``, if any."""
    key = normalise_key(key)
    documents = IssuedDocument.objects.select_related("palace", "issued_by")
    if _SHA256_RE.fullmatch(key):
        return documents.filter(sha256=key).first()
    if _CODE_RE.fullmatch(key):
        return documents.filter(pk=uuid.UUID(hex=key)).first()
    return None


def find_document_by_sha256(sha256: str) -> IssuedDocument | None:
    return IssuedDocument.objects.select_related("palace", "issued_by").filter(sha256=sha256).first()


def latest_version(doc: IssuedDocument) -> IssuedDocument:
    """The newest document of the same kind about the same subject (``doc`` itself when current)."""
    return (
        IssuedDocument.objects.filter(content_type_id=doc.content_type_id, object_id=doc.object_id, kind=doc.kind)
        .order_by("-version")
        .first()
    ) or doc
