"""Palaces, who belongs to them, and the records every app shares."""

import uuid

from django.contrib.auth.models import AbstractUser
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _


class User(AbstractUser):
    """A person who logs in: palace staff, an evaluator, an auditor or a provider's user."""

    full_name = models.CharField(_("full name"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.full_name or self.username

    def get_full_name(self) -> str:
        return self.full_name or super().get_full_name() or self.username


class Palace(models.Model):
    """A workers' cultural palace: the purchasing unit that recruits and contracts providers."""

    class Level(models.TextChoices):
        COUNTY = "county", _("County")
        CITY = "city", _("City")
        PROVINCE = "province", _("Province")

    code = models.SlugField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=100, unique=True)
    level = models.CharField(_("level"), max_length=10, choices=Level.choices)
    federation = models.CharField(
        _("trade-union federation"),
        max_length=100,
        blank=True,
        help_text=_("The federation that runs the palace, printed on the letterhead."),
    )
    address = models.CharField(_("address"), max_length=200, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)

    class Meta:
        verbose_name = _("palace")
        verbose_name_plural = _("palaces")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    ADMIN = "admin", _("Administrator")
    EVALUATOR = "evaluator", _("Evaluator")
    AUDITOR = "auditor", _("Auditor")


class Membership(models.Model):
    """A staff role held at one palace. A person may hold several (an auditor of two palaces)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    palace = models.ForeignKey(Palace, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=10, choices=Role.choices)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(fields=["user", "palace", "role"], name="membership_unique_role"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.palace} · {self.get_role_display()}"


class AuditHead(models.Model):
    """The single row that holds the chain's tip; locking it serialises appends.

    It also lets ``verify_audit`` notice events removed from the end of the chain.
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    seq = models.PositiveBigIntegerField(default=0)
    hash = models.CharField(max_length=64, default="0" * 64)

    class Meta:
        constraints = [models.CheckConstraint(condition=models.Q(id=1), name="audithead_singleton")]

    def __str__(self) -> str:
        return f"#{self.seq} {self.hash[:12]}"


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise RuntimeError("Audit events are append-only.")

    def delete(self):
        raise RuntimeError("Audit events are append-only.")


class AuditEvent(models.Model):
    """One append-only, hash-chained entry: who did what to which object, before and after."""

    seq = models.PositiveBigIntegerField(_("sequence"), unique=True)
    created_at = models.DateTimeField(_("time"), db_index=True)
    actor = models.ForeignKey(  # indexed below only where there is one: the system's events are not
        User,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    actor_label = models.CharField(_("actor"), max_length=150)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    palace = models.ForeignKey(
        Palace,
        verbose_name=_("palace"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # Found by (object_type, object_id) together: the composite index below serves both.
    object_type = models.CharField(_("object type"), max_length=100)
    object_id = models.CharField(_("object id"), max_length=64)
    object_repr = models.CharField(_("object"), max_length=200)
    action = models.CharField(_("action"), max_length=60)
    before = models.JSONField(_("before"), null=True, blank=True)
    after = models.JSONField(_("after"), null=True, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)  # the chain proves it (verify_chain); no index is needed

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["seq"]
        # Every audited write updates each of these, so only what a page or the chain looks up by.
        # The action is matched exactly (never LIKE): a plain index, without the varchar_pattern_ops
        # twin that db_index would add.
        indexes = [
            models.Index(fields=["object_type", "object_id", "seq"]),
            models.Index(fields=["action"], name="core_auditevent_action"),
            models.Index(fields=["actor"], name="core_auditevent_actor", condition=models.Q(actor__isnull=False)),
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.object_repr}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise RuntimeError("Audit events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise RuntimeError("Audit events are append-only.")


class CalendarDay(models.Model):
    """An official working-day arrangement that overrides the bundled Chinese calendar.

    The State Council publishes next year's holidays each autumn; until the
    chinese-calendar package carries them, an administrator enters them here.
    """

    date = models.DateField(_("date"), unique=True)
    is_workday = models.BooleanField(_("working day"))
    note = models.CharField(_("note"), max_length=60, blank=True)

    class Meta:
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {self.note}"


def stored_file_path(instance: "StoredFile", filename: str) -> str:
    # The user's file name never reaches the file system.
    return f"uploads/{instance.uploaded_at:%Y/%m}/{instance.id.hex}"


class StoredFile(models.Model):
    """An uploaded file whose type was checked by content and whose name the server chose."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    purpose = models.CharField(_("purpose"), max_length=40)
    original_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("type"), max_length=80)
    size = models.PositiveIntegerField(_("size"))
    sha256 = models.CharField(max_length=64)
    file = models.FileField(upload_to=stored_file_path, max_length=200)
    uploaded_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    uploaded_at = models.DateTimeField(_("uploaded at"))

    class Meta:
        verbose_name = _("stored file")
        verbose_name_plural = _("stored files")

    def __str__(self) -> str:
        return self.original_name


def issued_document_path(instance: "IssuedDocument", filename: str) -> str:
    return f"documents/{instance.sha256[:2]}/{instance.sha256}.pdf"


class IssuedDocument(models.Model):
    """A PDF issued once and kept byte for byte; its SHA-256 is its public identity."""

    class Kind(models.TextChoices):
        PROVIDER_CERTIFICATE = "provider_certificate", _("Provider registration certificate")
        TENDER_REPORT = "tender_report", _("Tender evaluation report")
        RECTIFICATION_NOTICE = "rectification_notice", _("Rectification notice")
        MONTHLY_SUMMARY = "monthly_summary", _("Monthly real-time summary")
        ASSESSMENT_REPORT = "assessment_report", _("Final assessment report")
        EXIT_NOTICE = "exit_notice", _("Exit notice")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=200)
    version = models.PositiveSmallIntegerField(_("version"), default=1)
    palace = models.ForeignKey(
        Palace,
        verbose_name=_("palace"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="documents",
    )
    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT)
    object_id = models.CharField(max_length=64)
    subject = GenericForeignKey("content_type", "object_id")
    sha256 = models.CharField(_("SHA-256"), max_length=64, unique=True)
    size = models.PositiveIntegerField(_("size"))
    file = models.FileField(upload_to=issued_document_path, max_length=200)
    issued_by = models.ForeignKey(
        User,
        verbose_name=_("issued by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    issued_at = models.DateTimeField(_("issued at"), db_index=True)
    # The audit chain's tip just before this document's own ``document.issued`` event, printed on the
    # PDF: a copy held outside the database that a cut or rewritten chain can be checked against.
    # Null for documents issued before anchors were printed.
    chain_seq = models.PositiveBigIntegerField(_("audit chain position at issue"), null=True, blank=True)
    chain_hash = models.CharField(_("audit chain head at issue"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("issued document")
        verbose_name_plural = _("issued documents")
        ordering = ["-issued_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["content_type", "object_id", "kind", "version"],
                name="document_unique_version",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def filename(self) -> str:
        return f"{self.title}-v{self.version}.pdf"


class Notification(models.Model):
    """A message in a user's in-app inbox; the same text is also e-mailed."""

    recipient = models.ForeignKey(User, on_delete=models.CASCADE, related_name="notifications")
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("message"), blank=True)
    url = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.subject
