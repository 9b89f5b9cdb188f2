from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        # Imported here, not at the top: they import models, which Django loads after the app configs.
        from . import (
            audit_anchor,  # noqa: F401  (registers the daily audit checkpoint with tick)
            audit_labels,  # noqa: F401  (registers what core's audit actions are called)
            checks,  # noqa: F401  (registers system checks)
            checks_calendar,  # noqa: F401  (registers hezuo.W002 under the database tag)
            desk_audit,  # noqa: F401  (registers the audit trail's desk table)
            desk_documents,  # noqa: F401  (registers desk tables)
            home,  # noqa: F401  (registers core's home panels)
        )
