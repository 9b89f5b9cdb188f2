"""Public procurement pages (no login)."""

from django.urls import path

from . import views, views_public

urlpatterns = [
    path("register/", views.provider_signup, name="provider_signup"),
    path("register/done/", views.provider_signup_done, name="provider_signup_done"),
    path("notices/", views_public.notices, name="notices"),
    path("notices/<int:pk>/", views_public.notice_detail, name="notice_detail"),
]
