"""The service reports table of the audit desk (read-only; exports through core's formula-safe export).

``LocalDateTimeColumn`` is shared with the evaluations app's desk tables: a moment shown, and
exported, as the palace reads its clock (``Y-m-d H:i`` in local time), not as UTC ISO text.
"""

import django_tables2 as tables
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from .models import ServiceReport

NOWRAP = {"td": {"class": "hz-nowrap"}}
NAME = {"td": {"class": "hz-name"}}
MONO = {"td": {"class": "hz-nowrap hz-mono"}}
NUMBER = {"td": {"class": "hz-num hz-nowrap"}, "th": {"class": "hz-num"}}

REPORT_CHIPS = {
    ServiceReport.State.PENDING: "",
    ServiceReport.State.DRAFT: "",
    ServiceReport.State.SUBMITTED: "amber",
    ServiceReport.State.RETURNED: "amber",
    ServiceReport.State.ACCEPTED: "green",
    ServiceReport.State.MISSED: "red",
}


def chip(colour: str, label) -> str:
    """A state as a coloured chip with its words (never told by colour alone)."""
    return format_html('<span class="hz-chip{}">{}</span>', f" hz-chip--{colour}" if colour else "", label)


def local_moment(value) -> str:
    return f"{timezone.localtime(value):%Y-%m-%d %H:%M}" if value else ""


class LocalDateTimeColumn(tables.Column):
    """A moment in the local time zone, to the minute, on the page and in the export."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("attrs", NOWRAP)
        super().__init__(*args, **kwargs)

    def render(self, value):
        return local_moment(value)

    def value(self, value):
        return local_moment(value)


def period_text(report: ServiceReport) -> str:
    """A monthly period as its month (2026-03); a longer one as its first and last month (2026-01 – 2026-03)."""
    start, end = report.period_start, report.period_end
    if (start.year, start.month) == (end.year, end.month):
        return f"{start:%Y-%m}"
    return f"{start:%Y-%m} – {end:%Y-%m}"


class ReportDeskTable(tables.Table):
    period = tables.LinkColumn(
        "contracts:report_detail",
        args=[tables.A("pk")],
        text=period_text,
        verbose_name=_("Period"),
        accessor="period_start",
        order_by=("period_start", "contract__number"),
        attrs=MONO,
    )
    contract = tables.LinkColumn(
        "contracts:contract_detail",
        args=[tables.A("contract_id")],
        verbose_name=_("Contract"),
        accessor="contract__number",
        order_by=("contract__number", "sequence"),
        attrs=MONO,
    )
    provider = tables.Column(
        _("Provider"), accessor="contract__provider__name", order_by=("contract__provider__name",), attrs=NAME
    )
    palace = tables.Column(_("Palace"), accessor="contract__palace__name", order_by=("contract__palace__name",))
    due_on = tables.DateColumn(format="Y-m-d", verbose_name=_("Due on"), attrs=NOWRAP)
    state = tables.Column(_("State"), attrs=NOWRAP)
    submitted_at = LocalDateTimeColumn(_("Submitted at"))
    score = tables.Column(_("Review score"), attrs=NUMBER)

    class Meta:
        model = ServiceReport
        fields = ["period", "contract", "provider", "palace", "due_on", "state", "submitted_at", "score"]
        sequence = fields
        order_by = ["-period"]
        empty_text = _("No service reports.")

    def render_state(self, record):
        return chip(REPORT_CHIPS.get(record.state, ""), record.get_state_display())

    def value_state(self, record):
        return str(record.get_state_display())

    def render_score(self, value):
        return f"{value:.2f}"

    def value_score(self, value):
        return f"{value:.2f}"
