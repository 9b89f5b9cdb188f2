from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ContractsConfig(AppConfig):
    name = "contracts"
    verbose_name = _("Contracts")

    def ready(self) -> None:
        # The award hand-off: procurement announces, contracts drafts. Imports stay one way.
        from procurement.services.recruitment import recruitment_awarded

        from . import (
            audit_labels,  # noqa: F401  (registers what the audit actions are called)
            desk,  # noqa: F401  (registers desk tables)
            home,  # noqa: F401  (registers home panels and access policies)
        )
        from .jobs import register_jobs
        from .services import contract_draft_from_award

        def draft_contract(sender, recruitment, actor=None, **kwargs):
            contract_draft_from_award(recruitment=recruitment, actor=actor)

        recruitment_awarded.connect(draft_contract, dispatch_uid="contracts.draft_from_award", weak=False)
        register_jobs()  # report reminders and missed reports for manage.py tick
