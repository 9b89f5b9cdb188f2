"""Public evaluation pages (no login): a worker rates an activity from its QR link."""

from django.urls import path

from evaluations.realtime.views import rating as views_rating

urlpatterns = [
    path("rate/<str:token>/", views_rating.rate, name="rate"),
]
