"""The standing of contracts: dashboards, the contract's score, the evaluator's inbox.

Its page URLs, mixed into ``evaluations.viewsets.EvaluationsApp`` (one menu, one URL namespace).
"""

from django.urls import path
from viewflow.urls import Viewset

from evaluations.standing import views as views_dashboards


class StandingUrls(Viewset):
    # dashboards and the contract's score (views_dashboards)
    dashboard_path = path("standing/", views_dashboards.dashboard, name="dashboard")
    provider_scores_path = path("mine/", views_dashboards.provider_scores, name="provider_scores")
    contract_score_path = path("contracts/<int:pk>/", views_dashboards.contract_score, name="contract_score")
    inbox_path = path("inbox/", views_dashboards.inbox, name="inbox")
