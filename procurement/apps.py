from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProcurementConfig(AppConfig):
    name = "procurement"
    verbose_name = _("Recruitment")

    def ready(self) -> None:
        from . import home  # noqa: F401  (registers home panels and access policies)
