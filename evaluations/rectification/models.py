"""Rectification (DOMAIN.md §4): the order a failing month issues, its findings, and the
termination review that a second failed order in a term opens.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _
from viewflow.fsm import FSMField

from contracts.models import Contract
from core.models import User
from evaluations.realtime.models import PeriodScore, RedLine


class RectificationOrder(models.Model):
    """整改通知: findings to put right by a deadline of 10 working days, then re-inspected."""

    class State(models.TextChoices):
        OPEN = "open", _("Awaiting the provider's response")
        RESPONDED = "responded", _("Awaiting re-inspection")
        PASSED = "passed", _("Passed")
        FAILED = "failed", _("Failed")

    class Trigger(models.TextChoices):
        SCORE = "score", _("Period score below 60")
        RED_LINE = "red_line", _("Red-line event")

    number = models.CharField(_("number"), max_length=30, unique=True)
    contract = models.ForeignKey(Contract, on_delete=models.PROTECT, related_name="rectification_orders")
    period = models.ForeignKey(PeriodScore, on_delete=models.PROTECT, related_name="orders")
    trigger = models.CharField(_("reason"), max_length=10, choices=Trigger.choices)
    red_line = models.OneToOneField(RedLine, null=True, blank=True, on_delete=models.PROTECT, related_name="order")
    score_at_issue = models.DecimalField(_("score when issued"), max_digits=5, decimal_places=2, null=True, blank=True)
    issued_at = models.DateTimeField(_("issued at"))
    deadline = models.DateField(_("deadline"))
    state = FSMField(_("state"), max_length=10, choices=State.choices, default=State.OPEN)
    responded_at = models.DateTimeField(_("responded at"), null=True, blank=True)
    responded_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    failed_on_deadline = models.BooleanField(_("failed because the deadline passed"), default=False)
    reinspector = models.ForeignKey(
        User, verbose_name=_("re-inspector"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("rectification order")
        verbose_name_plural = _("rectification orders")
        ordering = ["-issued_at"]
        constraints = [
            # A month below 60 issues one order, however many inputs keep it there.
            models.UniqueConstraint(
                fields=["period"], condition=models.Q(trigger="score"), name="one_score_order_per_period"
            ),
        ]
        indexes = [models.Index(fields=["state", "deadline"], name="order_state_deadline")]

    def __str__(self) -> str:
        return self.number

    OPEN_STATES = (State.OPEN, State.RESPONDED)

    @state.transition(source=State.OPEN, target=State.RESPONDED)
    def respond(self):
        pass

    @state.transition(source=State.RESPONDED, target=State.PASSED)
    def pass_(self):
        pass

    @state.transition(source=[State.OPEN, State.RESPONDED], target=State.FAILED)
    def fail(self):
        pass


class Finding(models.Model):
    """One thing the order requires to be put right, answered by the provider and judged on re-inspection."""

    class Outcome(models.TextChoices):
        RESOLVED = "resolved", _("Resolved")
        PARTLY = "partly", _("Partly resolved")
        NOT_RESOLVED = "not_resolved", _("Not resolved")

    order = models.ForeignKey(RectificationOrder, on_delete=models.CASCADE, related_name="findings")
    position = models.PositiveSmallIntegerField()
    text = models.CharField(_("finding"), max_length=500)
    response = models.TextField(_("response"), blank=True)
    outcome = models.CharField(_("outcome"), max_length=12, choices=Outcome.choices, blank=True)
    outcome_note = models.CharField(_("re-inspection note"), max_length=500, blank=True)

    class Meta:
        ordering = ["order", "position"]
        constraints = [models.UniqueConstraint(fields=["order", "position"], name="finding_position")]

    def __str__(self) -> str:
        return self.text


class TerminationReview(models.Model):
    """The second failed order of a term asks the administrator to decide on early termination."""

    class Decision(models.TextChoices):
        TERMINATE = "terminate", _("Terminate early")
        CONTINUE = "continue", _("Continue the contract")

    contract = models.ForeignKey(Contract, on_delete=models.PROTECT, related_name="termination_reviews")
    opened_at = models.DateTimeField(_("opened at"))
    failed_orders = models.ManyToManyField(RectificationOrder, related_name="+")
    decision = models.CharField(_("decision"), max_length=10, choices=Decision.choices, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    decided_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    class Meta:
        verbose_name = _("termination review")
        verbose_name_plural = _("termination reviews")
        ordering = ["-opened_at"]

    def __str__(self) -> str:
        return f"{self.contract.number} · {self.opened_at:%Y-%m-%d}"
