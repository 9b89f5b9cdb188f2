"""Contracts (合作协议), their KPI targets and payment milestones."""

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from viewflow.fsm import FSMField

from core.models import Palace, User
from procurement.models import KpiMetric, Provider, Recruitment, ServiceProject


class Contract(models.Model):
    """The agreement with the awarded provider: term, amount, KPI targets, reports, milestones."""

    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        ACTIVE = "active", _("Active")
        RECTIFICATION = "rectification", _("Under rectification")
        FINAL_EVALUATION = "final_evaluation", _("In final evaluation")
        COMPLETED = "completed", _("Completed")
        TERMINATED = "terminated", _("Terminated")

    class ReportSchedule(models.TextChoices):
        MONTHLY = "monthly", _("Monthly")
        QUARTERLY = "quarterly", _("Quarterly")

    number = models.CharField(_("number"), max_length=30, unique=True)
    palace = models.ForeignKey(Palace, verbose_name=_("palace"), on_delete=models.PROTECT, related_name="contracts")
    provider = models.ForeignKey(Provider, verbose_name=_("provider"), on_delete=models.PROTECT,
                                 related_name="contracts")
    project = models.ForeignKey(ServiceProject, verbose_name=_("service project"), on_delete=models.PROTECT,
                                related_name="contracts")
    recruitment = models.OneToOneField(Recruitment, verbose_name=_("recruitment"), null=True, blank=True,
                                       on_delete=models.PROTECT, related_name="contract")
    amount = models.DecimalField(_("amount (CNY)"), max_digits=12, decimal_places=2,
                                 validators=[MinValueValidator(Decimal("0.01"))])
    term_months = models.PositiveSmallIntegerField(
        _("term (months)"), default=12, validators=[MinValueValidator(1), MaxValueValidator(36)])
    starts_on = models.DateField(_("starts on"), null=True, blank=True)
    ends_on = models.DateField(_("ends on"), null=True, blank=True)
    report_schedule = models.CharField(_("report schedule"), max_length=10, choices=ReportSchedule.choices,
                                       default=ReportSchedule.MONTHLY)
    state = FSMField(_("state"), max_length=20, choices=State.choices, default=State.DRAFT)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("contract")
        verbose_name_plural = _("contracts")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="contract_amount_positive"),
            models.CheckConstraint(condition=models.Q(term_months__gte=1, term_months__lte=36),
                                   name="contract_term_range"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.provider}"


class ContractKpiTarget(models.Model):
    """A KPI target of the contract, copied from the service project and adjustable in draft."""

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="kpi_targets")
    metric = models.CharField(_("metric"), max_length=20, choices=KpiMetric.choices)
    label = models.CharField(_("label"), max_length=60, blank=True)
    target = models.DecimalField(_("target"), max_digits=10, decimal_places=2,
                                 validators=[MinValueValidator(Decimal("0.01"))])
    unit = models.CharField(_("unit"), max_length=20)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["contract", "metric", "label"], name="contract_kpi_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.label or self.get_metric_display()} {self.target} {self.unit}"


class Milestone(models.Model):
    """A payment milestone, released only when its condition holds."""

    class Condition(models.TextChoices):
        ON_SIGNING = "on_signing", _("On signing")
        MID_TERM = "mid_term", _("At mid-term, if no rectification is open")
        FINAL_RATING = "final_rating", _("After a final rating of 合格 or better")

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="milestones")
    position = models.PositiveSmallIntegerField()
    condition = models.CharField(_("condition"), max_length=14, choices=Condition.choices)
    percent = models.DecimalField(_("share (%)"), max_digits=5, decimal_places=2,
                                  validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(100)])
    amount = models.DecimalField(_("amount (CNY)"), max_digits=12, decimal_places=2)
    released_at = models.DateTimeField(_("released at"), null=True, blank=True)
    released_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["contract", "position"], name="milestone_position_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.contract.number} #{self.position} {self.percent}%"
