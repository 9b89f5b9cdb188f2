from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EvaluationsConfig(AppConfig):
    name = "evaluations"
    verbose_name = _("Evaluations")

    def ready(self) -> None:
        from . import (
            audit_labels,  # noqa: F401  (registers what the audit actions are called)
            desk,  # noqa: F401  (registers desk tables)
            flows,  # noqa: F401  (the rectification workflow follows the services' signal)
            flows_final,  # noqa: F401  (the final evaluation's workflow follows the services' signal)
            receivers,  # noqa: F401  (report scores and the milestone conditions)
            sections,  # noqa: F401  (rating links on the report page, the provider's rating panel)
            sections_exit,  # noqa: F401  (the exit on a terminated contract's page)
            sections_final,  # noqa: F401  (the final evaluation on the contract's page)
            sections_history,  # noqa: F401  (the provider's track record on procurement's pages)
            sections_inspections,  # noqa: F401  (contract page section, evidence downloads)
            sections_rectification,  # noqa: F401  (orders on the contract page, document access)
            sections_score,  # noqa: F401  (the month's score on the contract page, home panels)
        )
        from .jobs import register_jobs

        register_jobs()
