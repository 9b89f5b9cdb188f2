"""Core's home panels: what an auditor sees first."""

from django.utils.translation import gettext_lazy as _

from .audit_display import actor_login, actor_name, event_action_label, object_label, with_seals
from .models import AuditEvent, Role
from .permissions import palace_ids
from .registry import HomePanel, register_home_panels


@register_home_panels
def audit_panels(user):
    audited = palace_ids(user, Role.AUDITOR)
    if not audited:
        return []
    events = with_seals(AuditEvent.objects.filter(palace_id__in=audited).select_related("actor"), user)
    rows = [
        {
            "event": e,
            "action": event_action_label(e),
            "object": object_label(e),
            "actor": actor_name(e),
            "actor_login": actor_login(e),
        }
        for e in events.order_by("-seq")[:8]
    ]
    return [HomePanel(_("Latest recorded changes"), "core/panels/audit_events.html", {"events": rows}, order=20)]
