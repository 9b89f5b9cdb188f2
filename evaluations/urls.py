"""Public evaluation pages (no login): a worker rates an activity from its QR link."""

from evaluations.realtime.urls import public_urlpatterns

urlpatterns = public_urlpatterns
