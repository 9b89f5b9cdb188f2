"""How core's audit trail names contracts' actions and links to its objects' pages."""

from django.utils.translation import gettext_lazy as _

from core.registry import register_action_labels, register_object_url, url_by_pk

register_action_labels(
    {
        "contract.accepted": _("Contract accepted by the provider"),
        "contract.completed": _("Contract completed"),
        "contract.drafted": _("Contract drafted"),
        "contract.final_evaluation_begun": _("Contract in final evaluation"),
        "contract.rectification_closed": _("Contract back in service after rectification"),
        "contract.rectification_opened": _("Contract under rectification"),
        "contract.renewed": _("Contract renewed"),
        "contract.signed": _("Contract signed"),
        "contract.terminated": _("Contract terminated"),
        "contract.updated": _("Contract edited"),
        "milestone.released": _("Milestone payment released"),
        "report.accepted": _("Service report accepted"),
        "report.imported": _("Activities imported into a service report"),
        "report.missed": _("Service report missed"),
        "report.returned": _("Service report returned"),
        "report.saved": _("Service report saved"),
        "report.submitted": _("Service report submitted"),
    }
)

register_object_url("contracts.Contract", url_by_pk("contracts:contract_detail"))
register_object_url("contracts.ServiceReport", url_by_pk("contracts:report_detail"))
