"""Views every role shares: the home page, health check and notifications."""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.generic import TemplateView

from .registry import home_panels


class HomeView(LoginRequiredMixin, TemplateView):
    """One page per role: each app contributes the panels that fit this user."""

    template_name = "core/home.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["panels"] = home_panels(self.request.user)
        return ctx


@never_cache
def healthz(request):
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        db = "ok"
    except Exception as exc:  # the point is to report, not to crash
        db = f"error: {exc.__class__.__name__}"
    status = 200 if db == "ok" else 503
    return JsonResponse(
        {"status": "ok" if status == 200 else "degraded", "database": db, "vendor": connection.vendor}, status=status
    )
