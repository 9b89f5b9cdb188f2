from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST
from django.views.generic import ListView

from .models import Notification


class NotificationListView(LoginRequiredMixin, ListView):
    template_name = "core/notifications.html"
    paginate_by = 30  # a plain list, not a django-tables2 table

    def get_queryset(self):
        return Notification.objects.filter(recipient=self.request.user)

    def get_context_data(self, **kwargs):
        return super().get_context_data(**kwargs) | {
            "unread": Notification.objects.filter(recipient=self.request.user, read_at__isnull=True).count()
        }


@login_required
@require_POST
def mark_read(request, pk: int):
    # Marking one's own message read is bookkeeping, not a domain change: no audit event.
    note = get_object_or_404(Notification, pk=pk, recipient=request.user)
    if note.read_at is None:
        Notification.objects.filter(pk=note.pk).update(read_at=timezone.now())
    target = (
        note.url
        if note.url and url_has_allowed_host_and_scheme(note.url, allowed_hosts={request.get_host()})
        else "workbench:notifications"
    )
    return redirect(target)


@login_required
@require_POST
def mark_all_read(request):
    # Bookkeeping of one's own messages, like mark_read: no audit event.
    count = Notification.objects.filter(recipient=request.user, read_at__isnull=True).update(read_at=timezone.now())
    if count:
        messages.success(
            request,
            ngettext("%(count)d notification marked read.", "%(count)d notifications marked read.", count)
            % {"count": count},
        )
    return redirect("workbench:notifications")
