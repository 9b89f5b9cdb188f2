"""Real-time evaluation (DOMAIN.md §4): checklists and inspections, workers' ratings and their
links, red lines, the palace's indicator weights, and each contract's running score per month.
"""

import secrets
from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F
from django.db.models.lookups import Exact
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from viewflow.fsm import FSMField

from contracts.models import Activity, Contract
from core.models import Palace, StoredFile, User
from evaluations.realtime import scoring
from procurement.models import ServiceCategory

POINTS = [MinValueValidator(0), MaxValueValidator(100)]


class IndicatorWeights(models.Model):
    """A palace's weights for the period score; absent, the defaults of DOMAIN.md apply."""

    palace = models.OneToOneField(Palace, on_delete=models.CASCADE, related_name="indicator_weights")
    inspections = models.PositiveSmallIntegerField(_("inspections"), default=40, validators=[MaxValueValidator(100)])
    reports = models.PositiveSmallIntegerField(_("report review"), default=20, validators=[MaxValueValidator(100)])
    satisfaction = models.PositiveSmallIntegerField(
        _("worker satisfaction"), default=30, validators=[MaxValueValidator(100)]
    )
    kpi = models.PositiveSmallIntegerField(_("KPI progress"), default=10, validators=[MaxValueValidator(100)])
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("indicator weights")
        verbose_name_plural = _("indicator weights")
        constraints = [
            models.CheckConstraint(
                condition=Exact(F("inspections") + F("reports") + F("satisfaction") + F("kpi"), 100),
                name="weights_sum_to_100",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.palace}: {self.inspections}/{self.reports}/{self.satisfaction}/{self.kpi}"

    def as_dict(self) -> dict[str, Decimal]:
        return {name: Decimal(getattr(self, name)) for name in scoring.INDICATORS}


class ChecklistTemplate(models.Model):
    """The checklist an inspector scores, per service category, with weighted items."""

    palace = models.ForeignKey(Palace, on_delete=models.CASCADE, related_name="checklists")
    category = models.CharField(_("category"), max_length=20, choices=ServiceCategory.choices)
    name = models.CharField(_("name"), max_length=100)
    is_active = models.BooleanField(_("in use"), default=True)

    class Meta:
        verbose_name = _("inspection checklist")
        verbose_name_plural = _("inspection checklists")
        ordering = ["palace", "category", "name"]

    def __str__(self) -> str:
        return self.name


class ChecklistItem(models.Model):
    template = models.ForeignKey(ChecklistTemplate, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveSmallIntegerField()
    text = models.CharField(_("item"), max_length=200)
    weight = models.DecimalField(
        _("weight"),
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(100)],
    )

    class Meta:
        ordering = ["template", "position"]
        constraints = [
            models.UniqueConstraint(fields=["template", "position"], name="checklist_item_position"),
            models.CheckConstraint(condition=models.Q(weight__gt=0), name="checklist_item_weight"),
        ]

    def __str__(self) -> str:
        return self.text


class PeriodScore(models.Model):
    """A contract's running score for one calendar month, kept current by every input.

    It stores sums and counts, not averages, so that each input adds to it in O(1)
    inside its own transaction (``services.period_apply``), and a full recompute
    (``services.period_recompute``) must always give the same row.
    """

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="period_scores")
    month = models.DateField(_("month"))  # the first day of the month
    inspections_total = models.DecimalField(max_digits=10, decimal_places=2, default=0)
    inspections_count = models.PositiveIntegerField(default=0)
    reports_total = models.DecimalField(max_digits=10, decimal_places=2, default=0)
    reports_count = models.PositiveIntegerField(default=0)
    ratings_total = models.PositiveIntegerField(default=0)  # in points, 0–100 each
    ratings_count = models.PositiveIntegerField(default=0)
    kpi = models.DecimalField(_("KPI progress"), max_digits=5, decimal_places=2, null=True, blank=True)
    red_lines = models.PositiveSmallIntegerField(default=0)
    score = models.DecimalField(_("score"), max_digits=5, decimal_places=2, null=True, blank=True)
    standing = models.CharField(_("standing"), max_length=5, default="none")
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    closed = models.BooleanField(_("closed"), default=False)

    class Meta:
        verbose_name = _("period score")
        verbose_name_plural = _("period scores")
        ordering = ["contract", "month"]
        constraints = [
            models.UniqueConstraint(fields=["contract", "month"], name="period_score_once"),
            models.CheckConstraint(
                condition=models.Q(score__isnull=True) | models.Q(score__gte=0, score__lte=100),
                name="period_score_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.contract.number} {self.month:%Y-%m}"

    def inputs(self) -> scoring.PeriodInputs:
        return scoring.PeriodInputs(
            inspections=scoring.mean(self.inspections_total, self.inspections_count),
            reports=scoring.mean(self.reports_total, self.reports_count),
            satisfaction=scoring.mean(Decimal(self.ratings_total), self.ratings_count),
            ratings=self.ratings_count,
            kpi=self.kpi,
            red_lines=self.red_lines,
        )


class Inspection(models.Model):
    """现场检查: an evaluator scores a contract's service against a checklist, 0–100 per item."""

    class State(models.TextChoices):
        ASSIGNED = "assigned", _("Assigned")
        SUBMITTED = "submitted", _("Submitted")
        CANCELLED = "cancelled", _("Cancelled")

    class Kind(models.TextChoices):
        SCHEDULED = "scheduled", _("Scheduled")
        SPOT = "spot", _("Unannounced spot check")

    contract = models.ForeignKey(Contract, on_delete=models.PROTECT, related_name="inspections")
    checklist = models.ForeignKey(ChecklistTemplate, on_delete=models.PROTECT, related_name="inspections")
    inspector = models.ForeignKey(
        User, verbose_name=_("inspector"), on_delete=models.PROTECT, related_name="inspections"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.SCHEDULED)
    due_on = models.DateField(_("due on"))
    state = FSMField(_("state"), max_length=10, choices=State.choices, default=State.ASSIGNED)
    inspected_on = models.DateField(_("inspected on"), null=True, blank=True)
    score = models.DecimalField(_("score"), max_digits=5, decimal_places=2, null=True, blank=True, validators=POINTS)
    notes = models.TextField(_("notes"), blank=True)
    # A re-inspection of a rectification order is an inspection too, but it does not score the month.
    order = models.ForeignKey(
        "RectificationOrder", null=True, blank=True, on_delete=models.PROTECT, related_name="reinspections"
    )
    assigned_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    assigned_at = models.DateTimeField(auto_now_add=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)

    class Meta:
        verbose_name = _("inspection")
        verbose_name_plural = _("inspections")
        ordering = ["-due_on", "-pk"]
        indexes = [models.Index(fields=["inspector", "state"], name="inspection_inbox")]

    def __str__(self) -> str:
        return f"{self.contract.number} · {self.get_kind_display()} · {self.due_on:%Y-%m-%d}"

    @state.transition(source=State.ASSIGNED, target=State.SUBMITTED)
    def submit(self):
        pass

    @state.transition(source=State.ASSIGNED, target=State.CANCELLED)
    def cancel(self):
        pass


class InspectionItemScore(models.Model):
    inspection = models.ForeignKey(Inspection, on_delete=models.CASCADE, related_name="item_scores")
    item = models.ForeignKey(ChecklistItem, on_delete=models.PROTECT, related_name="+")
    points = models.DecimalField(_("points"), max_digits=5, decimal_places=2, validators=POINTS)
    note = models.CharField(_("note"), max_length=500, blank=True)

    class Meta:
        ordering = ["item__position"]
        constraints = [
            models.UniqueConstraint(fields=["inspection", "item"], name="inspection_item_once"),
            models.CheckConstraint(condition=models.Q(points__gte=0, points__lte=100), name="inspection_points"),
        ]

    def __str__(self) -> str:
        return f"{self.item}: {self.points}"


class Evidence(models.Model):
    """A photo or PDF behind an inspection, a red line or a rectification response, checked by content."""

    file = models.OneToOneField(StoredFile, on_delete=models.PROTECT, related_name="evaluation_evidence")
    inspection = models.ForeignKey(Inspection, null=True, blank=True, on_delete=models.CASCADE, related_name="evidence")
    red_line = models.ForeignKey("RedLine", null=True, blank=True, on_delete=models.CASCADE, related_name="evidence")
    finding = models.ForeignKey("Finding", null=True, blank=True, on_delete=models.CASCADE, related_name="evidence")
    appeal = models.ForeignKey("Appeal", null=True, blank=True, on_delete=models.CASCADE, related_name="evidence")

    class Meta:
        verbose_name = _("evidence")
        verbose_name_plural = _("evidence")
        constraints = [
            # Exactly one subject: each Q names one subject set and the others empty.
            models.CheckConstraint(
                condition=(
                    models.Q(inspection__isnull=False, red_line__isnull=True, finding__isnull=True, appeal__isnull=True)
                    | models.Q(
                        inspection__isnull=True, red_line__isnull=False, finding__isnull=True, appeal__isnull=True
                    )
                    | models.Q(
                        inspection__isnull=True, red_line__isnull=True, finding__isnull=False, appeal__isnull=True
                    )
                    | models.Q(
                        inspection__isnull=True, red_line__isnull=True, finding__isnull=True, appeal__isnull=False
                    )
                ),
                name="evidence_has_one_subject",
            ),
        ]

    def __str__(self) -> str:
        return self.file.original_name


def new_rating_token() -> str:
    # 128 random bits: the link cannot be derived from, or guessed by counting, activity ids.
    return secrets.token_urlsafe(16)


class RatingLink(models.Model):
    """The public rating page of one activity (``/rate/<token>/``) and its QR code."""

    activity = models.OneToOneField(Activity, on_delete=models.CASCADE, related_name="rating_link")
    token = models.CharField(max_length=32, unique=True, default=new_rating_token)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.activity} → {self.token[:6]}…"


class Rating(models.Model):
    """A worker's 1–5 stars for an activity they attended; one per device per activity."""

    # PROTECT: a report's re-save keeps its activities' rows; removing a rated activity is refused.
    # No index of its own: the one-per-device constraint's index (activity, device) serves the activity.
    activity = models.ForeignKey(Activity, on_delete=models.PROTECT, related_name="ratings", db_index=False)
    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="+")
    stars = models.PositiveSmallIntegerField(_("stars"), validators=[MinValueValidator(1), MaxValueValidator(5)])
    comment = models.CharField(_("comment"), max_length=500, blank=True)
    device = models.CharField(max_length=64)  # a keyed hash of the device's random cookie, never the cookie
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("worker rating")
        verbose_name_plural = _("worker ratings")
        constraints = [
            models.UniqueConstraint(fields=["activity", "device"], name="rating_once_per_device"),
            models.CheckConstraint(condition=models.Q(stars__gte=1, stars__lte=5), name="rating_stars_range"),
        ]

    def __str__(self) -> str:
        return f"{self.activity} ★{self.stars}"


class RedLine(models.Model):
    """红线: a serious violation. It fails the month whatever the score."""

    class Category(models.TextChoices):
        SAFETY = "safety", _("Safety incident")
        CHARGING = "charging", _("Charging workers for a free service")
        FALSIFIED = "falsified", _("Falsified records or attendance")
        ABSENT = "absent", _("Service not delivered without notice")
        OTHER = "other", pgettext_lazy("red line", "Other serious violation")

    contract = models.ForeignKey(Contract, on_delete=models.PROTECT, related_name="red_lines")
    category = models.CharField(_("category"), max_length=12, choices=Category.choices)
    occurred_on = models.DateField(_("occurred on"))
    description = models.TextField(_("description"))
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("red-line event")
        verbose_name_plural = _("red-line events")
        ordering = ["-occurred_on", "-pk"]

    def __str__(self) -> str:
        return f"{self.contract.number} {self.get_category_display()} {self.occurred_on:%Y-%m-%d}"
