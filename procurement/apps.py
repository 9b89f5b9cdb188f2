from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProcurementConfig(AppConfig):
    name = "procurement"
    verbose_name = _("Recruitment")

    def ready(self) -> None:
        # Imported here, not at the top: they import models, which Django loads after the app configs.
        from . import (
            audit_labels,  # noqa: F401  (registers what the audit actions are called)
            audit_seals,  # noqa: F401  (registers which audit events are sealed, and from whom)
            desk,  # noqa: F401  (registers desk tables)
            flows,  # noqa: F401  (the panel workflow follows the panel services' signal)
            home,  # noqa: F401  (registers home panels and access policies)
        )
        from .jobs import register_jobs

        register_jobs()  # deadlines for manage.py tick
