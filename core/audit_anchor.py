"""Anchors: the audit chain's tip, copied out of the database, to check the chain against later.

The chain alone cannot notice its own tail being cut: delete the last events,
set ``AuditHead`` to the new tip, and every remaining hash still verifies. So
the tip is written down where the database cannot reach it: every issued PDF
prints the position and head hash the chain had just before the document's own
``document.issued`` event, and ``tick`` writes a daily checkpoint file
(``audit/checkpoints/YYYY-MM-DD.json`` in the media store) that an operator
copies off the machine. ``manage.py verify_audit --against FILE`` then asks:
does the chain still hold event N, with that hash?
"""

import io
import json
import re
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db.models import Max
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .audit import GENESIS
from .models import AuditEvent, AuditHead
from .scheduler import exclusive, register_job

CHECKPOINT_DIR = "audit/checkpoints"
# What a PDF prints (templates/core/pdf/base.html): 签发时审计链：第 N 条，链头 <first 16 hex>…
PRINTED_HASH_LENGTH = 16
_PRINTED_ANCHOR = re.compile(r"签发时审计链\s*[：:]\s*第\s*(\d+)\s*条\s*[，,]\s*链头\s*([0-9a-f]{16,64})")
_PRINTED_DATE = re.compile(r"签发于\s*(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")
# The PDF's keywords carry the whole hash too (审计链 N <64 hex>), for a stricter comparison.
_KEYWORDS_ANCHOR = re.compile(r"审计链\s+(\d+)\s+([0-9a-f]{64})")


class AnchorUnreadable(ValueError):
    """The file is neither an issued PDF that prints an anchor nor a checkpoint."""


ANCHOR_UNREADABLE = gettext_lazy(
    "%(path)s is neither an issued PDF that prints the audit chain's position nor a checkpoint "
    "file: nothing to check the chain against."
)


@dataclass(frozen=True)
class Anchor:
    """Event ``seq`` of the chain had hash ``hash`` (whole, or the prefix a PDF prints) on ``day``."""

    seq: int
    hash: str
    day: date | None
    source: str  # the file's name, for the message
    is_document: bool


@dataclass(frozen=True)
class AnchorCheck:
    ok: bool
    message: str


def chain_tip() -> tuple[int, str]:
    """The chain's position and head hash now (0 and the genesis hash before the first event)."""
    head = AuditHead.objects.filter(id=1).first()
    return (head.seq, head.hash) if head is not None else (0, GENESIS)


# Checkpoints


def checkpoint_path(day: date) -> str:
    return f"{CHECKPOINT_DIR}/{day.isoformat()}.json"


def write_daily_checkpoint(now: datetime) -> str:
    """The ``tick`` job: write today's checkpoint once (a second run the same day leaves it alone)."""
    day = timezone.localdate(now)
    path = checkpoint_path(day)
    with exclusive("audit_checkpoint") as mine:
        if not mine:
            return "skipped: another tick is writing it"
        if default_storage.exists(path):
            return f"{path} already written"
        seq, head_hash = chain_tip()
        body = {"position": seq, "head_hash": head_hash, "time": timezone.localtime(now).isoformat()}
        saved = default_storage.save(path, ContentFile(json.dumps(body, indent=2).encode("utf-8") + b"\n"))
    return f"{saved}: event #{seq}, head {head_hash[:16]}…"


# Reading anchors from files


def anchor_from_pdf(data: bytes, source: str) -> Anchor:
    """The anchor an issued PDF prints in its verification band (and, whole, in its keywords)."""
    import pypdf  # only ``verify_audit --against`` reads PDFs

    try:
        reader = pypdf.PdfReader(io.BytesIO(data))
        text = "\n".join(page.extract_text() or "" for page in reader.pages)
        keywords = str((reader.metadata or {}).get("/Keywords") or "")
    except pypdf.errors.PdfReadError as exc:
        raise AnchorUnreadable(source) from exc
    printed = _PRINTED_ANCHOR.search(re.sub(r"\s+", " ", text))
    if printed is None:
        raise AnchorUnreadable(source)
    seq, head_hash = int(printed.group(1)), printed.group(2)
    whole = _KEYWORDS_ANCHOR.search(keywords)
    if whole and int(whole.group(1)) == seq and whole.group(2).startswith(head_hash):
        head_hash = whole.group(2)
    issued = _PRINTED_DATE.search(text)
    day = date(*(int(part) for part in issued.groups())) if issued else None
    return Anchor(seq, head_hash, day, source, is_document=True)


def anchor_from_checkpoint(data: bytes, source: str) -> Anchor:
    """A checkpoint file: ``{"position": N, "head_hash": "<64 hex>", "time": "<ISO time>"}``."""
    try:
        body = json.loads(data.decode("utf-8"))
        seq, head_hash = int(body["position"]), str(body["head_hash"]).lower()
        when = parse_datetime(str(body.get("time") or ""))
    except (ValueError, KeyError, TypeError, UnicodeDecodeError) as exc:
        raise AnchorUnreadable(source) from exc
    if seq < 0 or not re.fullmatch(r"[0-9a-f]{64}", head_hash):
        raise AnchorUnreadable(source)
    return Anchor(seq, head_hash, when.date() if when else None, source, is_document=False)


def read_anchor(path: str | Path) -> Anchor:
    """The anchor in a file on disk: an issued PDF or a checkpoint."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise AnchorUnreadable(str(path)) from exc
    return anchor_from_bytes(data, path.name)


def anchor_from_bytes(data: bytes, source: str) -> Anchor:
    """An issued PDF or a checkpoint, told apart by their content (``source`` names it in messages)."""
    if data.lstrip().startswith(b"%PDF"):
        return anchor_from_pdf(data, source)
    return anchor_from_checkpoint(data, source)


# Checking


def check_anchor(anchor: Anchor) -> AnchorCheck:
    """Does the chain still hold event ``anchor.seq`` with ``anchor.hash``? Say plainly what is wrong."""
    facts = {
        "day": anchor.day.isoformat() if anchor.day else "?",
        "name": anchor.source,
        "seq": anchor.seq,
        "hash": anchor.hash[:PRINTED_HASH_LENGTH],
    }
    if anchor.seq == 0:
        found_hash = GENESIS
    else:
        found_hash = AuditEvent.objects.filter(seq=anchor.seq).values_list("hash", flat=True).first()
    if found_hash is None:
        facts["now"] = AuditEvent.objects.aggregate(last=Max("seq"))["last"] or 0
        if anchor.is_document:
            message = _(
                "The audit chain does not match the document %(name)s issued on %(day)s: when it was issued the "
                "chain already had %(seq)s events, head %(hash)s…; the chain now has only %(now)s events."
            )
        else:
            message = _(
                "The audit chain does not match the checkpoint %(name)s of %(day)s: the chain then already had "
                "%(seq)s events, head %(hash)s…; the chain now has only %(now)s events."
            )
        return AnchorCheck(False, message % facts)
    if not found_hash.startswith(anchor.hash):
        facts["found"] = found_hash[:PRINTED_HASH_LENGTH]
        if anchor.is_document:
            message = _(
                "The audit chain does not match the document %(name)s issued on %(day)s: when it was issued event "
                "#%(seq)s had head hash %(hash)s…; event #%(seq)s now has hash %(found)s…, so the chain was "
                "rewritten."
            )
        else:
            message = _(
                "The audit chain does not match the checkpoint %(name)s of %(day)s: event #%(seq)s then had head "
                "hash %(hash)s…; event #%(seq)s now has hash %(found)s…, so the chain was rewritten."
            )
        return AnchorCheck(False, message % facts)
    if anchor.is_document:
        message = _("Matches the document %(name)s issued on %(day)s: event #%(seq)s still has hash %(hash)s….")
    else:
        message = _("Matches the checkpoint %(name)s of %(day)s: event #%(seq)s still has hash %(hash)s….")
    return AnchorCheck(True, message % facts)


register_job("core.audit_checkpoint", write_daily_checkpoint)
