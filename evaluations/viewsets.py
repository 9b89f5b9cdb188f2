"""Evaluation in the UI shell: real-time evaluation and rectification, the final evaluation, exit.

Administrators see the standing of every contract, assign inspections, keep the
checklists and weights, and decide termination reviews; evaluators work through their
inbox of inspections and re-inspections and record red lines; providers see their own
scores and answer rectification orders. The order page is shared, each viewer seeing
the step that is theirs. At the end of a term the final evaluation (its panel review,
appeal and sign-off), the exit with its handover, and each provider's history live here too.
"""

from django.urls import path
from django.utils.translation import gettext_lazy as _

from core.permissions import is_admin_anywhere, is_evaluator_anywhere, is_staff_anywhere
from core.site import HezuoApplication, MenuLink
from evaluations.exit import views as views_exit
from evaluations.final.views import evaluation as views_final
from evaluations.final.views import panel as views_final_panel
from evaluations.realtime.views import inspections as views_inspections
from evaluations.realtime.views import rating as views_rating
from evaluations.rectification import views as views_rectification
from evaluations.standing import views as views_dashboards
from procurement.permissions import is_provider_user


def _staff(user):
    return user.is_superuser or is_staff_anywhere(user)


def _admin(user):
    return user.is_superuser or is_admin_anywhere(user)


def _evaluator(user):
    return is_evaluator_anywhere(user)


def _staff_or_provider(user):
    return _staff(user) or is_provider_user(user)


class EvaluationsApp(HezuoApplication):
    title = _("Evaluation and exit")
    icon = "fact_check"
    app_name = "evaluations"
    permission = staticmethod(_staff_or_provider)
    menu = (
        MenuLink("evaluations:dashboard", _("Standing of contracts"), "monitor_heart", _staff),
        MenuLink("evaluations:inbox", _("My inspections"), "assignment_ind", _evaluator),
        MenuLink("evaluations:order_list", _("Rectification orders"), "build", _staff_or_provider),
        MenuLink("evaluations:provider_scores", _("My scores"), "insights", is_provider_user),
        MenuLink("evaluations:final_list", _("Final evaluations"), "verified", _staff_or_provider),
        MenuLink("evaluations:checklist_list", _("Checklists and weights"), "checklist", _admin),
    )

    # dashboards and the contract's score (views_dashboards)
    dashboard_path = path("standing/", views_dashboards.dashboard, name="dashboard")
    provider_scores_path = path("mine/", views_dashboards.provider_scores, name="provider_scores")
    contract_score_path = path("contracts/<int:pk>/", views_dashboards.contract_score, name="contract_score")

    # inspections, red lines, checklists, weights (views_inspections)
    inbox_path = path("inbox/", views_dashboards.inbox, name="inbox")
    inspection_assign_path = path("contracts/<int:pk>/inspections/new/", views_inspections.inspection_assign,
                                  name="inspection_assign")
    inspection_path = path("inspections/<int:pk>/", views_inspections.inspection, name="inspection")
    red_line_record_path = path("contracts/<int:pk>/red-lines/new/", views_inspections.red_line_record,
                                name="red_line_record")
    red_line_path = path("red-lines/<int:pk>/", views_inspections.red_line, name="red_line")
    checklist_list_path = path("checklists/", views_inspections.checklist_list, name="checklist_list")
    checklist_create_path = path("checklists/new/", views_inspections.checklist_create, name="checklist_create")
    weights_path = path("weights/", views_inspections.weights, name="weights")

    # rectification (views_rectification)
    order_list_path = path("orders/", views_rectification.OrderListView.as_view(), name="order_list")
    order_path = path("orders/<int:pk>/", views_rectification.order, name="order")
    order_respond_path = path("orders/<int:pk>/respond/", views_rectification.order_respond,
                              name="order_respond")
    order_reinspect_path = path("orders/<int:pk>/reinspect/", views_rectification.order_reinspect,
                                name="order_reinspect")
    termination_review_path = path("termination-reviews/<int:pk>/", views_rectification.termination_review,
                                   name="termination_review")

    # final evaluation: list, page, appeal, sign-off, renewal, weights (views_final)
    final_list_path = path("final/", views_final.FinalListView.as_view(), name="final_list")
    final_weights_path = path("final/weights/", views_final.final_weights, name="final_weights")
    final_detail_path = path("final/<int:pk>/", views_final.final_detail, name="final_detail")
    final_appeal_path = path("final/<int:pk>/appeal/", views_final.final_appeal, name="final_appeal")
    final_appeal_decide_path = path("final/<int:pk>/appeal/decide/", views_final.final_appeal_decide,
                                    name="final_appeal_decide")
    final_sign_off_path = path("final/<int:pk>/sign-off/", views_final.final_sign_off, name="final_sign_off")
    final_confirm_path = path("final/<int:pk>/confirm/", views_final.final_confirm, name="final_confirm")
    final_renew_path = path("final/<int:pk>/renew/", views_final.final_renew, name="final_renew")

    # final evaluation: the panel review (views_final_panel)
    final_panel_assign_path = path("final/<int:pk>/panel/", views_final_panel.final_panel_assign,
                                   name="final_panel_assign")
    final_panel_replace_path = path("final/seats/<int:pk>/replace/", views_final_panel.final_panel_replace,
                                    name="final_panel_replace")
    final_seat_path = path("final/seats/<int:pk>/", views_final_panel.final_seat, name="final_seat")

    # exit and handover (views_exit)
    exit_detail_path = path("exits/<int:pk>/", views_exit.exit_detail, name="exit_detail")
    handover_confirm_path = path("exits/<int:pk>/handover/", views_exit.handover_confirm, name="handover_confirm")

    # provider history (views_history)
    provider_history_path = path("providers/<int:pk>/history/", views_exit.provider_history,
                                 name="provider_history")

    # worker ratings' QR codes (views_rating; the public page is in evaluations/urls.py)
    activity_qr_path = path("activities/<int:pk>/qr.svg", views_rating.activity_qr, name="activity_qr")
    activity_poster_path = path("activities/<int:pk>/poster/", views_rating.activity_poster,
                                name="activity_poster")
