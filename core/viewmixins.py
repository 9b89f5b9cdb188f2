"""Small view helpers shared by every app: permission gates and service-error handling."""

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied

from .errors import DomainError


def deny_or_login(request):
    """Anonymous users are sent to log in; logged-in users without the right get a 403."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    raise PermissionDenied


def apply_domain_error(form, exc: DomainError, request=None) -> None:
    """Show a service's refusal on the field it concerns, or at the top of the form."""
    field = exc.field if exc.field in getattr(form, "fields", {}) else None
    form.add_error(field, str(exc.message))
    if request is not None and field is None:
        messages.error(request, str(exc.message))
