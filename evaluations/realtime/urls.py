"""Real-time evaluation: inspections, red lines, checklists and weights, rating QR codes.

Its page URLs, mixed into ``evaluations.viewsets.EvaluationsApp`` (one menu, one URL namespace).
"""

from django.urls import path
from viewflow.urls import Viewset

from evaluations.realtime.views import inspections as views_inspections
from evaluations.realtime.views import rating as views_rating


class RealtimeUrls(Viewset):
    # inspections, red lines, checklists, weights (views_inspections)
    inspection_assign_path = path(
        "contracts/<int:pk>/inspections/new/", views_inspections.inspection_assign, name="inspection_assign"
    )
    inspection_path = path("inspections/<int:pk>/", views_inspections.inspection, name="inspection")
    red_line_record_path = path(
        "contracts/<int:pk>/red-lines/new/", views_inspections.red_line_record, name="red_line_record"
    )
    red_line_path = path("red-lines/<int:pk>/", views_inspections.red_line, name="red_line")
    checklist_list_path = path("checklists/", views_inspections.checklist_list, name="checklist_list")
    checklist_create_path = path("checklists/new/", views_inspections.checklist_create, name="checklist_create")
    weights_path = path("weights/", views_inspections.weights, name="weights")

    # worker ratings' QR codes (views_rating; the public page is public_urlpatterns below)
    activity_qr_path = path("activities/<int:pk>/qr.svg", views_rating.activity_qr, name="activity_qr")
    activity_poster_path = path("activities/<int:pk>/poster/", views_rating.activity_poster, name="activity_poster")


# The public page (no login): a worker rates an activity from its QR link.
public_urlpatterns = [
    path("rate/<str:token>/", views_rating.rate, name="rate"),
]
