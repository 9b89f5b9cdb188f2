"""What core's audit actions are called when a reader sees them (the audit trail, home panels)."""

from django.utils.translation import gettext_lazy as _

from .registry import register_action_labels

register_action_labels(
    {
        "calendar.imported": _("Working-day calendar imported"),
        "document.issued": _("Document issued"),
        "login_lock.cleared": _("Login unlocked"),
        "membership.granted": _("Role granted"),
        "palace.created": _("Palace created"),
        "user.created": _("User created"),
    }
)
