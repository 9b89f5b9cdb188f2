"""Providers, service projects and (later) recruitments."""

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from viewflow.fsm import FSMField

from core.models import Palace, StoredFile, User

from ..credit_code import validate_credit_code


class ServiceCategory(models.TextChoices):
    TRAINING = "training", _("Training")
    CULTURE = "culture", _("Culture")
    SPORTS = "sports", _("Sports")
    HEALTH = "health", _("Health")
    LEGAL_AID = "legal_aid", _("Legal aid")
    OTHER = "other", _("Other")


class Provider(models.Model):
    """An outside organisation (social organisation, training school) that runs services."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Awaiting verification")
        VERIFIED = "verified", _("Verified")
        REJECTED = "rejected", pgettext_lazy("registration", "Rejected")

    name = models.CharField(_("organisation name"), max_length=100)
    credit_code = models.CharField(
        _("unified social credit code"),
        max_length=18,
        unique=True,
        validators=[validate_credit_code],
    )
    legal_representative = models.CharField(_("legal representative"), max_length=50)
    contact_name = models.CharField(_("contact person"), max_length=50)
    contact_phone = models.CharField(_("contact phone"), max_length=30)
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    palace = models.ForeignKey(
        Palace,
        verbose_name=_("registered with"),
        on_delete=models.PROTECT,
        related_name="registered_providers",
        help_text=_("The palace whose administrators verify this registration."),
    )
    # Not ``protected``: viewflow's protection also blocks refresh_from_db(). Services change
    # the status only through the transitions below.
    status = FSMField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    status_reason = models.TextField(_("reason"), blank=True)
    reviewed_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    created_at = models.DateTimeField(_("registered at"), auto_now_add=True)

    class Meta:
        verbose_name = _("provider")
        verbose_name_plural = _("providers")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @status.transition(source=Status.PENDING, target=Status.VERIFIED)
    def verify(self):
        pass

    @status.transition(source=Status.PENDING, target=Status.REJECTED)
    def reject(self):
        pass

    @status.transition(source=Status.REJECTED, target=Status.PENDING)
    def resubmit(self):
        pass


class ProviderUser(models.Model):
    """A login that acts for one provider organisation."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="provider_link")
    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="users")

    class Meta:
        verbose_name = _("provider user")
        verbose_name_plural = _("provider users")

    def __str__(self) -> str:
        return f"{self.user} → {self.provider}"


class ProviderCategory(models.Model):
    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="categories")
    category = models.CharField(_("category"), max_length=20, choices=ServiceCategory.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["provider", "category"], name="provider_category_unique"),
        ]

    def __str__(self) -> str:
        return self.get_category_display()


class ProviderDocument(models.Model):
    """A qualification document: business licence, registration certificate, permits."""

    class Kind(models.TextChoices):
        LICENCE = "licence", _("Business licence or registration certificate")
        QUALIFICATION = "qualification", _("Qualification certificate")
        OTHER = "other", _("Other supporting document")

    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    file = models.OneToOneField(StoredFile, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("qualification document")
        verbose_name_plural = _("qualification documents")

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.file.original_name}"


class ServiceProject(models.Model):
    """A public-benefit service the palace buys from outside: what, for how much, how long."""

    palace = models.ForeignKey(
        Palace, verbose_name=_("palace"), on_delete=models.PROTECT, related_name="service_projects"
    )
    name = models.CharField(_("name"), max_length=100)
    category = models.CharField(_("category"), max_length=20, choices=ServiceCategory.choices)
    description = models.TextField(_("description"), blank=True)
    budget = models.DecimalField(
        _("budget (CNY)"),
        max_digits=12,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    term_months = models.PositiveSmallIntegerField(
        _("term (months)"), default=12, validators=[MinValueValidator(1), MaxValueValidator(36)]
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("service project")
        verbose_name_plural = _("service projects")
        ordering = ["palace", "name"]
        constraints = [
            models.UniqueConstraint(fields=["palace", "name"], name="service_project_unique_name"),
            models.CheckConstraint(condition=models.Q(budget__gt=0), name="service_project_budget_positive"),
            models.CheckConstraint(
                condition=models.Q(term_months__gte=1, term_months__lte=36),
                name="service_project_term_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class KpiMetric(models.TextChoices):
    SESSIONS = "sessions", _("Sessions delivered")
    PARTICIPANT_VISITS = "participant_visits", _("Participant-visits")
    SATISFACTION = "satisfaction", _("Worker satisfaction")
    OTHER = "other", _("Other")


class KpiTarget(models.Model):
    """One measurable target of a service project: metric, target value, unit."""

    project = models.ForeignKey(ServiceProject, on_delete=models.CASCADE, related_name="kpi_targets")
    metric = models.CharField(_("metric"), max_length=20, choices=KpiMetric.choices)
    label = models.CharField(_("label"), max_length=60, blank=True)
    target = models.DecimalField(
        _("target"),
        max_digits=10,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    unit = models.CharField(_("unit"), max_length=20)

    class Meta:
        verbose_name = _("KPI target")
        verbose_name_plural = _("KPI targets")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["project", "metric", "label"], name="kpi_target_unique"),
            models.CheckConstraint(condition=models.Q(target__gt=0), name="kpi_target_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.label or self.get_metric_display()} ≥ {self.target.normalize():f} {self.unit}"
