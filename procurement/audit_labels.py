"""How core's audit trail names procurement's actions and links to its objects' pages."""

from django.utils.translation import gettext_lazy as _

from core.registry import register_action_labels, register_object_url, url_by_pk

register_action_labels(
    {
        "application.submitted": _("Application submitted"),
        "application.resubmitted": _("Application resubmitted"),
        "application.withdrawn": _("Application withdrawn"),
        "award.proposed": _("Award proposed and published"),
        "objection.lodged": _("Objection lodged"),
        "objection.rejected": _("Objection rejected"),
        "objection.upheld": _("Objection upheld"),
        "panel.assigned": _("Panel member assigned"),
        "panel.declared": _("Panel member declared no conflict"),
        "panel.recused": _("Panel member recused"),
        "panel.replaced": _("Panel member replaced"),
        "provider.documents_added": _("Provider documents added"),
        "provider.profile_updated": _("Provider profile updated"),
        "provider.registered": _("Provider registered"),
        "provider.rejected": _("Provider rejected"),
        "provider.resubmitted": _("Provider resubmitted for verification"),
        "provider.verified": _("Provider verified"),
        "recruitment.awarded": _("Recruitment awarded"),
        "recruitment.cancelled": _("Recruitment cancelled"),
        "recruitment.closed": _("Recruitment closed to applications"),
        "recruitment.compiled": _("Recruitment scores compiled"),
        "recruitment.created": _("Recruitment drafted"),
        "recruitment.failed": _("Recruitment failed"),
        "recruitment.published": _("Recruitment published"),
        "recruitment.reissued": _("Recruitment reissued"),
        "recruitment.reopened": _("Recruitment reopened for review"),
        "recruitment.retender_drafted": _("Re-tender drafted"),
        "recruitment.updated": _("Recruitment edited"),
        "score.correction_approved": _("Score correction approved"),
        "score.correction_rejected": _("Score correction rejected"),
        "score.correction_requested": _("Score correction requested"),
        "scores.justified": _("Outlier scores justified"),
        "scores.outliers_flagged": _("Outlier scores flagged"),
        "scores.submitted": _("Scores submitted"),
        "service_project.created": _("Service project created"),
        "service_project.updated": _("Service project edited"),
    }
)

register_object_url("procurement.Provider", url_by_pk("procurement:provider_detail"))
register_object_url("procurement.ServiceProject", url_by_pk("procurement:project_detail"))
register_object_url("procurement.Recruitment", url_by_pk("procurement:recruitment_detail"))
