"""The provider history page (DOMAIN.md §5): every term the provider held, whichever palace held it,
with its final rating, renewal, rectification, red lines, exit and documents, and every exclusion.

Who may read it is ``can_view_provider_history``: the provider itself, the staff of the palaces it
works or worked with (auditors included), and the panel of a recruitment it applied to.
"""

from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse

from core.viewmixins import deny_or_login
from evaluations.final.history import provider_history as history_of
from evaluations.final.permissions import can_view_provider_history
from procurement.models import Provider
from procurement.permissions import can_view_provider, provider_of


def provider_history(request, pk: int):
    if not request.user.is_authenticated:
        return deny_or_login(request)
    provider = get_object_or_404(Provider.objects.select_related("palace"), pk=pk)
    if not can_view_provider_history(request.user, provider):
        return deny_or_login(request)
    return TemplateResponse(request, "evaluations/history/provider_history.html", {
        "history": history_of(provider, user=request.user),
        "provider": provider,
        "own": provider_of(request.user) is not None,
        "can_view_profile": provider_of(request.user) is None and can_view_provider(request.user, provider),
    })
