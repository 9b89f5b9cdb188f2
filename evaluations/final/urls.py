"""The final evaluation: list, page, appeal, sign-off, renewal, weights, panel review.

Its page URLs, mixed into ``evaluations.viewsets.EvaluationsApp`` (one menu, one URL namespace).
"""

from django.urls import path
from viewflow.urls import Viewset

from evaluations.final.views import actions as views_final_actions
from evaluations.final.views import evaluation as views_final
from evaluations.final.views import panel as views_final_panel


class FinalUrls(Viewset):
    # final evaluation: list, page, appeal, sign-off, renewal, weights (views_final)
    final_list_path = path("final/", views_final.FinalListView.as_view(), name="final_list")
    final_weights_path = path("final/weights/", views_final_actions.final_weights, name="final_weights")
    final_detail_path = path("final/<int:pk>/", views_final.final_detail, name="final_detail")
    final_appeal_path = path("final/<int:pk>/appeal/", views_final_actions.final_appeal, name="final_appeal")
    final_appeal_decide_path = path(
        "final/<int:pk>/appeal/decide/", views_final_actions.final_appeal_decide, name="final_appeal_decide"
    )
    final_sign_off_path = path("final/<int:pk>/sign-off/", views_final_actions.final_sign_off, name="final_sign_off")
    final_confirm_path = path("final/<int:pk>/confirm/", views_final_actions.final_confirm, name="final_confirm")
    final_renew_path = path("final/<int:pk>/renew/", views_final_actions.final_renew, name="final_renew")

    # final evaluation: the panel review (views_final_panel)
    final_panel_assign_path = path(
        "final/<int:pk>/panel/", views_final_panel.final_panel_assign, name="final_panel_assign"
    )
    final_panel_replace_path = path(
        "final/seats/<int:pk>/replace/", views_final_panel.final_panel_replace, name="final_panel_replace"
    )
    final_seat_path = path("final/seats/<int:pk>/", views_final_panel.final_seat, name="final_seat")
