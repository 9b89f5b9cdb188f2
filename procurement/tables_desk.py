"""The auditor's desk tables of procurement: recruitments, applications, panel scores, exclusions.

Each row's key column links to the record's page; the provider is a link only for a reader
who may open the provider's page (the palace it registered with), plain text otherwise.
Exports read plain labels (``value_<column>``), never HTML or codes.
"""

import django_tables2 as tables
from django.db.models import F
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .models import Application, Exclusion, Recruitment, Score, ScoreCorrection

NOWRAP = {"td": {"class": "hz-nowrap"}}
MONO = {"td": {"class": "hz-nowrap hz-mono"}}
NAME = {"td": {"class": "hz-name"}}
NUM = {"td": {"class": "hz-nowrap hz-num"}}

RECRUITMENT_CHIPS = {
    Recruitment.State.DRAFT: "",
    Recruitment.State.PUBLISHED: "amber",
    Recruitment.State.CLOSED: "amber",
    Recruitment.State.EVALUATING: "amber",
    Recruitment.State.PUBLICITY: "amber",
    Recruitment.State.AWARDED: "green",
    Recruitment.State.FAILED: "red",
    Recruitment.State.CANCELLED: "red",
}
APPLICATION_CHIPS = {Application.State.SUBMITTED: "green", Application.State.WITHDRAWN: ""}
CORRECTION_CHIPS = {
    ScoreCorrection.State.REQUESTED: "amber",
    ScoreCorrection.State.APPROVED: "green",
    ScoreCorrection.State.REJECTED: "red",
}

# Exclusion status, computed against today (see procurement.desk.ExclusionDeskView).
EXCLUSION_ACTIVE, EXCLUSION_EXPIRED, EXCLUSION_UPCOMING = "active", "expired", "upcoming"
EXCLUSION_STATUS = {
    EXCLUSION_ACTIVE: _("Active"),
    EXCLUSION_EXPIRED: _("Expired"),
    EXCLUSION_UPCOMING: _("Not yet in force"),
}
EXCLUSION_CHIPS = {EXCLUSION_ACTIVE: "red", EXCLUSION_EXPIRED: "", EXCLUSION_UPCOMING: "amber"}

SEALED = _("Sealed")


def chip(colour: str, label) -> str:
    """A state as a chip with its words (never told by colour alone)."""
    return format_html('<span class="hz-chip{}">{}</span>', f" hz-chip--{colour}" if colour else "", label)


def points(value) -> str:
    return "" if value is None else f"{value:.2f}"


def nulls_last(field: str):
    """A ``Table.order_<column>`` that puts empty cells last in both directions, on every database
    (PostgreSQL puts NULL first when descending, SQLite last)."""

    def order(self, queryset, is_descending):
        expression = F(field).desc(nulls_last=True) if is_descending else F(field).asc(nulls_last=True)
        return queryset.order_by(expression, "-pk" if is_descending else "pk"), True

    return order


class LocalDateTimeColumn(tables.DateTimeColumn):
    """A date and time in the palace's time zone (core.exports turns the export's into local time too)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("format", "Y-m-d H:i")
        kwargs.setdefault("attrs", NOWRAP)
        super().__init__(*args, **kwargs)


class DateColumn(tables.DateColumn):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("format", "Y-m-d")
        kwargs.setdefault("attrs", NOWRAP)
        super().__init__(*args, **kwargs)


class DeskTable(tables.Table):
    """Knows which providers' pages the reader may open (``None``: every provider's)."""

    def __init__(self, *args, provider_palaces: frozenset[int] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.provider_palaces = provider_palaces

    def provider_link(self, provider):
        if provider is None:
            return "—"
        if self.provider_palaces is not None and provider.palace_id not in self.provider_palaces:
            return provider.name
        return format_html(
            '<a href="{}">{}</a>', reverse("procurement:provider_detail", args=[provider.pk]), provider.name
        )

    @staticmethod
    def recruitment_link(recruitment, anchor: str = ""):
        url = reverse("procurement:recruitment_detail", args=[recruitment.pk])
        return format_html('<a href="{}{}">{}</a>', url, f"#{anchor}" if anchor else "", recruitment.number)


class RecruitmentDeskTable(DeskTable):
    number = tables.Column(_("Number"), attrs=MONO)
    title = tables.Column(_("Title"), attrs=NAME)
    project = tables.Column(_("Service project"), accessor="project__name", order_by=("project__name",), attrs=NAME)
    palace = tables.Column(_("Palace"), accessor="palace__name", order_by=("palace__name",))
    state = tables.Column(_("State"), attrs=NOWRAP)
    opens_at = LocalDateTimeColumn(verbose_name=_("Published"))
    deadline = LocalDateTimeColumn(verbose_name=_("Deadline"))
    application_count = tables.Column(pgettext_lazy("recruitment", "Applications"), attrs=NUM)
    awarded = tables.Column(
        _("Awarded provider"),
        accessor="awarded_application__provider__name",
        order_by=("awarded_application__provider__name",),
        attrs=NAME,
    )

    class Meta:
        model = Recruitment
        fields = ()
        sequence = (
            "number",
            "title",
            "project",
            "palace",
            "state",
            "opens_at",
            "deadline",
            "application_count",
            "awarded",
        )
        order_by = ("-opens_at",)
        empty_text = _("No recruitments.")

    order_opens_at = nulls_last("opens_at")
    order_deadline = nulls_last("deadline")

    def render_number(self, record):
        return self.recruitment_link(record)

    def render_title(self, record):
        url = reverse("procurement:recruitment_detail", args=[record.pk])
        return format_html('<a href="{}">{}</a>', url, record.title)

    def value_title(self, record):
        return record.title

    def value_number(self, record):
        return record.number

    def render_state(self, record):
        return chip(RECRUITMENT_CHIPS.get(record.state, ""), record.get_state_display())

    def value_state(self, record):
        return str(record.get_state_display())

    def render_awarded(self, record):
        provider = record.awarded_application.provider
        if record.state == Recruitment.State.PUBLICITY:
            return format_html(
                '{} <span class="hz-muted hz-small">{}</span>', self.provider_link(provider), _("(proposed)")
            )
        return self.provider_link(provider)

    def value_awarded(self, record):
        if record.awarded_application is None:
            return ""
        name = record.awarded_application.provider.name
        return f"{name} {_('(proposed)')}" if record.state == Recruitment.State.PUBLICITY else name


class ApplicationDeskTable(DeskTable):
    """Compiled points and rank come from ``shown_total``/``shown_rank``, which the queryset fills in
    only once the recruitment's scores are compiled (``scores_open``): a sealed row has none to show."""

    recruitment = tables.Column(
        pgettext_lazy("desk column", "Recruitment"),
        accessor="recruitment__number",
        order_by=("recruitment__number",),
        attrs=MONO,
    )
    provider = tables.Column(_("Provider"), accessor="provider__name", order_by=("provider__name",), attrs=NAME)
    credit_code = tables.Column(
        _("Credit code"), accessor="provider__credit_code", order_by=("provider__credit_code",), attrs=MONO
    )
    palace = tables.Column(_("Palace"), accessor="recruitment__palace__name", order_by=("recruitment__palace__name",))
    submitted_at = LocalDateTimeColumn(verbose_name=_("Submitted"))
    state = tables.Column(_("State"), attrs=NOWRAP)
    is_valid = tables.Column(_("Validity"), attrs=NOWRAP, empty_values=())
    price = tables.Column(_("Price (CNY)"), attrs=NUM)
    total = tables.Column(
        _("Total points"), accessor="shown_total", order_by=("shown_total",), attrs=NUM, empty_values=()
    )
    rank = tables.Column(_("Rank"), accessor="shown_rank", order_by=("shown_rank",), attrs=NUM, empty_values=())

    class Meta:
        model = Application
        fields = ()
        sequence = (
            "recruitment",
            "provider",
            "credit_code",
            "palace",
            "submitted_at",
            "state",
            "is_valid",
            "price",
            "total",
            "rank",
        )
        order_by = ("-submitted_at",)
        empty_text = _("No applications.")

    order_total = nulls_last("shown_total")
    order_rank = nulls_last("shown_rank")

    def render_recruitment(self, record):
        return self.recruitment_link(record.recruitment, "applications")

    def value_recruitment(self, record):
        return record.recruitment.number

    def render_provider(self, record):
        return self.provider_link(record.provider)

    def value_provider(self, record):
        return record.provider.name

    def render_state(self, record):
        return chip(APPLICATION_CHIPS.get(record.state, ""), record.get_state_display())

    def value_state(self, record):
        return str(record.get_state_display())

    @staticmethod
    def _validity(record):
        if record.is_valid is None:
            return "", ""
        return ("green", _("Valid")) if record.is_valid else ("red", _("Invalid"))

    def render_is_valid(self, record):
        colour, label = self._validity(record)
        return chip(colour, label) if label else "—"

    def value_is_valid(self, record):
        return str(self._validity(record)[1])

    def render_price(self, value):
        return f"{value:,.2f}"

    def value_price(self, value):
        return f"{value:.2f}"

    def render_total(self, record):
        if not record.scores_open:
            return format_html('<span class="hz-muted">{}</span>', SEALED)
        return points(record.shown_total) or "—"

    def value_total(self, record):
        return points(record.shown_total) if record.scores_open else str(SEALED)

    def render_rank(self, record):
        if not record.scores_open:
            return format_html('<span class="hz-muted">{}</span>', SEALED)
        return record.shown_rank or "—"

    def value_rank(self, record):
        if not record.scores_open:
            return str(SEALED)
        return "" if record.shown_rank is None else record.shown_rank


def _correction_text(correction: ScoreCorrection) -> str:
    return (
        f"{correction.get_state_display()}: {points(correction.original_points)} → "
        f"{points(correction.corrected_points)} ({correction.get_reason_display()}: {correction.justification})"
    )


class ScoreDeskTable(DeskTable):
    """Only scores of compiled recruitments reach this table (see procurement.desk.ScoreDeskView)."""

    recruitment = tables.Column(
        pgettext_lazy("desk column", "Recruitment"),
        accessor="member__recruitment__number",
        order_by=("member__recruitment__number",),
        attrs=MONO,
    )
    provider = tables.Column(
        _("Provider"), accessor="application__provider__name", order_by=("application__provider__name",), attrs=NAME
    )
    palace = tables.Column(
        _("Palace"), accessor="member__recruitment__palace__name", order_by=("member__recruitment__palace__name",)
    )
    criterion = tables.Column(_("Criterion"), accessor="criterion__name", order_by=("criterion__name",), attrs=NAME)
    evaluator = tables.Column(
        _("Evaluator"),
        accessor="member__evaluator",
        order_by=("member__evaluator__full_name", "member__evaluator__username"),
        attrs=NOWRAP,
    )
    points = tables.Column(_("Points"), attrs=NUM)
    comment = tables.Column(_("Comment"), attrs=NAME, orderable=False)
    submitted = LocalDateTimeColumn(
        verbose_name=_("Submitted"), accessor="member__submitted_at", order_by=("member__submitted_at",)
    )
    correction = tables.Column(
        _("Correction"),
        accessor="last_correction_state",
        order_by=("last_correction_state",),
        empty_values=(),
        attrs=NAME,
    )

    class Meta:
        model = Score
        fields = ()
        sequence = (
            "recruitment",
            "provider",
            "palace",
            "criterion",
            "evaluator",
            "points",
            "comment",
            "submitted",
            "correction",
        )
        order_by = ("-submitted",)
        empty_text = _("No compiled scores.")

    def render_recruitment(self, record):
        return self.recruitment_link(record.member.recruitment, "scores")

    def value_recruitment(self, record):
        return record.member.recruitment.number

    def render_provider(self, record):
        return self.provider_link(record.application.provider)

    def value_provider(self, record):
        return record.application.provider.name

    def render_criterion(self, record):
        return format_html(
            '{} <span class="hz-muted">/{}</span>',
            record.criterion.name,
            f"{record.criterion.max_points.normalize():f}",
        )

    def value_criterion(self, record):
        return record.criterion.name

    def value_evaluator(self, record):
        return str(record.member.evaluator)

    def render_points(self, record):
        if record.is_outlier:
            return format_html('{} <span class="hz-chip hz-chip--amber">{}</span>', points(record.points), _("outlier"))
        return points(record.points)

    def value_points(self, record):
        return points(record.points)

    def render_correction(self, record):
        corrections = list(record.corrections.all())
        if not corrections:
            return "—"
        return format_html_join(
            "",
            '<div>{} <span class="hz-nowrap">{} → {}</span> <span class="hz-muted hz-small">{}: {}</span></div>',
            (
                (
                    chip(CORRECTION_CHIPS.get(c.state, ""), c.get_state_display()),
                    points(c.original_points),
                    points(c.corrected_points),
                    c.get_reason_display(),
                    c.justification,
                )
                for c in corrections
            ),
        )

    def value_correction(self, record):
        return "; ".join(_correction_text(c) for c in record.corrections.all())


class ExclusionDeskTable(DeskTable):
    provider = tables.Column(_("Provider"), accessor="provider__name", order_by=("provider__name",), attrs=NAME)
    credit_code = tables.Column(
        _("Credit code"), accessor="provider__credit_code", order_by=("provider__credit_code",), attrs=MONO
    )
    palace = tables.Column(_("Palace"), accessor="palace__name", order_by=("palace__name",))
    reason = tables.Column(_("Cause"), attrs=NAME, orderable=False)
    starts_on = DateColumn(verbose_name=_("From"))
    ends_on = DateColumn(verbose_name=_("Until"))
    status = tables.Column(_("Status"), attrs=NOWRAP)

    class Meta:
        model = Exclusion
        fields = ()
        sequence = ("provider", "credit_code", "palace", "reason", "starts_on", "ends_on", "status")
        order_by = ("-starts_on",)
        empty_text = _("No exclusions.")

    def render_provider(self, record):
        return self.provider_link(record.provider)

    def value_provider(self, record):
        return record.provider.name

    def render_status(self, value):
        return chip(EXCLUSION_CHIPS.get(value, ""), EXCLUSION_STATUS.get(value, value))

    def value_status(self, value):
        return str(EXCLUSION_STATUS.get(value, value))
