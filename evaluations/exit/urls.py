"""Exit: the exit and its handover, each provider's history.

Its page URLs, mixed into ``evaluations.viewsets.EvaluationsApp`` (one menu, one URL namespace).
"""

from django.urls import path
from viewflow.urls import Viewset

from evaluations.exit import views as views_exit


class ExitUrls(Viewset):
    # exit and handover (views_exit)
    exit_detail_path = path("exits/<int:pk>/", views_exit.exit_detail, name="exit_detail")
    handover_confirm_path = path("exits/<int:pk>/handover/", views_exit.handover_confirm, name="handover_confirm")

    # provider history (views_history)
    provider_history_path = path("providers/<int:pk>/history/", views_exit.provider_history, name="provider_history")
