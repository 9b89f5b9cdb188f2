"""The hash-chained audit trail.

Every service writes exactly one event per change inside its own transaction.
Each event's hash covers its content and the previous event's hash, so editing,
deleting or reordering any stored row breaks the chain at that row.
"""

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC
from decimal import Decimal
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models, transaction
from django.utils import timezone

from .middleware import clean_ip, current_ip
from .models import AuditEvent, AuditHead, Palace, User

GENESIS = "0" * 64


def _stable_number(text: str) -> float | int:
    # PostgreSQL's jsonb keeps numbers as ``numeric``, which has no negative zero
    # and no exponent: -0.0 comes back as 0.0 and 1e+16 as 10000000000000000 (an
    # int). Store those the way jsonb will return them, or the hash of a value
    # read back would differ from the hash written and verify_chain would cry wolf.
    exact = Decimal(text)
    if exact == 0:
        return 0.0
    if "e+" in text.lower():
        return int(exact)
    return float(text)


def to_json(value: Any) -> Any:
    """Normalise a value to plain JSON so that what is stored is exactly what was hashed."""
    if value is None:
        return None
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False), parse_float=_stable_number)


def snapshot(obj: models.Model, fields: list[str] | None = None) -> dict:
    """The concrete field values of ``obj`` (foreign keys as ids), for before/after."""
    names = fields or [f.name for f in obj._meta.concrete_fields]
    data = {}
    for name in names:
        field = obj._meta.get_field(name)
        data[name] = getattr(obj, field.attname)
    return to_json(data)


def _payload(event: AuditEvent) -> dict:
    """What an event's hash covers: its content and the previous event's hash."""
    return {
        "seq": event.seq,
        "created_at": event.created_at.astimezone(UTC).isoformat(),
        "actor_id": event.actor_id,
        "actor_label": event.actor_label,
        "ip": event.ip,
        "palace_id": event.palace_id,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "object_repr": event.object_repr,
        "action": event.action,
        "before": event.before,
        "after": event.after,
        "prev_hash": event.prev_hash,
    }


def _canonical(payload: dict) -> str:
    return json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _digest(event: AuditEvent) -> str:
    return hashlib.sha256(_canonical(_payload(event)).encode("utf-8")).hexdigest()


def record(
    *,
    actor: User | None,
    action: str,
    obj: models.Model,
    palace: Palace | int | None = None,
    before: dict | None = None,
    after: dict | None = None,
) -> AuditEvent:
    """Append one event. Must run inside the caller's transaction, so both commit or neither."""
    if not connection.in_atomic_block:
        raise RuntimeError("audit.record() must be called inside transaction.atomic()")
    head, _ = AuditHead.objects.select_for_update().get_or_create(id=1)
    palace_id = palace.pk if isinstance(palace, Palace) else palace
    actor_user = actor if actor is not None and actor.is_authenticated else None
    event = AuditEvent(
        seq=head.seq + 1,
        created_at=timezone.now(),
        actor=actor_user,
        actor_label=(actor_user.get_username() if actor_user else "system"),
        ip=clean_ip(current_ip()),
        palace_id=palace_id,
        object_type=obj._meta.label,
        object_id=str(obj.pk),
        object_repr=str(obj)[:200],
        action=action,
        before=to_json(before),
        after=to_json(after),
        prev_hash=head.hash,
    )
    event.hash = _digest(event)
    event.save()
    AuditHead.objects.filter(id=1).update(seq=event.seq, hash=event.hash)
    return event


@dataclass
class ChainReport:
    checked: int
    ok: bool
    first_bad_seq: int | None = None
    problem: str = ""
    # What broke, for a reader in any language: MISSING (``other_seq``: the next stored event),
    # OUT_OF_ORDER (``other_seq``: the event it should follow), ALTERED, or TRUNCATED
    # (``other_seq``: the chain tip the head names).
    kind: str = ""
    other_seq: int | None = None

    MISSING = "missing"
    OUT_OF_ORDER = "out_of_order"
    ALTERED = "altered"
    TRUNCATED = "truncated"


def verify_chain() -> ChainReport:
    """Walk the chain in order and name the first event that was altered, removed or moved."""
    expected_prev = GENESIS
    expected_seq = 1
    checked = 0
    with transaction.atomic():
        head = AuditHead.objects.filter(id=1).first()
        for event in AuditEvent.objects.order_by("seq").iterator(chunk_size=2000):
            checked += 1
            if event.seq != expected_seq:
                return ChainReport(
                    checked,
                    False,
                    expected_seq,
                    f"event #{expected_seq} is missing (next stored event is #{event.seq})",
                    kind=ChainReport.MISSING,
                    other_seq=event.seq,
                )
            if event.prev_hash != expected_prev:
                return ChainReport(
                    checked,
                    False,
                    event.seq,
                    f"event #{event.seq} does not follow event #{event.seq - 1}",
                    kind=ChainReport.OUT_OF_ORDER,
                    other_seq=event.seq - 1,
                )
            if _digest(event) != event.hash:
                return ChainReport(
                    checked,
                    False,
                    event.seq,
                    f"event #{event.seq} was altered",
                    kind=ChainReport.ALTERED,
                )
            expected_prev = event.hash
            expected_seq += 1
        last_seq = expected_seq - 1
        if head is not None and (head.seq != last_seq or head.hash != expected_prev):
            return ChainReport(
                checked,
                False,
                last_seq + 1,
                f"events after #{last_seq} were removed (the chain tip is #{head.seq})",
                kind=ChainReport.TRUNCATED,
                other_seq=head.seq,
            )
    return ChainReport(checked, True)


@dataclass
class ChainBreak:
    """The stored events that show where a broken chain broke, for ``verify_audit`` and the desk.

    ``bad`` is the first bad event when it is still stored; when it is gone (removed), ``last_good``
    and ``next_stored`` are the stored events either side of the gap.
    """

    bad: AuditEvent | None = None
    last_good: AuditEvent | None = None
    next_stored: AuditEvent | None = None


def chain_break(report: ChainReport) -> ChainBreak:
    if report.ok or report.first_bad_seq is None:
        return ChainBreak()
    events = AuditEvent.objects.select_related("actor", "palace")
    bad = events.filter(seq=report.first_bad_seq).first()
    if bad is not None:
        return ChainBreak(bad=bad)
    return ChainBreak(
        last_good=events.filter(seq__lt=report.first_bad_seq).order_by("-seq").first(),
        next_stored=events.filter(seq__gt=report.first_bad_seq).order_by("seq").first(),
    )


def describe(event: AuditEvent) -> str:
    """One line for an operator: seq, action code, object, time and who (``verify_audit``)."""
    when = timezone.localtime(event.created_at).isoformat(timespec="seconds")
    return (
        f"#{event.seq} · {event.action} · {event.object_type} {event.object_id} "
        f"“{event.object_repr}” · {when} · by {event.actor_label}"
    )
