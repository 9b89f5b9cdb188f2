"""Rectification: orders, responses, re-inspection, termination reviews.

Its page URLs, mixed into ``evaluations.viewsets.EvaluationsApp`` (one menu, one URL namespace).
"""

from django.urls import path
from viewflow.urls import Viewset

from evaluations.rectification import views as views_rectification


class RectificationUrls(Viewset):
    # rectification (views_rectification)
    order_list_path = path("orders/", views_rectification.OrderListView.as_view(), name="order_list")
    order_path = path("orders/<int:pk>/", views_rectification.order, name="order")
    order_respond_path = path("orders/<int:pk>/respond/", views_rectification.order_respond, name="order_respond")
    order_reinspect_path = path(
        "orders/<int:pk>/reinspect/", views_rectification.order_reinspect, name="order_reinspect"
    )
    termination_review_path = path(
        "termination-reviews/<int:pk>/", views_rectification.termination_review, name="termination_review"
    )
