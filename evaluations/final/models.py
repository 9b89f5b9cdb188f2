"""Final evaluation (终期评价, DOMAIN.md §5).

A ``FinalEvaluation`` opens 30 days before a contract ends. Its points come from four
components (weighted per palace by ``FinalWeights``), one of them a sealed panel review
whose seats (``FinalPanelSeat``) share the recruitment panel's state machine. The
provider may ``Appeal`` the proposed rating once; the administrator signs it off, and a
second staff member confirms a 差, which ends in an exit (``evaluations.exit``).
"""

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F
from django.db.models.lookups import Exact
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from viewflow.fsm import FSMField

from contracts.models import Contract
from core.models import Palace, User
from procurement.models import Declaration, PanelSeat

POINTS = [MinValueValidator(0), MaxValueValidator(100)]


class FinalWeights(models.Model):
    """The palace's weights of the four final-evaluation components, summing to 100."""

    palace = models.OneToOneField(Palace, on_delete=models.CASCADE, related_name="final_weights")
    period_scores = models.PositiveSmallIntegerField(
        _("mean of the term's period scores"), default=50, validators=[MaxValueValidator(100)]
    )
    kpi = models.PositiveSmallIntegerField(_("KPI completion"), default=20, validators=[MaxValueValidator(100)])
    satisfaction = models.PositiveSmallIntegerField(
        _("end-of-term satisfaction"), default=15, validators=[MaxValueValidator(100)]
    )
    panel = models.PositiveSmallIntegerField(_("final panel review"), default=15, validators=[MaxValueValidator(100)])
    # How long an exit bars the provider from this palace's recruitments.
    exclusion_years = models.PositiveSmallIntegerField(
        _("exclusion after an exit (years)"), default=1, validators=[MinValueValidator(1), MaxValueValidator(3)]
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("final evaluation weights")
        verbose_name_plural = _("final evaluation weights")
        constraints = [
            models.CheckConstraint(
                condition=Exact(F("period_scores") + F("kpi") + F("satisfaction") + F("panel"), 100),
                name="final_weights_sum_to_100",
            ),
            models.CheckConstraint(
                condition=models.Q(exclusion_years__gte=1, exclusion_years__lte=3), name="final_weights_exclusion_years"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.palace}: {self.period_scores}/{self.kpi}/{self.satisfaction}/{self.panel}"


class FinalRating(models.TextChoices):
    EXCELLENT = "excellent", pgettext_lazy("final rating", "Excellent (优秀)")
    GOOD = "good", pgettext_lazy("final rating", "Good (良好)")
    PASS = "pass", pgettext_lazy("final rating", "Pass (合格)")
    POOR = "poor", pgettext_lazy("final rating", "Poor (差)")


class FinalEvaluation(models.Model):
    """The end-of-term evaluation of one contract."""

    class State(models.TextChoices):
        PANEL = "panel", _("Panel review")
        PROPOSED = "proposed", _("Rating proposed (appeal window)")
        APPEALED = "appealed", _("Under appeal")
        SIGN_OFF = "sign_off", _("Awaiting sign-off")
        CONFIRMING = "confirming", _("Awaiting a second confirmation")
        FINAL = "final", _("Final")
        # An early termination (TerminationReview) ended the contract before the rating was final.
        CANCELLED = "cancelled", _("Ended by early termination")

    class Outcome(models.TextChoices):
        PENDING = "", _("Not decided")
        RENEWED = "renewed", _("Renewed once without re-tender")
        RETENDER = "retender", _("Re-tender at the end of the term")
        EXITED = "exited", _("Exit (退出合作)")

    contract = models.OneToOneField(
        Contract, verbose_name=_("contract"), on_delete=models.PROTECT, related_name="final_evaluation"
    )
    state = FSMField(_("state"), max_length=12, choices=State.choices, default=State.PANEL)
    opened_at = models.DateTimeField(_("opened at"))
    panel_size = models.PositiveSmallIntegerField(_("panel size"), default=3, validators=[MinValueValidator(3)])

    # The weights in force when the evaluation opened, so a later change does not rewrite it.
    weight_period_scores = models.PositiveSmallIntegerField(default=50)
    weight_kpi = models.PositiveSmallIntegerField(default=20)
    weight_satisfaction = models.PositiveSmallIntegerField(default=15)
    weight_panel = models.PositiveSmallIntegerField(default=15)

    # Each component's value on 0–100, and its points (value × weight ÷ 100), kept to 4 places: exact, so
    # that the points shown add up to the total, which alone is rounded (scoring.final_points).
    period_scores_value = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True, validators=POINTS)
    kpi_value = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True, validators=POINTS)
    satisfaction_value = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True, validators=POINTS)
    panel_value = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True, validators=POINTS)
    period_scores_points = models.DecimalField(max_digits=7, decimal_places=4, null=True, blank=True)
    kpi_points = models.DecimalField(max_digits=7, decimal_places=4, null=True, blank=True)
    satisfaction_points = models.DecimalField(max_digits=7, decimal_places=4, null=True, blank=True)
    panel_points = models.DecimalField(max_digits=7, decimal_places=4, null=True, blank=True)
    failed_orders = models.PositiveSmallIntegerField(_("failed rectification orders"), default=0)
    deduction = models.DecimalField(_("deduction"), max_digits=5, decimal_places=2, default=Decimal("0"))
    red_lines = models.PositiveSmallIntegerField(_("red lines in the term"), default=0)
    # The computed total and rating; an appeal may adjust the total (see Appeal).
    proposed_total = models.DecimalField(_("proposed points"), max_digits=5, decimal_places=2, null=True, blank=True)
    proposed_rating = models.CharField(_("proposed rating"), max_length=10, choices=FinalRating.choices, blank=True)
    proposed_at = models.DateTimeField(_("proposed at"), null=True, blank=True)
    appeal_deadline = models.DateField(_("appeal deadline"), null=True, blank=True)
    total = models.DecimalField(_("points"), max_digits=5, decimal_places=2, null=True, blank=True)
    rating = models.CharField(_("rating"), max_length=10, choices=FinalRating.choices, blank=True)

    signed_off_by = models.ForeignKey(
        User, verbose_name=_("signed off by"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    signed_off_at = models.DateTimeField(_("signed off at"), null=True, blank=True)
    confirmed_by = models.ForeignKey(
        User, verbose_name=_("confirmed by"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    finalised_at = models.DateTimeField(_("final at"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices, blank=True)
    outcome_at = models.DateTimeField(_("outcome decided at"), null=True, blank=True)
    outcome_by = models.ForeignKey(
        User, verbose_name=_("outcome decided by"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("final evaluation")
        verbose_name_plural = _("final evaluations")
        ordering = ["-opened_at"]
        constraints = [
            models.CheckConstraint(
                condition=Exact(
                    F("weight_period_scores") + F("weight_kpi") + F("weight_satisfaction") + F("weight_panel"), 100
                ),
                name="final_evaluation_weights_sum_to_100",
            ),
            models.CheckConstraint(
                condition=~models.Q(state="final") | ~models.Q(rating=""), name="final_evaluation_final_has_rating"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.contract.number} · {self.get_state_display()}"

    # --- lifecycle: panel → proposed → (appealed →) sign_off → (confirming →) final

    @state.transition(source=State.PANEL, target=State.PROPOSED)
    def propose(self):
        pass

    # Not ``appeal``: that name is the reverse accessor of ``Appeal.evaluation``, which would hide the method.
    @state.transition(source=State.PROPOSED, target=State.APPEALED)
    def lodge_appeal(self):
        pass

    @state.transition(source=[State.PROPOSED, State.APPEALED], target=State.SIGN_OFF)
    def ready_for_sign_off(self):
        pass

    @state.transition(source=State.SIGN_OFF, target=State.CONFIRMING)
    def await_confirmation(self):
        pass

    @state.transition(source=[State.SIGN_OFF, State.CONFIRMING], target=State.FINAL)
    def finalise(self):
        pass

    @state.transition(
        source=[State.PANEL, State.PROPOSED, State.APPEALED, State.SIGN_OFF, State.CONFIRMING], target=State.CANCELLED
    )
    def cancel(self):
        pass


class FinalPanelSeat(PanelSeat):
    """An evaluator on a final evaluation's panel review (same states as a recruitment panel seat)."""

    evaluation = models.ForeignKey(FinalEvaluation, on_delete=models.CASCADE, related_name="panel")
    evaluator = models.ForeignKey(User, on_delete=models.PROTECT, related_name="final_panel_seats")
    # The single declaration against the one provider under review (the recruitment panel
    # declares once per applicant, in procurement.Declaration).
    conflict = models.CharField(_("conflict"), max_length=12, choices=Declaration.Conflict.choices, blank=True)
    conflict_note = models.CharField(_("details"), max_length=500, blank=True)

    class Meta(PanelSeat.Meta):
        verbose_name = _("final panel seat")
        verbose_name_plural = _("final panel seats")
        constraints = [
            models.UniqueConstraint(fields=["evaluation", "evaluator"], name="final_panel_seat_once"),
        ]

    def __str__(self) -> str:
        return f"{self.evaluator} · {self.evaluation.contract.number}"


class ReviewCriterion(models.TextChoices):
    """What the final panel scores, each out of its maximum (the maxima sum to 100)."""

    RESULTS = "results", _("Service results against the contract")
    REPUTATION = "reputation", _("Workers' reputation and participation")
    MANAGEMENT = "management", _("Management, safety and compliance")


REVIEW_MAXIMA = {
    ReviewCriterion.RESULTS: Decimal(40),
    ReviewCriterion.REPUTATION: Decimal(30),
    ReviewCriterion.MANAGEMENT: Decimal(30),
}


class FinalPanelScore(models.Model):
    """One panel evaluator's points on one review criterion. Sealed until the panel is complete."""

    seat = models.ForeignKey(FinalPanelSeat, on_delete=models.PROTECT, related_name="scores")
    criterion = models.CharField(_("criterion"), max_length=12, choices=ReviewCriterion.choices)
    points = models.DecimalField(_("points"), max_digits=5, decimal_places=2, validators=POINTS)
    comment = models.CharField(_("comment"), max_length=1000, blank=True)
    is_outlier = models.BooleanField(_("outlier"), default=False)
    justification = models.TextField(_("justification"), blank=True)

    class Meta:
        verbose_name = _("final panel score")
        verbose_name_plural = _("final panel scores")
        ordering = ["seat", "criterion"]
        constraints = [
            models.UniqueConstraint(fields=["seat", "criterion"], name="final_panel_score_once"),
            models.CheckConstraint(condition=models.Q(points__gte=0, points__lte=100), name="final_panel_score_range"),
        ]

    def __str__(self) -> str:
        return f"{self.seat}: {self.criterion} {self.points}"


class Appeal(models.Model):
    """The provider's one appeal (申诉) against the proposed rating, with grounds and evidence."""

    class Decision(models.TextChoices):
        UPHELD = "upheld", _("Rating upheld")
        ADJUSTED = "adjusted", _("Rating adjusted")

    evaluation = models.OneToOneField(FinalEvaluation, on_delete=models.PROTECT, related_name="appeal")
    grounds = models.TextField(_("grounds"))
    lodged_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    lodged_at = models.DateTimeField(_("lodged at"))
    decision = models.CharField(_("decision"), max_length=10, choices=Decision.choices, blank=True)
    adjusted_total = models.DecimalField(
        _("adjusted points"), max_digits=5, decimal_places=2, null=True, blank=True, validators=POINTS
    )
    reason = models.TextField(_("reason"), blank=True)
    decided_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    class Meta:
        verbose_name = _("appeal")
        verbose_name_plural = _("appeals")
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(decision="adjusted") | models.Q(adjusted_total__isnull=False),
                name="appeal_adjustment_has_points",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.evaluation.contract.number} · {self.lodged_at:%Y-%m-%d}"
