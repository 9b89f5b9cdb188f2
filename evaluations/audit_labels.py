"""How core's audit trail names evaluations' actions and links to its objects' pages."""

from django.utils.translation import gettext_lazy as _

from core.registry import register_action_labels, register_object_url, url_by_pk
from evaluations.rectification.models import RectificationOrder

register_action_labels(
    {
        "checklist.activated": _("Inspection checklist activated"),
        "checklist.created": _("Inspection checklist created"),
        "checklist.deactivated": _("Inspection checklist deactivated"),
        "exit.handover_completed": _("Exit handover completed"),
        "exit.opened": _("Exit opened"),
        "final_evaluation.appeal_decided": _("Final evaluation appeal decided"),
        "final_evaluation.appeal_window_closed": _("Final evaluation appeal window closed"),
        "final_evaluation.appealed": _("Final evaluation appealed"),
        "final_evaluation.cancelled": _("Final evaluation cancelled"),
        "final_evaluation.finalised": _("Final evaluation finalised"),
        "final_evaluation.opened": _("Final evaluation opened"),
        "final_evaluation.proposed": _("Final rating proposed"),
        "final_evaluation.red_lines_recounted": _("Final evaluation red lines recounted"),
        "final_evaluation.renewed": _("Contract renewed after the final evaluation"),
        "final_evaluation.signed_off": _("Final evaluation signed off"),
        "final_panel.assigned": _("Final panel member assigned"),
        "final_panel.compiled": _("Final panel scores compiled"),
        "final_panel.declared": _("Final panel member declared no conflict"),
        "final_panel.justified": _("Final panel outlier scores justified"),
        "final_panel.outliers_flagged": _("Final panel outlier scores flagged"),
        "final_panel.recused": _("Final panel member recused"),
        "final_panel.replaced": _("Final panel member replaced"),
        "final_panel.submitted": _("Final panel scores submitted"),
        "final_weights.updated": _("Final evaluation weights edited"),
        "handover.confirmed": _("Handover item confirmed"),
        "indicator_weights.updated": _("Monthly score weights edited"),
        "inspection.assigned": _("Inspection assigned"),
        "inspection.submitted": _("Inspection submitted"),
        "rating.submitted": _("Worker rating submitted"),
        "rectification.issued": _("Rectification order issued"),
        "rectification.responded": _("Rectification order answered"),
        # re-inspection closes an order as f"rectification.{order.state}"
        f"rectification.{RectificationOrder.State.PASSED.value}": _("Rectification order passed"),
        f"rectification.{RectificationOrder.State.FAILED.value}": _("Rectification order failed"),
        "red_line.recorded": _("Red-line event recorded"),
        "termination_review.decided": _("Termination review decided"),
        "termination_review.opened": _("Termination review opened"),
    }
)

register_object_url("evaluations.Inspection", url_by_pk("evaluations:inspection"))
register_object_url("evaluations.RedLine", url_by_pk("evaluations:red_line"))
register_object_url("evaluations.RectificationOrder", url_by_pk("evaluations:order"))
register_object_url("evaluations.TerminationReview", url_by_pk("evaluations:termination_review"))
register_object_url("evaluations.FinalEvaluation", url_by_pk("evaluations:final_detail"))
register_object_url("evaluations.Exit", url_by_pk("evaluations:exit_detail"))
