"""The locked-out accounts an administrator may unlock (django-axes' lockouts, core.login_locks)."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from .login_locks import can_clear_login_locks, login_lock_clear, login_locks_for, people_for
from .viewmixins import deny_or_login


def login_locks(request):
    if not can_clear_login_locks(request.user):
        return deny_or_login(request)
    return TemplateResponse(
        request,
        "core/login_locks.html",
        {"page_title": _("Locked logins"), "locks": login_locks_for(actor=request.user)},
    )


@require_POST
def login_lock_clear_view(request, pk: int):
    if not can_clear_login_locks(request.user):
        return deny_or_login(request)
    user = get_object_or_404(people_for(request.user), pk=pk)
    login_lock_clear(actor=request.user, user=user)
    messages.success(request, _("%(user)s can log in again.") % {"user": user})
    return redirect("workbench:login_locks")
