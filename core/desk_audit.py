"""The audit trail on the desk: the events table, one event's page, and verifying the chain.

Readers see events of the palaces they audit or run; events that belong to no palace (a
calendar import, a new user) only superusers see. Verifying the chain reads every event
whatever its palace, but names an event of another palace by its number alone.
"""

import django_filters
import django_tables2 as tables
from django.db.models import Q
from django.http import Http404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from .audit import ChainReport, chain_break, verify_chain
from .audit_anchor import ANCHOR_UNREADABLE, AnchorUnreadable, anchor_from_bytes, check_anchor
from .audit_display import (
    SEALED,
    SEALED_VALUES,
    actor_login,
    actor_name,
    actor_text,
    event_action_label,
    field_changes,
    object_label,
    object_type_choices,
    object_type_label,
    with_seals,
)
from .desk import DeskFilterSet, DeskTableView, can_use_desk, desk_palace_ids
from .models import AuditEvent
from .permissions import can_verify_audit_chain
from .registry import action_choices, object_url, register_desk_table
from .viewmixins import deny_or_login

NOWRAP = {"td": {"class": "hz-nowrap"}}


def history_url(object_type: str, object_id: str) -> str:
    """The audit table filtered to one object's events."""
    query = urlencode({"object_type": object_type, "object_id": object_id})
    return f"{reverse('desk:table', args=['audit'])}?{query}"


def visible_events(user):
    """The events ``user`` may read on the desk, with what of each is sealed from them."""
    events = AuditEvent.objects.select_related("actor", "palace")
    if not user.is_superuser:
        events = events.filter(palace_id__in=desk_palace_ids(user))
    return with_seals(events, user)


def can_read_event(user, event: AuditEvent) -> bool:
    return user.is_superuser or (event.palace_id is not None and event.palace_id in desk_palace_ids(user))


def _actor_html(event):
    login = actor_login(event)
    if not login:
        return actor_name(event)
    return format_html('{} <span class="hz-muted hz-small">{}</span>', actor_name(event), login)


def _object_url(event) -> str:
    return "" if event.label_sealed else object_url(event.object_type, event.object_id)


def _object_html(event, url: str):
    name = format_html('<a href="{}">{}</a>', url, object_label(event)) if url else object_label(event)
    return format_html('<span class="hz-muted hz-small">{}</span> {}', object_type_label(event.object_type), name)


class AuditEventDeskTable(tables.Table):
    seq = tables.Column(
        _("No."),
        linkify=lambda record: reverse("desk:audit_event", args=[record.seq]),
        attrs={"td": {"class": "hz-nowrap hz-mono"}},
    )
    created_at = tables.DateTimeColumn(format="Y-m-d H:i:s", verbose_name=_("Time"), attrs=NOWRAP)
    actor = tables.Column(_("Actor"), accessor="actor_label", order_by=("shown_actor_label",), attrs=NOWRAP)
    action = tables.Column(_("Action"))
    object = tables.Column(
        _("Object"), accessor="object_repr", order_by=("object_type", "shown_repr"), attrs={"td": {"class": "hz-name"}}
    )
    palace = tables.Column(_("Palace"), accessor="palace__name", order_by=("palace__name",), default="—")
    details = tables.Column(_("Details"), empty_values=(), orderable=False, exclude_from_export=True, attrs=NOWRAP)

    class Meta:
        model = AuditEvent
        fields = ["seq", "created_at", "actor", "action", "object", "palace", "details"]
        order_by = ["-seq"]
        empty_text = _("No recorded changes match.")

    def render_actor(self, record):
        return _actor_html(record)

    def value_actor(self, record):
        return actor_text(record)

    def render_action(self, record):
        return event_action_label(record)

    def value_action(self, record):
        return event_action_label(record)

    def render_object(self, record):
        return _object_html(record, _object_url(record))

    def value_object(self, record):
        return f"{object_type_label(record.object_type)} {object_label(record)}"

    def value_palace(self, record):
        return record.palace.name if record.palace_id else ""

    def render_details(self, record):
        return format_html('<a href="{}">{}</a>', reverse("desk:audit_event", args=[record.seq]), _("Details"))


class AuditEventDeskFilter(DeskFilterSet):
    # What is shown, not what is stored: a sealed name is never found (core.audit_display.with_seals).
    search_fields = ("shown_repr", "shown_actor_label", "shown_actor_name")
    date_field = "created_at__date"

    object_type = django_filters.ChoiceFilter(label=_("Object type"), choices=object_type_choices, empty_label=_("All"))
    object_id = django_filters.CharFilter(label=_("Object id"), max_length=64)
    actor = django_filters.CharFilter(label=_("Actor"), method="by_actor", max_length=150)
    status = django_filters.ChoiceFilter(
        label=_("Action"), field_name="action", choices=action_choices, empty_label=_("All")
    )

    class Meta:
        model = AuditEvent
        fields = []

    def by_actor(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(shown_actor_label__icontains=value) | Q(shown_actor_name__icontains=value))


@register_desk_table
class AuditEventDeskView(DeskTableView):
    slug = "audit"
    page_title = _("Audit trail")
    description = _(
        "Every recorded change in the palaces you audit or run, newest first: who did what to "
        "which record, and when. Events that belong to no palace (calendar imports, new users) "
        "are shown to superusers only."
    )
    icon = "history"
    order = 110
    template_name = "core/desk/audit_table.html"
    table_class = AuditEventDeskTable
    filterset_class = AuditEventDeskFilter
    palace_field = "palace"

    def base_queryset(self):
        return with_seals(AuditEvent.objects.select_related("actor", "palace"), self.request.user)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["can_verify"] = can_verify_audit_chain(self.request.user)
        return ctx


@require_http_methods(["GET", "HEAD"])
def audit_event(request, seq: int):
    """One event in full: who, when, what, before and after side by side, and its place in the chain."""
    if not can_use_desk(request.user):
        return deny_or_login(request)
    event = visible_events(request.user).filter(seq=seq).first()
    if event is None:
        raise Http404
    return TemplateResponse(
        request,
        "core/desk/audit_event.html",
        {
            "page_title": _("Audit event #%(seq)s") % {"seq": event.seq},
            "event": event,
            "action": event_action_label(event),
            "object_type": object_type_label(event.object_type),
            "object_label": object_label(event),
            "object_url": _object_url(event),
            "history_url": history_url(event.object_type, event.object_id),
            "actor": actor_name(event),
            "actor_login": actor_login(event),
            "actor_sealed": event.actor_sealed,  # the address too may name who acted
            "sealed": SEALED,
            "changes": field_changes(event),
            "sealed_values": SEALED_VALUES if event.values_sealed else "",
            "audit_url": reverse("desk:table", args=["audit"]),
        },
    )


PROBLEMS = {
    ChainReport.MISSING: _("Event #%(seq)s is missing: the next stored event is #%(other)s."),
    ChainReport.OUT_OF_ORDER: _(
        "Event #%(seq)s does not follow event #%(other)s: one of them was altered "
        "and its hash recomputed, or the two were reordered."
    ),
    ChainReport.ALTERED: _("Event #%(seq)s was altered after it was recorded: its content no longer matches its hash."),
    ChainReport.TRUNCATED: _("The events from #%(seq)s on were removed: the chain's tip is #%(other)s."),
}


def problem_text(report: ChainReport) -> str:
    return str(PROBLEMS[report.kind] % {"seq": report.first_bad_seq, "other": report.other_seq})


def _event_facts(user, event: AuditEvent | None) -> dict | None:
    """What the verification page may say about one event: everything if the reader may read the
    event, its number alone if it belongs to a palace they do not audit or run."""
    if event is None:
        return None
    if not can_read_event(user, event):
        return {"seq": event.seq, "visible": False}
    event = visible_events(user).get(pk=event.pk)  # read again with what of it is sealed
    return {
        "seq": event.seq,
        "visible": True,
        "event": event,
        "action": event_action_label(event),
        "object_type": object_type_label(event.object_type),
        "object_label": object_label(event),
        "actor": actor_name(event),
        "actor_login": actor_login(event),
        "url": reverse("desk:audit_event", args=[event.seq]),
    }


@require_http_methods(["GET", "HEAD", "POST"])
def verify_chain_page(request):
    """GET: the button. POST: run the check ``manage.py verify_audit`` runs and show what it found.

    With a file (an issued PDF or a checkpoint), also check the chain against the anchor it holds, as
    ``verify_audit --against`` does. Verifying reads and changes nothing, so it records nothing, and
    the file is read, not kept; an auditor may run it.
    """
    user = request.user
    if not can_verify_audit_chain(user):
        return deny_or_login(request)
    ctx = {"page_title": _("Verify the audit chain"), "audit_url": reverse("desk:table", args=["audit"])}
    if request.method == "POST":
        report = verify_chain()
        ctx.update(report=report, checked_at=timezone.now())
        if not report.ok:
            found = chain_break(report)
            ctx.update(
                problem=problem_text(report),
                bad=_event_facts(user, found.bad),
                last_good=_event_facts(user, found.last_good),
                next_stored=_event_facts(user, found.next_stored),
            )
        upload = request.FILES.get("against")
        if upload is not None:
            ctx["anchor"] = _anchor_verdict(upload)
    return TemplateResponse(request, "core/desk/verify_chain.html", ctx)


MAX_ANCHOR_FILE = 25 * 1024 * 1024  # an issued PDF is well under a megabyte; a checkpoint, a few bytes


def _anchor_verdict(upload) -> dict:
    """The chain checked against an uploaded PDF or checkpoint: ``ok`` and the message to show."""
    data = upload.read(MAX_ANCHOR_FILE + 1)
    try:
        if len(data) > MAX_ANCHOR_FILE:
            raise AnchorUnreadable(upload.name)
        result = check_anchor(anchor_from_bytes(data, upload.name))
    except AnchorUnreadable:
        return {"ok": False, "message": ANCHOR_UNREADABLE % {"path": upload.name}}
    return {"ok": result.ok, "message": result.message}
