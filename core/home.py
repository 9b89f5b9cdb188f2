"""Core's home panels: what an auditor sees first."""

from django.utils.translation import gettext_lazy as _

from .models import AuditEvent, Role
from .permissions import palace_ids
from .registry import HomePanel, register_home_panels


@register_home_panels
def audit_panels(user):
    audited = palace_ids(user, Role.AUDITOR)
    if not audited:
        return []
    events = (AuditEvent.objects.filter(palace_id__in=audited)
              .select_related("palace").order_by("-seq")[:8])
    return [HomePanel(_("Latest recorded changes"), "core/panels/audit_events.html",
                      {"events": list(events)}, order=20)]
