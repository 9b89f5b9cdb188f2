"""Contracts (合作协议), their KPI targets and payment milestones."""

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from viewflow.fsm import FSMField

from core.models import Palace, StoredFile, User
from procurement.models import KpiMetric, Provider, Recruitment, ServiceCategory, ServiceProject

MAX_TERM_MONTHS = 36


class Contract(models.Model):
    """The agreement with the awarded provider: term, amount, KPI targets, reports, milestones."""

    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        ACTIVE = "active", pgettext_lazy("contract state", "Active")
        RECTIFICATION = "rectification", _("Under rectification")
        FINAL_EVALUATION = "final_evaluation", _("In final evaluation")
        COMPLETED = "completed", _("Completed")
        TERMINATED = "terminated", _("Terminated")

    class ReportSchedule(models.TextChoices):
        MONTHLY = "monthly", _("Monthly")
        QUARTERLY = "quarterly", _("Quarterly")

    number = models.CharField(_("number"), max_length=30, unique=True)
    palace = models.ForeignKey(Palace, verbose_name=_("palace"), on_delete=models.PROTECT, related_name="contracts")
    provider = models.ForeignKey(
        Provider, verbose_name=_("provider"), on_delete=models.PROTECT, related_name="contracts"
    )
    project = models.ForeignKey(
        ServiceProject, verbose_name=_("service project"), on_delete=models.PROTECT, related_name="contracts"
    )
    recruitment = models.OneToOneField(
        Recruitment,
        verbose_name=_("recruitment"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="contract",
    )
    amount = models.DecimalField(
        _("amount (CNY)"), max_digits=12, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))]
    )
    term_months = models.PositiveSmallIntegerField(
        _("term (months)"), default=12, validators=[MinValueValidator(1), MaxValueValidator(36)]
    )
    starts_on = models.DateField(_("starts on"), null=True, blank=True)
    ends_on = models.DateField(_("ends on"), null=True, blank=True)
    report_schedule = models.CharField(
        _("report schedule"), max_length=10, choices=ReportSchedule.choices, default=ReportSchedule.MONTHLY
    )
    state = FSMField(_("state"), max_length=20, choices=State.choices, default=State.DRAFT)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    # Both signatures, in order: the palace signs, then the provider accepts and the contract is in force.
    signed_at = models.DateTimeField(_("signed by the palace at"), null=True, blank=True)
    signed_by = models.ForeignKey(
        User, verbose_name=_("signed by"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    accepted_at = models.DateTimeField(_("accepted by the provider at"), null=True, blank=True)
    accepted_by = models.ForeignKey(
        User, verbose_name=_("accepted by"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # A renewal (续约) after a final rating of 优秀 or 良好 is a new term linked to the old one.
    renewal_of = models.OneToOneField(
        "self", verbose_name=_("renewal of"), null=True, blank=True, on_delete=models.PROTECT, related_name="renewal"
    )
    # Why and when the term ended early (an exit), or was completed.
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    end_reason = models.TextField(_("reason for ending"), blank=True)

    class Meta:
        verbose_name = _("contract")
        verbose_name_plural = _("contracts")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="contract_amount_positive"),
            models.CheckConstraint(
                condition=models.Q(term_months__gte=1, term_months__lte=36), name="contract_term_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.provider}"

    # Signed by both and not yet ended: reports are written and reviewed, reminders go out.
    IN_FORCE = (State.ACTIVE, State.RECTIFICATION, State.FINAL_EVALUATION)

    @property
    def in_force(self) -> bool:
        return self.state in Contract.IN_FORCE

    @property
    def period_months(self) -> int:
        return 3 if self.report_schedule == self.ReportSchedule.QUARTERLY else 1

    # --- lifecycle (DOMAIN.md §2): draft → active ⇄ rectification → final evaluation → completed | terminated

    @state.transition(source=State.DRAFT, target=State.ACTIVE)
    def activate(self):
        pass

    @state.transition(source=State.ACTIVE, target=State.RECTIFICATION)
    def open_rectification(self):
        pass

    @state.transition(source=State.RECTIFICATION, target=State.ACTIVE)
    def close_rectification(self):
        pass

    @state.transition(source=[State.ACTIVE, State.RECTIFICATION], target=State.FINAL_EVALUATION)
    def begin_final_evaluation(self):
        pass

    @state.transition(source=State.FINAL_EVALUATION, target=State.COMPLETED)
    def complete(self):
        pass

    @state.transition(source=[State.ACTIVE, State.RECTIFICATION, State.FINAL_EVALUATION], target=State.TERMINATED)
    def terminate(self):
        pass


class ContractKpiTarget(models.Model):
    """A KPI target of the contract, copied from the service project and adjustable in draft."""

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="kpi_targets")
    metric = models.CharField(_("metric"), max_length=20, choices=KpiMetric.choices)
    # For sessions and participant-visits: only activities of this category count; blank counts all.
    category = models.CharField(_("category"), max_length=20, choices=ServiceCategory.choices, blank=True)
    label = models.CharField(_("label"), max_length=60, blank=True)
    target = models.DecimalField(
        _("target"), max_digits=10, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))]
    )
    unit = models.CharField(_("unit"), max_length=20)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["contract", "metric", "category", "label"], name="contract_kpi_unique"),
            models.CheckConstraint(condition=models.Q(target__gt=0), name="contract_kpi_positive"),
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
    percent = models.DecimalField(
        _("share (%)"),
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(100)],
    )
    amount = models.DecimalField(_("amount (CNY)"), max_digits=12, decimal_places=2)
    released_at = models.DateTimeField(_("released at"), null=True, blank=True)
    released_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    # Withheld for good on an exit (退出): never released, with the reason shown on the contract.
    withheld_at = models.DateTimeField(_("withheld at"), null=True, blank=True)
    withheld_reason = models.CharField(_("reason withheld"), max_length=500, blank=True)

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["contract", "position"], name="milestone_position_unique"),
            models.CheckConstraint(
                condition=models.Q(released_at__isnull=True) | models.Q(withheld_at__isnull=True),
                name="milestone_released_or_withheld",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.contract.number} #{self.position} {self.percent}%"


class ServiceReport(models.Model):
    """服务报告: what the provider delivered in one report period, due on the 5th working day after it.

    Every period of the term exists from activation on, so "due", "overdue" and "missed"
    are facts about rows, not about reports somebody remembered to create.
    """

    class State(models.TextChoices):
        PENDING = "pending", _("Not submitted")
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted")
        RETURNED = "returned", _("Returned for revision")
        ACCEPTED = "accepted", _("Accepted")
        MISSED = "missed", _("Missed (scored 0)")

    contract = models.ForeignKey(Contract, verbose_name=_("contract"), on_delete=models.CASCADE, related_name="reports")
    sequence = models.PositiveSmallIntegerField(_("period"))
    period_start = models.DateField(_("period starts"))
    period_end = models.DateField(_("period ends"))
    due_on = models.DateField(_("due on"))
    # When the next period closes: a report still outstanding after this scores 0.
    missed_after = models.DateField(_("scores 0 after"))
    state = FSMField(_("state"), max_length=12, choices=State.choices, default=State.PENDING)
    narrative = models.TextField(_("narrative"), blank=True)
    score = models.DecimalField(
        _("score"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    review_comment = models.TextField(_("review comments"), blank=True)
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        User, verbose_name=_("reviewed by"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    submitted_by = models.ForeignKey(
        User, verbose_name=_("submitted by"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    version = models.PositiveSmallIntegerField(_("version"), default=0)

    class Meta:
        verbose_name = _("service report")
        verbose_name_plural = _("service reports")
        ordering = ["contract", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["contract", "sequence"], name="report_period_once"),
            models.CheckConstraint(
                condition=models.Q(period_end__gte=models.F("period_start")), name="report_period_order"
            ),
            models.CheckConstraint(
                condition=models.Q(score__isnull=True) | models.Q(score__gte=0, score__lte=100),
                name="report_score_range",
            ),
        ]
        indexes = [models.Index(fields=["state", "due_on"], name="report_state_due")]

    def __str__(self) -> str:
        return f"{self.contract.number} · {self.period_start:%Y-%m-%d}–{self.period_end:%Y-%m-%d}"

    OUTSTANDING = (State.PENDING, State.DRAFT)
    EDITABLE = (State.PENDING, State.DRAFT, State.RETURNED)

    def is_overdue(self, today) -> bool:
        return self.state in self.OUTSTANDING and today > self.due_on

    @state.transition(source=[State.PENDING, State.DRAFT], target=State.DRAFT)
    def save_draft(self):
        pass

    @state.transition(source=[State.PENDING, State.DRAFT, State.RETURNED], target=State.SUBMITTED)
    def submit(self):
        pass

    @state.transition(source=State.SUBMITTED, target=State.ACCEPTED)
    def accept(self):
        pass

    @state.transition(source=State.SUBMITTED, target=State.RETURNED)
    def send_back(self):
        pass

    @state.transition(source=[State.PENDING, State.DRAFT], target=State.MISSED)
    def miss(self):
        pass


class Activity(models.Model):
    """One activity the provider ran in a report period: typed in, or imported from a check-in export."""

    class Source(models.TextChoices):
        TYPED = "typed", _("Typed in")
        IMPORTED = "imported", _("Imported")

    report = models.ForeignKey(ServiceReport, on_delete=models.CASCADE, related_name="activities")
    # Denormalised so that KPI progress and palace statistics are one aggregate each.
    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="activities")
    palace = models.ForeignKey(Palace, on_delete=models.PROTECT, related_name="+")
    date = models.DateField(_("date"))
    title = models.CharField(_("title"), max_length=200)
    category = models.CharField(_("category"), max_length=20, choices=ServiceCategory.choices)
    place = models.CharField(_("room or place"), max_length=100)
    participants = models.PositiveIntegerField(_("participants"))
    source = models.CharField(_("source"), max_length=10, choices=Source.choices, default=Source.TYPED)

    class Meta:
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        ordering = ["date", "id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(participants__gte=0), name="activity_participants"),
        ]
        indexes = [
            models.Index(fields=["palace", "date"], name="activity_palace_date"),
            models.Index(fields=["contract", "category"], name="activity_contract_cat"),
        ]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.title}"


class ReportAttachment(models.Model):
    """A photo or PDF attached to a report (sign-in sheets, photos of the session)."""

    report = models.ForeignKey(ServiceReport, on_delete=models.CASCADE, related_name="attachments")
    file = models.OneToOneField(StoredFile, on_delete=models.PROTECT, related_name="report_attachment")

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.file.original_name


class ReportVersion(models.Model):
    """What was submitted each time, frozen; a returned report's earlier versions stay readable."""

    report = models.ForeignKey(ServiceReport, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveSmallIntegerField(_("version"))
    submitted_at = models.DateTimeField(_("submitted at"))
    submitted_by = models.ForeignKey(User, null=True, on_delete=models.PROTECT, related_name="+")
    narrative = models.TextField(_("narrative"), blank=True)
    # A frozen copy for the record: [{date, title, category, place, participants}] and [{name, file id}].
    activities = models.JSONField(default=list)
    attachments = models.JSONField(default=list)
    outcome = models.CharField(_("outcome"), max_length=12, blank=True)
    score = models.DecimalField(_("score"), max_digits=5, decimal_places=2, null=True, blank=True)
    review_comment = models.TextField(_("review comments"), blank=True)

    class Meta:
        ordering = ["report", "number"]
        constraints = [models.UniqueConstraint(fields=["report", "number"], name="report_version_once")]

    def __str__(self) -> str:
        return f"{self.report} v{self.number}"


class ReportReminder(models.Model):
    """A reminder sent once: 3 days before the due date, and on the day the report falls overdue."""

    class Kind(models.TextChoices):
        DUE_SOON = "due_soon", _("Due in 3 days")
        OVERDUE = "overdue", _("Overdue")

    report = models.ForeignKey(ServiceReport, on_delete=models.CASCADE, related_name="reminders")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    sent_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["report", "kind"], name="report_reminder_once")]

    def __str__(self) -> str:
        return f"{self.report} · {self.kind}"
