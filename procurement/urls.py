"""Public procurement pages (no login)."""

from django.urls import path

from . import views

urlpatterns = [
    path("register/", views.provider_signup, name="provider_signup"),
    path("register/done/", views.provider_signup_done, name="provider_signup_done"),
]
