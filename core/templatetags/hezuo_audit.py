"""Audit-trail tags: an object's own change history on its page, and whether to offer the chain check.

{% load hezuo_audit %}
{% object_history contract %}
{% can_verify_chain as can_verify %}
"""

from django import template
from django.db.models import Count, Window
from django.template.loader import render_to_string

from core.audit_display import actor_login, actor_name, changed_fields, event_action_label, with_seals
from core.desk import desk_palace_ids
from core.desk_audit import history_url
from core.models import AuditEvent
from core.permissions import can_verify_audit_chain

register = template.Library()

HISTORY_LIMIT = 20


@register.simple_tag(takes_context=True)
def object_history(context, obj):
    """A collapsed "Change history (N)" with the object's newest events, for the administrators and
    auditors of the events' palace and superusers (one query); nothing for anyone else (no query)."""
    request = context.get("request")
    user = getattr(request, "user", None) or context.get("user")
    if obj is None or user is None or not user.is_authenticated:
        return ""
    events = AuditEvent.objects.filter(object_type=obj._meta.label, object_id=str(obj.pk))
    if not user.is_superuser:
        palaces = desk_palace_ids(user)
        if not palaces:
            return ""
        events = events.filter(palace_id__in=palaces)
    # One query: the newest events, each carrying how many there are in all.
    newest = list(
        with_seals(events.select_related("actor"), user)
        .annotate(total=Window(Count("pk")))
        .order_by("-seq")[:HISTORY_LIMIT]
    )
    if not newest:
        return ""
    total = newest[0].total
    rows = [
        {
            "event": e,
            "actor": actor_name(e),
            "actor_login": actor_login(e),
            "action": event_action_label(e),
            "fields": changed_fields(e),
        }
        for e in newest
    ]
    # Without the request: the page's context processors have run already, and would query again.
    return render_to_string(
        "core/includes/object_history.html",
        {
            "rows": rows,
            "total": total,
            "all_url": history_url(obj._meta.label, str(obj.pk)),
        },
    )


@register.simple_tag(takes_context=True)
def can_verify_chain(context) -> bool:
    request = context.get("request")
    user = getattr(request, "user", None) or context.get("user")
    return bool(user is not None and can_verify_audit_chain(user))
