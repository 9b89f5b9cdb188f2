"""Rows for the audit trail's own desk pages (core/desk_audit.py): one event, and verifying the chain.

An event is read by the administrators and auditors of its palace and by superusers; to another
palace's staff it does not exist (404). Verifying the chain is the auditors' control over the people
who do the work, so administrators are refused; it reads every event but changes nothing, so the
POST is open to every auditor, whatever their palace (the page names another palace's event by its
number alone).
"""

from core.models import AuditEvent
from tests.authz import LOGIN, Check, E, url

ONE_EVENT = E(LOGIN, 403, 404, 404, 403, 200, 403, 200, 200)
VERIFY = E(LOGIN, 403, 403, 200, 403, 200, 403, 403, 200)

ROWS: dict[str, list[Check]] = {
    "desk:audit_event": [Check(url("desk:audit_event", lambda w: w.wenshang_event_seq), ONE_EVENT)],
    "desk:verify_chain": [
        Check(url("desk:verify_chain"), VERIFY),
        Check(url("desk:verify_chain"), VERIFY, method="post"),
    ],
}


def build(world) -> None:
    # The world's services have recorded many events of 汶上县; the latest will do.
    world.wenshang_event_seq = AuditEvent.objects.filter(palace=world.wenshang).order_by("-seq").first().seq
