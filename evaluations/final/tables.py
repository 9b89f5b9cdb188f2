"""The final evaluations table. Exports go through core's formula-safe export."""

import django_tables2 as tables
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from evaluations.final.models import FinalEvaluation, FinalRating

NOWRAP = {"td": {"class": "hz-nowrap"}}

RATING_CHIPS = {
    FinalRating.EXCELLENT: "green",
    FinalRating.GOOD: "green",
    FinalRating.PASS: "amber",
    FinalRating.POOR: "red",
}
STATE_CHIPS = {
    FinalEvaluation.State.PANEL: "",
    FinalEvaluation.State.PROPOSED: "amber",
    FinalEvaluation.State.APPEALED: "amber",
    FinalEvaluation.State.SIGN_OFF: "amber",
    FinalEvaluation.State.CONFIRMING: "amber",
    FinalEvaluation.State.FINAL: "green",
}


def rating_chip(rating: str):
    """A rating as a coloured chip with its words (never told by colour alone); a dash when none."""
    if not rating:
        return "—"
    return format_html(
        '<span class="hz-chip hz-chip--{}">{}</span>', RATING_CHIPS.get(rating, ""), FinalRating(rating).label
    )


def points(value) -> str:
    return "—" if value is None else f"{value:.2f}"


class FinalEvaluationTable(tables.Table):
    contract = tables.LinkColumn(
        "evaluations:final_detail",
        args=[tables.A("pk")],
        verbose_name=_("Contract"),
        accessor="contract__number",
        order_by=("contract__number",),
        attrs={"td": {"class": "hz-nowrap hz-mono"}},
    )
    project = tables.Column(
        _("Service project"),
        accessor="contract__project__name",
        order_by=("contract__project__name",),
        attrs={"td": {"class": "hz-name"}},
    )
    provider = tables.Column(
        _("Provider"),
        accessor="contract__provider__name",
        order_by=("contract__provider__name",),
        attrs={"td": {"class": "hz-name"}},
    )
    palace = tables.Column(_("Palace"), accessor="contract__palace__name", order_by=("contract__palace__name",))
    ends_on = tables.DateColumn(
        format="Y-m-d",
        verbose_name=_("Term ends"),
        accessor="contract__ends_on",
        order_by=("contract__ends_on",),
        attrs=NOWRAP,
    )
    state = tables.Column(_("State"), attrs={"td": {"class": "hz-state"}})
    proposed_rating = tables.Column(_("Proposed rating"), attrs=NOWRAP, empty_values=())
    rating = tables.Column(_("Final rating"), attrs=NOWRAP, empty_values=())
    appeal_deadline = tables.DateColumn(format="Y-m-d", verbose_name=_("Appeal deadline"), attrs=NOWRAP)

    class Meta:
        model = FinalEvaluation
        fields = [
            "contract",
            "project",
            "provider",
            "palace",
            "ends_on",
            "state",
            "proposed_rating",
            "rating",
            "appeal_deadline",
        ]
        order_by = ["contract__ends_on"]
        empty_text = _("No final evaluations.")

    def render_state(self, record):
        return format_html(
            '<span class="hz-chip hz-chip--{}">{}</span>', STATE_CHIPS.get(record.state, ""), record.get_state_display()
        )

    def value_state(self, record):
        return str(record.get_state_display())

    def render_proposed_rating(self, record):
        if not record.proposed_rating:
            return "—"
        return format_html(
            '{} <span class="hz-muted hz-small">{}</span>',
            rating_chip(record.proposed_rating),
            points(record.proposed_total),
        )

    def value_proposed_rating(self, record):
        if not record.proposed_rating:
            return ""
        return f"{record.get_proposed_rating_display()} ({points(record.proposed_total)})"

    def render_rating(self, record):
        if not record.rating:
            return "—"
        return format_html(
            '{} <span class="hz-muted hz-small">{}</span>', rating_chip(record.rating), points(record.total)
        )

    def value_rating(self, record):
        return f"{record.get_rating_display()} ({points(record.total)})" if record.rating else ""
