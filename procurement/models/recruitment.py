"""A public recruitment for one service project: notice, sealed applications, panel, award."""

from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from viewflow.fsm import FSMField

from core.models import Palace, StoredFile, User

from .providers import Provider, ServiceProject


class Recruitment(models.Model):
    """招募: published for a window of working days, then scored by a panel and awarded."""

    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Open for applications")
        CLOSED = "closed", _("Closed")
        EVALUATING = "evaluating", _("Under evaluation")
        PUBLICITY = "publicity", _("Result in publicity")
        AWARDED = "awarded", _("Awarded")
        FAILED = "failed", _("Failed (too few valid applications)")
        CANCELLED = "cancelled", _("Cancelled")

    palace = models.ForeignKey(Palace, verbose_name=_("palace"), on_delete=models.PROTECT, related_name="recruitments")
    project = models.ForeignKey(
        ServiceProject, verbose_name=_("service project"), on_delete=models.PROTECT, related_name="recruitments"
    )
    number = models.CharField(_("number"), max_length=30, unique=True)
    title = models.CharField(_("title"), max_length=150)
    description = models.TextField(_("description"), blank=True)
    eligibility = models.TextField(_("eligibility requirements"), blank=True)
    budget_ceiling = models.DecimalField(
        _("price ceiling (CNY)"), max_digits=12, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))]
    )
    panel_size = models.PositiveSmallIntegerField(_("panel size"), default=5)
    opens_at = models.DateTimeField(_("applications open"), null=True, blank=True)
    deadline = models.DateTimeField(_("application deadline"), null=True, blank=True)
    publicity_ends_at = models.DateTimeField(_("publicity ends"), null=True, blank=True)
    state = FSMField(_("state"), max_length=12, choices=State.choices, default=State.DRAFT)
    reissue_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="reissues", verbose_name=_("re-issue of")
    )
    awarded_application = models.OneToOneField(
        "Application",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("proposed award"),
    )
    award_reason = models.TextField(_("reason for not choosing the top-ranked applicant"), blank=True)
    compiled_at = models.DateTimeField(_("compiled at"), null=True, blank=True)
    # 1, and one more each time an upheld objection sends the panel back to scoring.
    evaluation_round = models.PositiveSmallIntegerField(_("evaluation round"), default=1)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("recruitment")
        verbose_name_plural = _("recruitments")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=models.Q(budget_ceiling__gt=0), name="recruitment_ceiling_positive"),
            models.CheckConstraint(
                condition=models.Q(panel_size__gte=3) & models.Q(panel_size__lte=15),
                name="recruitment_panel_size_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    # The lifecycle. Services call these; each only moves the state.
    @state.transition(source=State.DRAFT, target=State.PUBLISHED)
    def publish(self):
        pass

    @state.transition(source=State.PUBLISHED, target=State.CLOSED)
    def close(self):
        pass

    @state.transition(source=State.CLOSED, target=State.FAILED)
    def fail(self):
        pass

    @state.transition(source=State.CLOSED, target=State.EVALUATING)
    def start_evaluation(self):
        pass

    @state.transition(source=State.EVALUATING, target=State.PUBLICITY)
    def publicise(self):
        pass

    @state.transition(source=State.PUBLICITY, target=State.EVALUATING)
    def reopen_evaluation(self):
        pass

    @state.transition(source=State.PUBLICITY, target=State.AWARDED)
    def award(self):
        pass

    @state.transition(
        source=[State.DRAFT, State.PUBLISHED, State.CLOSED, State.EVALUATING, State.PUBLICITY], target=State.CANCELLED
    )
    def cancel(self):
        pass


class Criterion(models.Model):
    """One scoring criterion; its maximum points are its weight, and the weights sum to 100."""

    class Kind(models.TextChoices):
        SUBJECTIVE = "subjective", _("Scored by each evaluator")
        PRICE = "price", _("Price (lowest valid price ÷ price × weight)")

    recruitment = models.ForeignKey(Recruitment, on_delete=models.CASCADE, related_name="criteria")
    name = models.CharField(_("criterion"), max_length=100)
    description = models.TextField(_("what earns the points"), blank=True)
    max_points = models.DecimalField(
        _("weight (maximum points)"), max_digits=5, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))]
    )
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices, default=Kind.SUBJECTIVE)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("criterion")
        verbose_name_plural = _("criteria")
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(max_points__gt=0), name="criterion_points_positive"),
            models.UniqueConstraint(
                fields=["recruitment"], condition=models.Q(kind="price"), name="criterion_one_price_per_recruitment"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.max_points.normalize():f})"


class RequiredDocument(models.Model):
    recruitment = models.ForeignKey(Recruitment, on_delete=models.CASCADE, related_name="required_documents")
    name = models.CharField(_("document"), max_length=100)
    description = models.CharField(_("notes"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("required document")
        verbose_name_plural = _("required documents")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class Application(models.Model):
    """A provider's sealed application. Resubmitting replaces it; the last version counts."""

    class State(models.TextChoices):
        SUBMITTED = "submitted", _("Submitted")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    recruitment = models.ForeignKey(Recruitment, on_delete=models.PROTECT, related_name="applications")
    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="applications")
    state = FSMField(_("state"), max_length=10, choices=State.choices, default=State.SUBMITTED)
    proposal = models.TextField(_("service proposal"))
    price = models.DecimalField(
        _("price (CNY)"), max_digits=12, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))]
    )
    version = models.PositiveSmallIntegerField(_("version"), default=1)
    submitted_at = models.DateTimeField(_("submitted at"))
    first_submitted_at = models.DateTimeField(_("first submitted at"))
    # Decided when the recruitment closes.
    is_valid = models.BooleanField(_("valid"), null=True)
    invalid_reason = models.CharField(_("why invalid"), max_length=300, blank=True)
    # Filled in by compilation.
    total = models.DecimalField(_("total points"), max_digits=6, decimal_places=2, null=True, blank=True)
    rank = models.PositiveSmallIntegerField(_("rank"), null=True, blank=True)

    class Meta:
        verbose_name = _("application")
        verbose_name_plural = _("applications")
        ordering = ["rank", "submitted_at"]
        constraints = [
            models.UniqueConstraint(fields=["recruitment", "provider"], name="application_one_per_provider"),
            models.CheckConstraint(condition=models.Q(price__gt=0), name="application_price_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.provider} · {self.recruitment.number}"

    @state.transition(source=State.SUBMITTED, target=State.WITHDRAWN)
    def withdraw(self):
        pass

    @state.transition(source=[State.SUBMITTED, State.WITHDRAWN], target=State.SUBMITTED)
    def resubmit(self):
        pass


class ApplicationDocument(models.Model):
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="documents")
    required = models.ForeignKey(
        RequiredDocument,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("required document"),
    )
    file = models.OneToOneField(StoredFile, on_delete=models.PROTECT, related_name="+")
    version = models.PositiveSmallIntegerField(default=1)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.file.original_name


class PanelSeat(models.Model):
    """A seat on a scoring panel: declare conflicts, then score, then justify any outlier.

    Shared by the recruitment panel (``PanelMember``) and the final evaluation's panel
    review (``evaluations.FinalPanelSeat``): the same states, transitions and timestamps,
    so both panels behave alike and the flow nodes of ``procurement.flows`` serve both.
    """

    class State(models.TextChoices):
        ASSIGNED = "assigned", _("Assigned")
        DECLARED = "declared", _("Declared no conflict")
        RECUSED = "recused", _("Recused (conflict of interest)")
        SUBMITTED = "submitted", _("Scores submitted")
        JUSTIFYING = "justifying", _("Asked to justify outliers")

    evaluator = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    state = FSMField(_("state"), max_length=12, choices=State.choices, default=State.ASSIGNED)
    replaces = models.OneToOneField("self", null=True, blank=True, on_delete=models.PROTECT, related_name="replaced_by")
    assigned_at = models.DateTimeField(_("assigned at"), auto_now_add=True)
    declared_at = models.DateTimeField(_("declared at"), null=True, blank=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)

    class Meta:
        abstract = True
        ordering = ["id"]

    @state.transition(source=State.ASSIGNED, target=State.DECLARED)
    def declare_clear(self):
        pass

    @state.transition(source=State.ASSIGNED, target=State.RECUSED)
    def recuse(self):
        pass

    @state.transition(source=[State.DECLARED, State.JUSTIFYING], target=State.SUBMITTED)
    def submit(self):
        pass

    @state.transition(source=State.SUBMITTED, target=State.JUSTIFYING)
    def ask_justification(self):
        pass

    @state.transition(source=State.SUBMITTED, target=State.DECLARED)
    def reopen(self):
        pass


class PanelMember(PanelSeat):
    """An evaluator on a recruitment's panel. A recused member is replaced, not deleted."""

    recruitment = models.ForeignKey(Recruitment, on_delete=models.CASCADE, related_name="panel")
    evaluator = models.ForeignKey(User, on_delete=models.PROTECT, related_name="panel_seats")

    class Meta(PanelSeat.Meta):
        verbose_name = _("panel member")
        verbose_name_plural = _("panel members")
        constraints = [
            models.UniqueConstraint(fields=["recruitment", "evaluator"], name="panel_member_once"),
        ]

    def __str__(self) -> str:
        return f"{self.evaluator} · {self.recruitment.number}"


class Declaration(models.Model):
    """回避声明: one per evaluator per applicant, made before any application is shown."""

    class Conflict(models.TextChoices):
        NONE = "none", _("No conflict of interest")
        EMPLOYMENT = "employment", _("Employment or office at the provider within 3 years")
        FAMILY = "family", _("A family tie with the provider's people")
        OTHER = "other", _("Another interest")

    member = models.ForeignKey(PanelMember, on_delete=models.CASCADE, related_name="declarations")
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="declarations")
    conflict = models.CharField(_("conflict"), max_length=12, choices=Conflict.choices)
    note = models.CharField(_("details"), max_length=500, blank=True)
    declared_at = models.DateTimeField(_("declared at"), auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["member", "application"], name="declaration_once"),
        ]

    def __str__(self) -> str:
        return f"{self.member} · {self.application.provider}: {self.get_conflict_display()}"


class CurrentScores(models.Manager):
    """The scores that count: those of the current evaluation round."""

    def get_queryset(self):
        return super().get_queryset().filter(superseded_in_round__isnull=True)


class Score(models.Model):
    """One evaluator's points for one applicant on one subjective criterion.

    When an upheld objection reopens the evaluation, the round's scores are kept but
    marked superseded; ``Score.objects`` (and ``member.scores``) see the current round
    only, ``Score.all_rounds`` every round, for the record.
    """

    member = models.ForeignKey(PanelMember, on_delete=models.PROTECT, related_name="scores")
    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="scores")
    criterion = models.ForeignKey(Criterion, on_delete=models.PROTECT, related_name="scores")
    points = models.DecimalField(_("points"), max_digits=5, decimal_places=2)
    comment = models.CharField(_("comment"), max_length=1000, blank=True)
    is_outlier = models.BooleanField(_("outlier"), default=False)
    justification = models.TextField(_("justification"), blank=True)
    superseded_in_round = models.PositiveSmallIntegerField(_("superseded after round"), null=True, blank=True)

    objects = CurrentScores()
    all_rounds = models.Manager()  # noqa: DJ012  (ruff takes the custom manager above for a field)

    class Meta:
        verbose_name = _("score")
        verbose_name_plural = _("scores")
        base_manager_name = "all_rounds"
        constraints = [
            models.UniqueConstraint(
                fields=["member", "application", "criterion"],
                name="score_once",
                condition=models.Q(superseded_in_round__isnull=True),
            ),
            models.CheckConstraint(condition=models.Q(points__gte=0), name="score_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.member.evaluator} → {self.application.provider} · {self.criterion.name}: {self.points}"


class CompiledScore(models.Model):
    """The panel's result for one applicant on one criterion, locked once compiled."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="compiled")
    criterion = models.ForeignKey(Criterion, on_delete=models.CASCADE, related_name="+")
    points = models.DecimalField(_("points"), max_digits=6, decimal_places=2)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["application", "criterion"], name="compiled_once"),
        ]

    def __str__(self) -> str:
        return f"{self.application} · {self.criterion.name}: {self.points}"


class ScoreCorrection(models.Model):
    """A correction to a locked score: reason code, justification, and a second staff member's approval."""

    class Reason(models.TextChoices):
        ARITHMETIC = "arithmetic", _("Arithmetic error")
        OUT_OF_RANGE = "out_of_range", _("Out of range")
        INCONSISTENT = "inconsistent", _("Inconsistent on an objective criterion")
        ABNORMAL = "abnormal", _("Abnormally high or low")

    class State(models.TextChoices):
        REQUESTED = "requested", _("Awaiting approval")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", pgettext_lazy("correction", "Rejected")

    score = models.ForeignKey(Score, on_delete=models.PROTECT, related_name="corrections")
    original_points = models.DecimalField(_("original points"), max_digits=5, decimal_places=2)
    corrected_points = models.DecimalField(_("corrected points"), max_digits=5, decimal_places=2)
    reason = models.CharField(_("reason"), max_length=14, choices=Reason.choices)
    justification = models.TextField(_("justification"))
    state = FSMField(_("state"), max_length=10, choices=State.choices, default=State.REQUESTED)
    requested_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    decided_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    class Meta:
        verbose_name = _("score correction")
        verbose_name_plural = _("score corrections")
        ordering = ["requested_at"]

    def __str__(self) -> str:
        return f"{self.score}: {self.original_points} → {self.corrected_points}"

    @state.transition(source=State.REQUESTED, target=State.APPROVED)
    def approve(self):
        pass

    @state.transition(source=State.REQUESTED, target=State.REJECTED)
    def reject(self):
        pass


class Objection(models.Model):
    """质疑: an applicant challenges the publicised result; every objection gets an answer."""

    class State(models.TextChoices):
        OPEN = "open", _("Awaiting answer")
        UPHELD = "upheld", _("Upheld")
        REJECTED = "rejected", pgettext_lazy("objection", "Rejected")

    class Outcome(models.TextChoices):
        REOPEN = "reopen", _("Reopen evaluation")
        CANCEL = "cancel", _("Cancel the recruitment")

    recruitment = models.ForeignKey(Recruitment, on_delete=models.PROTECT, related_name="objections")
    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="objections")
    grounds = models.TextField(_("grounds"))
    attachments = models.ManyToManyField(StoredFile, blank=True, related_name="+")
    state = FSMField(_("state"), max_length=10, choices=State.choices, default=State.OPEN)
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices, blank=True)
    answer = models.TextField(_("answer"), blank=True)
    lodged_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    lodged_at = models.DateTimeField(_("lodged at"), auto_now_add=True)
    answered_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("objection")
        verbose_name_plural = _("objections")
        ordering = ["lodged_at"]

    def __str__(self) -> str:
        return f"{self.application.provider} · {self.recruitment.number}"

    @state.transition(source=State.OPEN, target=State.UPHELD)
    def uphold(self):
        pass

    @state.transition(source=State.OPEN, target=State.REJECTED)
    def reject(self):
        pass


class Exclusion(models.Model):
    """A provider barred from a palace's recruitments until a date (after an exit rated 差)."""

    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="exclusions")
    palace = models.ForeignKey(Palace, on_delete=models.PROTECT, related_name="exclusions")
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("until"))
    reason = models.TextField(_("reason"))
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("exclusion")
        verbose_name_plural = _("exclusions")
        ordering = ["-starts_on"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__gt=models.F("starts_on")), name="exclusion_period_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.provider} @ {self.palace} → {self.ends_on}"


class RecruitmentReminder(models.Model):
    """A reminder the scheduler sent about a recruitment, kept so that each is sent once."""

    class Kind(models.TextChoices):
        DEADLINE = "deadline", _("Application deadline approaching")
        OPEN_OBJECTIONS = "open_objections", _("Publicity ended with objections unanswered")

    recruitment = models.ForeignKey(Recruitment, on_delete=models.CASCADE, related_name="reminders")
    recipient = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    sent_at = models.DateTimeField(_("sent at"), auto_now_add=True)

    class Meta:
        verbose_name = _("recruitment reminder")
        verbose_name_plural = _("recruitment reminders")
        constraints = [
            models.UniqueConstraint(fields=["recruitment", "recipient", "kind"], name="recruitment_reminder_once"),
        ]

    def __str__(self) -> str:
        return f"{self.recruitment.number} → {self.recipient}: {self.kind}"
