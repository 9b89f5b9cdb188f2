from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EvaluationsConfig(AppConfig):
    name = "evaluations"
    verbose_name = _("Evaluations")

    def ready(self) -> None:
        # Imported here, not at the top: these register with core and connect signals, which needs
        # the app registry to be ready (models loaded) first.
        from evaluations import (
            audit_labels,  # noqa: F401  (registers what the audit actions are called)
            desk,  # noqa: F401  (registers desk tables)
            receivers,  # noqa: F401  (report scores and the milestone conditions)
        )
        from evaluations.exit import (
            receivers as exit_receivers,  # noqa: F401  (a 差 made final, or a termination, exits the provider)
        )
        from evaluations.exit import sections as exit_sections  # noqa: F401  (the exit; the track record)
        from evaluations.final import flows as final_flows  # noqa: F401  (the workflow follows the services)
        from evaluations.final import sections as final_sections  # noqa: F401  (on the contract's page)
        from evaluations.jobs import register_jobs
        from evaluations.realtime import (
            sections as realtime_sections,  # noqa: F401  (inspections, rating links, rating panels)
        )
        from evaluations.rectification import flows as rectification_flows  # noqa: F401  (the workflow)
        from evaluations.rectification import receivers as rectification_receivers  # noqa: F401  (orders)
        from evaluations.rectification import sections as rectification_sections  # noqa: F401
        from evaluations.standing import receivers as standing_receivers  # noqa: F401  (summaries again)
        from evaluations.standing import sections as standing_sections  # noqa: F401  (scores, home panels)

        register_jobs()
