"""The evaluations app's tables on the audit desk (read-only; exports through core's formula-safe export).

Every value a row shows is on the row already (select_related or an annotation made by
``evaluations.desk``), so a page costs the same number of queries whatever its length.
"""

import django_tables2 as tables
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from contracts.models import Contract
from contracts.tables import STATE_CHIPS as CONTRACT_CHIPS
from contracts.tables import money
from contracts.tables_desk import MONO, NAME, NOWRAP, NUMBER, LocalDateTimeColumn, chip
from evaluations.final.models import Appeal
from evaluations.final.tables import FinalEvaluationTable
from evaluations.realtime.charts import standing_word
from evaluations.realtime.models import Inspection
from evaluations.rectification.models import RectificationOrder
from evaluations.rectification.tables import OrderTable

STANDING_CHIPS = {"green": "green", "amber": "amber", "red": "red"}
INSPECTION_CHIPS = {
    Inspection.State.ASSIGNED: "amber",
    Inspection.State.SUBMITTED: "green",
    Inspection.State.CANCELLED: "",
}


def _points(value) -> str:
    return "" if value is None else f"{value:.2f}"


def _day(value) -> str:
    return f"{value:%Y-%m-%d}" if value else ""


# --- contracts, with their standing and milestones ------------------------------------------------


def term_text(contract: Contract) -> str:
    if contract.starts_on is None:
        return ""
    return f"{contract.starts_on:%Y-%m-%d} – {_day(contract.ends_on)}"


def standing_text(contract: Contract) -> str:
    """The month's standing in words, as the dashboard says it; nothing for a contract not yet in its term."""
    if contract.standing_month is None:
        return ""
    text = standing_word(contract.current_standing)
    if contract.current_red_lines:
        text += f" · {_('red line')}"
    return text


class ContractDeskTable(tables.Table):
    number = tables.LinkColumn(
        "contracts:contract_detail", args=[tables.A("pk")], verbose_name=_("Contract"), attrs=MONO
    )
    project = tables.Column(_("Service project"), accessor="project__name", order_by=("project__name",), attrs=NAME)
    provider = tables.Column(_("Provider"), accessor="provider__name", order_by=("provider__name",), attrs=NAME)
    palace = tables.Column(_("Palace"), accessor="palace__name", order_by=("palace__name",))
    term = tables.Column(_("Term"), accessor="starts_on", order_by=("starts_on", "ends_on"), attrs=NOWRAP)
    state = tables.Column(_("State"), attrs=NOWRAP)
    standing = tables.Column(
        _("Standing this month"),
        accessor="current_standing",
        empty_values=(),
        order_by=("standing_rank", "current_score"),
        attrs=NOWRAP,
    )
    score = tables.Column(_("Score this month"), accessor="current_score", attrs=NUMBER)
    milestones = tables.Column(
        _("Milestones released"),
        accessor="milestones_released",
        empty_values=(),
        order_by=("amount_released", "milestones_released"),
        attrs=NOWRAP,
    )
    # The page shows the amounts under the count; the export has each in a column of its own.
    amount_released = tables.Column(_("Amount released"), visible=False)
    amount_total = tables.Column(_("Amount of the milestones"), visible=False)
    amount_withheld = tables.Column(_("Amount withheld"), visible=False)

    class Meta:
        model = Contract
        fields = [
            "number",
            "project",
            "provider",
            "palace",
            "term",
            "state",
            "standing",
            "score",
            "milestones",
            "amount_released",
            "amount_total",
            "amount_withheld",
        ]
        sequence = fields
        order_by = ["-term"]
        empty_text = _("No contracts.")

    def render_term(self, record):
        return term_text(record)

    def value_term(self, record):
        return term_text(record)

    def render_state(self, record):
        return chip(CONTRACT_CHIPS.get(record.state, ""), record.get_state_display())

    def value_state(self, record):
        return str(record.get_state_display())

    def render_standing(self, record):
        text = standing_text(record)
        return chip(STANDING_CHIPS.get(record.current_standing, ""), text) if text else "—"

    def value_standing(self, record):
        return standing_text(record)

    def render_score(self, value):
        return _points(value)

    def value_score(self, value):
        return _points(value)

    def _milestones(self, record) -> str:
        return f"{record.milestones_released}/{record.milestones_count}" if record.milestones_count else ""

    def render_milestones(self, record):
        if not record.milestones_count:
            return "—"
        released = format_html(
            '{} <span class="hz-muted hz-small">{}</span>',
            self._milestones(record),
            _("%(released)s of %(total)s")
            % {"released": money(record.amount_released), "total": money(record.amount_total)},
        )
        if record.milestones_withheld:
            return format_html(
                "{} {}", released, chip("red", _("%(amount)s withheld") % {"amount": money(record.amount_withheld)})
            )
        return released

    def value_milestones(self, record):
        return self._milestones(record)

    def value_amount_released(self, value):
        return _points(value)

    def value_amount_total(self, value):
        return _points(value)

    def value_amount_withheld(self, value):
        return _points(value)


# --- inspections ----------------------------------------------------------------------------------


def inspection_kind(inspection: Inspection) -> str:
    if inspection.order_id:
        return str(_("Re-inspection"))
    return str(inspection.get_kind_display())


class InspectionDeskTable(tables.Table):
    due_on = tables.LinkColumn(
        "evaluations:inspection",
        args=[tables.A("pk")],
        verbose_name=_("Due on"),
        text=lambda record: _day(record.due_on),
        attrs=MONO,
    )
    contract = tables.LinkColumn(
        "contracts:contract_detail",
        args=[tables.A("contract_id")],
        verbose_name=_("Contract"),
        accessor="contract__number",
        order_by=("contract__number",),
        attrs=MONO,
    )
    provider = tables.Column(
        _("Provider"), accessor="contract__provider__name", order_by=("contract__provider__name",), attrs=NAME
    )
    palace = tables.Column(_("Palace"), accessor="contract__palace__name", order_by=("contract__palace__name",))
    evaluator = tables.Column(
        _("Evaluator"),
        accessor="inspector__full_name",
        empty_values=(),
        order_by=("inspector__full_name", "inspector__username"),
        attrs=NAME,
    )
    checklist = tables.Column(_("Checklist"), accessor="checklist__name", order_by=("checklist__name",), attrs=NAME)
    kind = tables.Column(_("Kind"), empty_values=(), order_by=("kind", "order_id"), attrs=NOWRAP)
    assigned_at = LocalDateTimeColumn(_("Assigned at"))
    submitted_at = LocalDateTimeColumn(_("Submitted at"))
    # An inspection scores only once submitted: a score is never shown before.
    score = tables.Column(_("Score"), empty_values=(), attrs=NUMBER)
    state = tables.Column(_("State"), attrs=NOWRAP)

    class Meta:
        model = Inspection
        fields = [
            "due_on",
            "contract",
            "provider",
            "palace",
            "evaluator",
            "checklist",
            "kind",
            "assigned_at",
            "submitted_at",
            "score",
            "state",
        ]
        sequence = fields
        order_by = ["-due_on"]
        empty_text = _("No inspections.")

    def render_evaluator(self, record):
        return record.inspector.get_full_name()

    def value_evaluator(self, record):
        return record.inspector.get_full_name()

    def render_kind(self, record):
        return inspection_kind(record)

    def value_kind(self, record):
        return inspection_kind(record)

    def _score(self, record) -> str:
        return _points(record.score) if record.state == Inspection.State.SUBMITTED else ""

    def render_score(self, record):
        return self._score(record) or "—"

    def value_score(self, record):
        return self._score(record)

    def render_state(self, record):
        return chip(INSPECTION_CHIPS.get(record.state, ""), record.get_state_display())

    def value_state(self, record):
        return str(record.get_state_display())


# --- rectification orders -------------------------------------------------------------------------


def order_outcome(order: RectificationOrder) -> str:
    """How a closed order ended: the findings resolved on re-inspection, or no answer by the deadline."""
    if order.state in RectificationOrder.OPEN_STATES:
        return ""
    closed = _day(order.closed_at.date() if order.closed_at else None)
    if order.failed_on_deadline:
        return str(_("Not answered by the deadline (closed %(date)s)") % {"date": closed})
    return ngettext(
        "%(resolved)d of %(count)d finding resolved (closed %(date)s)",
        "%(resolved)d of %(count)d findings resolved (closed %(date)s)",
        order.findings_count,
    ) % {"resolved": order.findings_resolved, "count": order.findings_count, "date": closed}


class OrderDeskTable(OrderTable):
    """The rectification orders table of the evaluations app, with how each closed order ended."""

    outcome = tables.Column(
        _("Outcome"),
        empty_values=(),
        accessor="closed_at",
        order_by=("closed_at",),
        attrs={"td": {"class": "hz-reason"}},
    )

    class Meta(OrderTable.Meta):
        fields = [*OrderTable.Meta.fields, "outcome"]
        sequence = fields

    # The inherited date columns export ISO text (the issue time in UTC); the export says what the page says.
    def value_month(self, value):
        return f"{value:%Y-%m}"

    def value_issued_at(self, value):
        return _day(timezone.localdate(value))

    def render_outcome(self, record):
        return order_outcome(record) or "—"

    def value_outcome(self, record):
        return order_outcome(record)


# --- final evaluations ----------------------------------------------------------------------------


def appeal_text(evaluation) -> str:
    if evaluation.appeal_lodged_at is None:
        return str(_("No"))
    if evaluation.appeal_decision:
        return f"{_('Yes')} · {Appeal.Decision(evaluation.appeal_decision).label}"
    return f"{_('Yes')} · {_('not decided yet')}"


class FinalDeskTable(FinalEvaluationTable):
    """The final evaluations table, with the appeal, the day the rating became final and its assessment report."""

    appeal = tables.Column(
        _("Appeal"), accessor="appeal_lodged_at", empty_values=(), order_by=("appeal_lodged_at",), attrs=NOWRAP
    )
    finalised_at = tables.DateColumn(format="Y-m-d", verbose_name=_("Final on"), attrs=NOWRAP)
    report = tables.Column(_("Assessment report"), accessor="report_id", order_by=("report_issued_at",), attrs=NOWRAP)

    class Meta(FinalEvaluationTable.Meta):
        fields = [*FinalEvaluationTable.Meta.fields, "appeal", "finalised_at", "report"]
        # The report beside the rating it records, where a 1366-pixel screen still shows it.
        sequence = [
            "contract",
            "provider",
            "palace",
            "state",
            "proposed_rating",
            "rating",
            "report",
            "appeal",
            "finalised_at",
            "ends_on",
            "appeal_deadline",
            "project",
        ]
        order_by = ["-ends_on"]

    def render_appeal(self, record):
        return appeal_text(record)

    def value_appeal(self, record):
        return appeal_text(record)

    # Date columns are template columns: they are called for an empty date too, which exports as "".
    def value_appeal_deadline(self, value):
        return _day(value)

    def value_finalised_at(self, value):
        return _day(timezone.localdate(value)) if value else ""

    def _report_url(self, value) -> str:
        return reverse("document_download", args=[value])

    def render_report(self, value):
        return format_html(
            '<a href="{}" data-turbo="false" data-testid="assessment-report">{}</a>',
            self._report_url(value),
            _("Download PDF"),
        )

    def value_report(self, value):
        # The export carries the link itself, so a spreadsheet row leads to the document.
        request = getattr(self, "request", None)
        url = self._report_url(value)
        return request.build_absolute_uri(url) if request is not None else url
