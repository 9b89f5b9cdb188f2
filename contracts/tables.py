"""The staff tables of contracts and overdue reports. Exports go through core's formula-safe export."""

from decimal import ROUND_HALF_UP, Decimal

import django_tables2 as tables
from django.contrib.humanize.templatetags.humanize import intcomma
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .models import Contract, ServiceReport

STATE_CHIPS = {
    Contract.State.ACTIVE: "green",
    Contract.State.COMPLETED: "green",
    Contract.State.RECTIFICATION: "red",
    Contract.State.TERMINATED: "red",
    Contract.State.FINAL_EVALUATION: "amber",
}


def money(amount: Decimal) -> str:
    return f"¥{intcomma(amount.quantize(Decimal('0.01')))}"


NOWRAP = {"td": {"class": "hz-nowrap"}}
NUMBER = {"td": {"class": "hz-num"}, "th": {"class": "hz-num"}}
# Long headers over short numbers may wrap, so that the table fits the card.
COUNT = {"td": {"class": "hz-num"}, "th": {"class": "hz-num hz-wrap"}}
NAME = {"td": {"class": "hz-name"}}


class ContractTable(tables.Table):
    number = tables.LinkColumn(
        "contracts:contract_detail", args=[tables.A("pk")], attrs={"td": {"class": "hz-nowrap hz-mono"}}
    )
    provider = tables.Column(_("Provider"), accessor="provider__name", order_by=("provider__name",), attrs=NAME)
    project = tables.Column(_("Service project"), accessor="project__name", order_by=("project__name",), attrs=NAME)
    palace = tables.Column(_("Palace"), accessor="palace__name", order_by=("palace__name",))
    amount = tables.Column(_("Amount"), attrs=NUMBER)
    # On the page the term is one column; the export has its three parts, each in a column of its own.
    term = tables.Column(
        _("Term"),
        accessor="starts_on",
        order_by=("starts_on", "ends_on"),
        empty_values=(),
        exclude_from_export=True,
        attrs=NOWRAP,
    )
    term_months = tables.Column(_("Term (months)"), visible=False)
    starts_on = tables.DateColumn(format="Y-m-d", verbose_name=_("Starts on"), visible=False)
    ends_on = tables.DateColumn(format="Y-m-d", verbose_name=_("Ends on"), visible=False)
    state = tables.Column(_("State"), attrs=NOWRAP)
    reports_accepted = tables.Column(_("Reports accepted"), attrs=COUNT)
    reports_overdue = tables.Column(_("Reports overdue"), attrs=COUNT)
    average_score = tables.Column(_("Average report score"), attrs=COUNT, default="—")

    class Meta:
        model = Contract
        fields = [
            "number",
            "provider",
            "project",
            "palace",
            "amount",
            "term",
            "term_months",
            "starts_on",
            "ends_on",
            "state",
            "reports_accepted",
            "reports_overdue",
            "average_score",
        ]
        sequence = fields
        order_by = ["-number"]
        empty_text = _("No contracts.")

    def render_amount(self, value):
        return money(value)

    def value_amount(self, value):
        return value

    def render_term(self, record):
        months = ngettext("%(months)d month", "%(months)d months", record.term_months) % {"months": record.term_months}
        if record.starts_on is None:
            return months
        return format_html(
            '{}<br><span class="hz-muted hz-small">{} – {}</span>',
            months,
            f"{record.starts_on:%Y-%m-%d}",
            f"{record.ends_on:%Y-%m-%d}",
        )

    def render_state(self, record):
        chip = STATE_CHIPS.get(record.state)
        return format_html(
            '<span class="hz-chip{}">{}</span>', f" hz-chip--{chip}" if chip else "", record.get_state_display()
        )

    def value_state(self, record):
        return str(record.get_state_display())

    def render_reports_overdue(self, value):
        if value:
            return format_html('<span class="hz-chip hz-chip--red">{}</span>', value)
        return value

    def value_reports_overdue(self, value):
        return value

    def render_average_score(self, value):
        return value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)

    def value_average_score(self, value):
        return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP) if value is not None else ""


class OverdueReportTable(tables.Table):
    contract = tables.LinkColumn(
        "contracts:contract_detail",
        args=[tables.A("contract_id")],
        accessor="contract__number",
        verbose_name=_("Contract"),
        order_by=("contract__number",),
        attrs={"td": {"class": "hz-nowrap hz-mono"}},
    )
    provider = tables.Column(
        _("Provider"), accessor="contract__provider__name", order_by=("contract__provider__name",), attrs=NAME
    )
    palace = tables.Column(_("Palace"), accessor="contract__palace__name", order_by=("contract__palace__name",))
    period = tables.Column(_("Period"), accessor="period_start", order_by=("period_start",), attrs=NOWRAP)
    due_on = tables.DateColumn(format="Y-m-d", verbose_name=_("Due on"), attrs=NOWRAP)
    # The longest overdue is the earliest due: ordering by days overdue is ordering by due date, reversed.
    days_overdue = tables.Column(_("Days overdue"), accessor="due_on", order_by=("-due_on",), attrs=COUNT)
    state = tables.Column(_("State"), attrs=NOWRAP)
    report = tables.Column(_("Report"), accessor="pk", orderable=False, exclude_from_export=True)

    class Meta:
        model = ServiceReport
        fields = ["contract", "provider", "palace", "period", "due_on", "days_overdue", "state"]
        sequence = ["contract", "provider", "palace", "period", "due_on", "days_overdue", "state", "report"]
        order_by = ["due_on"]
        empty_text = _("No report is overdue.")

    def __init__(self, *args, today=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today or timezone.localdate()

    def render_period(self, record):
        return self.value_period(record)

    def value_period(self, record):
        return f"{record.period_start:%Y-%m-%d} – {record.period_end:%Y-%m-%d}"

    def render_days_overdue(self, record):
        return (self.today - record.due_on).days

    def value_days_overdue(self, record):
        return (self.today - record.due_on).days

    def render_state(self, record):
        return format_html('<span class="hz-chip hz-chip--amber">{}</span>', record.get_state_display())

    def value_state(self, record):
        return str(record.get_state_display())

    def render_report(self, record):
        return format_html('<a href="{}">{}</a>', reverse("contracts:report_detail", args=[record.pk]), _("Open"))
