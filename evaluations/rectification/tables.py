"""The rectification orders table. Exports go through core's formula-safe export."""

import django_tables2 as tables
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from evaluations.rectification.models import RectificationOrder

NOWRAP = {"td": {"class": "hz-nowrap"}}
NAME = {"td": {"class": "hz-name"}}

STATE_CHIPS = {
    RectificationOrder.State.OPEN: "amber",
    RectificationOrder.State.RESPONDED: "amber",
    RectificationOrder.State.PASSED: "green",
    RectificationOrder.State.FAILED: "red",
}


def reason_text(order: RectificationOrder) -> str:
    """Why the order was issued, in a few words: the month's score, or the red line's kind."""
    if order.trigger == RectificationOrder.Trigger.RED_LINE and order.red_line_id:
        return str(_("Red line: %(category)s") % {"category": order.red_line.get_category_display()})
    if order.score_at_issue is not None:
        return str(_("Score %(score)s, below 60") % {"score": f"{order.score_at_issue:.2f}"})
    return str(order.get_trigger_display())


def deadline_text(order: RectificationOrder, today) -> str:
    """Days left to answer while the order waits for the answer; afterwards, nothing to count."""
    if order.state != RectificationOrder.State.OPEN:
        return ""
    days = (order.deadline - today).days
    if days < 0:
        return ngettext("%(days)d day overdue", "%(days)d days overdue", -days) % {"days": -days}
    if days == 0:
        return str(_("due today"))
    return ngettext("%(days)d day left", "%(days)d days left", days) % {"days": days}


class OrderTable(tables.Table):
    number = tables.LinkColumn(
        "evaluations:order",
        args=[tables.A("pk")],
        verbose_name=_("Number"),
        attrs={"td": {"class": "hz-nowrap hz-mono"}},
    )
    contract = tables.LinkColumn(
        "contracts:contract_detail",
        args=[tables.A("contract_id")],
        verbose_name=_("Contract"),
        accessor="contract__number",
        order_by=("contract__number",),
        attrs={"td": {"class": "hz-nowrap hz-mono"}},
    )
    provider = tables.Column(
        _("Provider"), accessor="contract__provider__name", order_by=("contract__provider__name",), attrs=NAME
    )
    palace = tables.Column(_("Palace"), accessor="contract__palace__name", order_by=("contract__palace__name",))
    month = tables.DateColumn(
        format="Y-m", verbose_name=_("Month"), accessor="period__month", order_by=("period__month",), attrs=NOWRAP
    )
    reason = tables.Column(
        _("Reason"), accessor="trigger", order_by=("trigger", "-score_at_issue"), attrs={"td": {"class": "hz-reason"}}
    )
    issued_at = tables.DateColumn(format="Y-m-d", verbose_name=_("Issued"), attrs=NOWRAP)
    deadline = tables.Column(_("Deadline"), attrs=NOWRAP)
    state = tables.Column(_("State"), attrs=NOWRAP)

    class Meta:
        model = RectificationOrder
        fields = ["number", "contract", "provider", "palace", "month", "reason", "issued_at", "deadline", "state"]
        order_by = ["-issued_at"]
        empty_text = _("No rectification orders.")

    def __init__(self, *args, today=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today or timezone.localdate()

    def render_reason(self, record):
        return reason_text(record)

    def value_reason(self, record):
        return reason_text(record)

    def render_deadline(self, record):
        left = deadline_text(record, self.today)
        if not left:
            return f"{record.deadline:%Y-%m-%d}"
        overdue = record.deadline < self.today
        return format_html(
            '{} <span class="hz-chip hz-chip--{}">{}</span>',
            f"{record.deadline:%Y-%m-%d}",
            "red" if overdue else "amber",
            left,
        )

    def value_deadline(self, record):
        left = deadline_text(record, self.today)
        return f"{record.deadline:%Y-%m-%d}" + (f" ({left})" if left else "")

    def render_state(self, record):
        chip = STATE_CHIPS.get(record.state)
        return format_html('<span class="hz-chip hz-chip--{}">{}</span>', chip, record.get_state_display())

    def value_state(self, record):
        return str(record.get_state_display())
