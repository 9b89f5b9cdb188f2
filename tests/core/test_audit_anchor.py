"""The audit chain anchored outside the database: the anchor each PDF prints, the daily checkpoint,
and ``verify_audit --against`` catching a cut tail or a rewritten chain that the plain check passes."""

import io
import json
from datetime import date

import pypdf
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from core import audit
from core.audit_anchor import anchor_from_pdf, checkpoint_path
from core.documents import DOCUMENT_TZ, document_bytes, document_issue
from core.models import AuditEvent, IssuedDocument

pytestmark = pytest.mark.django_db


def add_events(provider, count: int) -> None:
    for n in range(count):
        with transaction.atomic():
            audit.record(actor=None, action="provider.noted", obj=provider, palace=provider.palace, after={"n": n})


def issue_pdf(actor, provider, tmp_path) -> tuple[IssuedDocument, str]:
    doc = document_issue(
        actor=actor,
        kind=IssuedDocument.Kind.PROVIDER_CERTIFICATE,
        subject=provider,
        palace=provider.palace,
        title=f"服务机构登记核验证明（{provider.name}）",
        template="core/pdf/base.html",
        context={},
    )
    path = tmp_path / "证明.pdf"
    path.write_bytes(document_bytes(doc))
    return doc, str(path)


def sql(statement: str, params=()) -> None:
    # Audit rows refuse the ORM's update and delete; the tampering here goes around it, as an intruder would.
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def cut_tail(count: int) -> int:
    """What the issue found: delete the last ``count`` events and point the head at the new tail."""
    sql("DELETE FROM core_auditevent WHERE seq > %s", [AuditEvent.objects.count() - count])
    tail = AuditEvent.objects.order_by("-seq").first()
    sql("UPDATE core_audithead SET seq = %s, hash = %s WHERE id = 1", [tail.seq, tail.hash])
    return tail.seq


def rewrite_from(seq: int) -> None:
    """Alter event ``seq`` and recompute every hash after it, as someone holding the database could."""
    prev = AuditEvent.objects.get(seq=seq - 1).hash if seq > 1 else audit.GENESIS
    for event in AuditEvent.objects.filter(seq__gte=seq).order_by("seq"):
        if event.seq == seq:
            event.object_repr = "改写过的记录"
        event.prev_hash = prev
        event.hash = audit._digest(event)
        sql(
            "UPDATE core_auditevent SET object_repr = %s, prev_hash = %s, hash = %s WHERE seq = %s",
            [event.object_repr, event.prev_hash, event.hash, event.seq],
        )
        prev = event.hash
    sql("UPDATE core_audithead SET hash = %s WHERE id = 1", [prev])


def verify(*files) -> str:
    out = io.StringIO()
    call_command("verify_audit", *(["--against", *files] if files else []), stdout=out)
    return out.getvalue()


def verify_fails(*files) -> str:
    with pytest.raises(CommandError) as failure:
        verify(*files)
    assert failure.value.returncode == 1
    return str(failure.value)


def write_checkpoint(when="2026-12-08T17:00:00+08:00") -> str:
    out = io.StringIO()
    call_command("tick", "--job", "core.audit_checkpoint", "--now", when, stdout=out)
    return out.getvalue()


@pytest.fixture
def issued(roles, tmp_path):
    """Five events, then a real PDF issued on top of them (its own event is the sixth)."""
    provider = roles["provider_a"].provider
    add_events(provider, 5)
    doc, path = issue_pdf(roles["admin"], provider, tmp_path)
    return provider, doc, path


def test_pdf_prints_the_chain_as_it_stood_before_its_own_event(issued):
    provider, doc, path = issued
    before = AuditEvent.objects.get(seq=doc.chain_seq)
    own = AuditEvent.objects.get(action="document.issued")
    assert own.seq == doc.chain_seq + 1
    assert doc.chain_hash == before.hash == own.prev_hash
    data = document_bytes(doc)
    text = " ".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages)
    assert f"签发时审计链：第 {doc.chain_seq} 条，链头 {doc.chain_hash[:16]}…" in text
    anchor = anchor_from_pdf(data, "证明.pdf")
    assert (anchor.seq, anchor.hash) == (doc.chain_seq, doc.chain_hash)  # the whole hash, from the keywords
    assert anchor.day is not None


def test_cut_tail_passes_the_plain_check_but_not_against_the_pdf(issued):
    provider, doc, path = issued
    assert doc.chain_seq == AuditEvent.objects.count() - 1
    remaining = cut_tail(3)
    assert "the chain is intact" in verify()  # the hole the issue found: the chain alone cannot see it
    message = verify_fails(path)
    day = timezone.localtime(doc.issued_at, DOCUMENT_TZ).date()  # the date the PDF prints
    assert "证明.pdf" in message
    assert f"该文件签发时审计链已有 {doc.chain_seq} 条，链头 {doc.chain_hash[:16]}…" in message
    assert f"现在的审计链只有 {remaining} 条" in message
    assert f"审计链与 {day.isoformat()} 签发的文件 证明.pdf 不符" in message


def test_cut_tail_fails_against_the_days_checkpoint(issued, settings):
    write_checkpoint()
    position = AuditEvent.objects.count()
    checkpoint = settings.MEDIA_ROOT / checkpoint_path(date(2026, 12, 8))
    remaining = cut_tail(3)
    message = verify_fails(str(checkpoint))
    assert "2026-12-08.json" in message
    assert f"已有 {position} 条" in message
    assert f"现在的审计链只有 {remaining} 条" in message


def test_rewritten_chain_passes_the_plain_check_but_not_against_the_pdf(issued):
    provider, doc, path = issued
    rewrite_from(doc.chain_seq - 1)
    assert "the chain is intact" in verify()
    message = verify_fails(path)
    assert f"第 {doc.chain_seq} 条" in message
    assert "改写" in message


def test_a_chain_that_only_grew_passes_against_the_pdf_and_the_checkpoint(issued, settings):
    provider, doc, path = issued
    write_checkpoint()
    add_events(provider, 4)
    checkpoint = str(settings.MEDIA_ROOT / "audit/checkpoints/2026-12-08.json")
    output = verify(path, checkpoint)
    assert "the chain is intact" in output
    assert f"第 {doc.chain_seq} 条事件仍在审计链中，哈希仍为 {doc.chain_hash[:16]}…" in output
    assert "2026-12-08.json" in output


def test_checkpoint_is_written_once_a_day(issued, settings):
    first = write_checkpoint("2026-12-08T00:05:00+08:00")
    provider = issued[0]
    add_events(provider, 2)
    second = write_checkpoint("2026-12-08T23:55:00+08:00")
    assert "already written" in second and "already written" not in first
    files = sorted(p.name for p in (settings.MEDIA_ROOT / "audit/checkpoints").iterdir())
    assert files == ["2026-12-08.json"]
    body = json.loads((settings.MEDIA_ROOT / "audit/checkpoints/2026-12-08.json").read_text())
    assert body["position"] == AuditEvent.objects.count() - 2
    assert body["head_hash"] == AuditEvent.objects.get(seq=body["position"]).hash
    assert body["time"].startswith("2026-12-08T00:05:00")
    write_checkpoint("2026-12-09T00:05:00+08:00")
    assert len(list((settings.MEDIA_ROOT / "audit/checkpoints").iterdir())) == 2


def test_a_file_that_is_no_anchor_is_refused_plainly(issued, tmp_path):
    stray = tmp_path / "notes.json"
    stray.write_text('{"hello": 1}')
    with pytest.raises(CommandError) as failure:
        verify(str(stray))
    assert "notes.json" in str(failure.value)
    assert "检查点" in str(failure.value)


# --- the desk's verify page takes the file too ----------------------------------------------------


def post_file(client, name: str, data: bytes) -> str:
    upload = SimpleUploadedFile(name, data)
    return client.post(reverse("desk:verify_chain"), {"against": upload}).content.decode()


def test_desk_checks_the_chain_against_an_uploaded_pdf(issued, roles, client_for):
    provider, doc, path = issued
    client = client_for(roles["auditor"])
    page = post_file(client, "证明.pdf", document_bytes(doc))
    assert 'data-result="intact"' in page and 'data-result="matches"' in page
    remaining = cut_tail(3)
    page = post_file(client, "证明.pdf", document_bytes(doc))
    assert 'data-result="intact"' in page  # the chain alone still looks sound
    assert 'data-result="differs"' in page
    assert f"现在的审计链只有 {remaining} 条" in page


def test_desk_says_plainly_when_the_upload_is_no_anchor(issued, roles, client_for):
    page = post_file(client_for(roles["auditor"]), "photo.png", b"\x89PNG not an anchor")
    assert 'data-result="differs"' in page and "photo.png" in page and "检查点" in page
