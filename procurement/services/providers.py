"""Every write for providers and service projects.

Each function checks permission, validates, changes state through the model's
FSM transitions and writes one audit event, all in one transaction.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core import audit
from core.errors import DomainError, NotPermitted
from core.models import Palace, Role, User
from core.notify import notify
from core.transitions import done_by, transition
from core.uploads import DOCUMENT_TYPES, store_uploads

from ..credit_code import normalise, validate_credit_code
from ..documents import issue_provider_certificate
from ..models import (
    KpiMetric,
    KpiTarget,
    Provider,
    ProviderCategory,
    ProviderDocument,
    ProviderUser,
    ServiceCategory,
    ServiceProject,
)
from ..permissions import (
    can_edit_provider,
    can_edit_service_project,
    can_manage_service_projects,
    can_review_registrations,
)

ERR_CODE_TAKEN = _("An organisation with this unified social credit code is already registered.")
ERR_USERNAME_TAKEN = _("This user name is taken; please choose another.")
ERR_LICENCE_REQUIRED = _("Attach the business licence or registration certificate.")
ERR_NO_CATEGORY = _("Choose at least one service category.")
ERR_REASON_REQUIRED = _("Give the reason for the rejection; the provider will read it.")
ERR_NOT_PENDING = _("This registration was already reviewed by %(who)s on %(when)s: %(state)s.")
ERR_NOT_REJECTED = _("Only a rejected registration can be resubmitted.")
ERR_NO_KPI = _("Add at least one KPI target.")
ERR_DUPLICATE_KPI = _("Each KPI target may appear only once.")
ERR_PROJECT_NAME_TAKEN = _("This palace already has a service project with that name.")
ERR_TERM_RANGE = _("The term must be between 1 and 36 months.")
ERR_BUDGET = _("The budget must be more than zero.")


@dataclass(frozen=True)
class DocumentUpload:
    kind: str
    upload: UploadedFile


def _clean_categories(categories: Sequence[str]) -> list[str]:
    cleaned = sorted({c for c in categories if c in ServiceCategory.values})
    if not cleaned:
        raise DomainError(ERR_NO_CATEGORY, field="categories")
    return cleaned


def _attach_documents(
    *, actor: User, provider: Provider, documents: Sequence[DocumentUpload]
) -> list[ProviderDocument]:
    if any(doc.kind not in ProviderDocument.Kind.values for doc in documents):
        raise DomainError(_("Unknown document kind."), field="documents")
    stored = store_uploads(
        uploads=[d.upload for d in documents], purpose="provider_document", allowed=DOCUMENT_TYPES, actor=actor
    )
    return [
        ProviderDocument.objects.create(provider=provider, kind=doc.kind, file=file)
        for doc, file in zip(documents, stored, strict=True)
    ]


@transaction.atomic
def provider_register(
    *,
    username: str,
    password: str,
    email: str,
    full_name: str,
    palace: Palace,
    name: str,
    credit_code: str,
    legal_representative: str,
    contact_name: str,
    contact_phone: str,
    contact_email: str = "",
    address: str = "",
    categories: Sequence[str],
    documents: Sequence[DocumentUpload],
) -> Provider:
    """A provider signs itself up: one user, one organisation awaiting verification.

    Precondition: nobody is logged in (the form is public). Effect: the palace's
    administrators are notified to verify the registration.
    """
    code = normalise(credit_code)
    try:
        validate_credit_code(code)
    except ValidationError as exc:
        raise DomainError(exc.messages[0], field="credit_code") from exc
    if Provider.objects.filter(credit_code=code).exists():
        raise DomainError(ERR_CODE_TAKEN, field="credit_code")
    if User.objects.filter(username__iexact=username).exists():
        raise DomainError(ERR_USERNAME_TAKEN, field="username")
    cats = _clean_categories(categories)
    if not any(d.kind == ProviderDocument.Kind.LICENCE for d in documents):
        raise DomainError(ERR_LICENCE_REQUIRED, field="licence")
    user = User(username=username, email=email, full_name=full_name)
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise DomainError(" ".join(exc.messages), field="password1") from exc
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
            provider = Provider.objects.create(
                name=name.strip(),
                credit_code=code,
                legal_representative=legal_representative.strip(),
                contact_name=contact_name.strip(),
                contact_phone=contact_phone.strip(),
                contact_email=contact_email.strip(),
                address=address.strip(),
                palace=palace,
            )
    except IntegrityError as exc:  # a double post racing past the checks above
        raise DomainError(ERR_CODE_TAKEN, field="credit_code") from exc
    ProviderUser.objects.create(user=user, provider=provider)
    ProviderCategory.objects.bulk_create([ProviderCategory(provider=provider, category=c) for c in cats])
    _attach_documents(actor=user, provider=provider, documents=documents)
    audit.record(
        actor=user,
        action="provider.registered",
        obj=provider,
        palace=palace,
        after=audit.snapshot(provider) | {"categories": cats},
    )
    admins = User.objects.filter(memberships__palace=palace, memberships__role=Role.ADMIN)
    notify(
        admins,
        subject=_("New provider registration: %(name)s") % {"name": provider.name},
        body=_("Please verify the registration and its documents."),
        url=reverse("procurement:provider_detail", args=[provider.pk]),
    )
    return provider


PROFILE_FIELDS = ["legal_representative", "contact_name", "contact_phone", "contact_email", "address"]


@transaction.atomic
def provider_update_profile(*, actor: User, provider: Provider, categories: Sequence[str], **fields: str) -> Provider:
    """The provider corrects its contact details and categories (name and code are fixed once verified)."""
    provider = Provider.objects.select_for_update().get(pk=provider.pk)
    if not can_edit_provider(actor, provider):
        raise NotPermitted
    before = audit.snapshot(provider, PROFILE_FIELDS)
    for key in PROFILE_FIELDS:
        if key in fields:
            setattr(provider, key, (fields[key] or "").strip())
    if provider.status != Provider.Status.VERIFIED and "name" in fields:
        provider.name = fields["name"].strip()
    cats = _clean_categories(categories)
    provider.save()
    provider.categories.exclude(category__in=cats).delete()
    ProviderCategory.objects.bulk_create(
        [ProviderCategory(provider=provider, category=c) for c in cats], ignore_conflicts=True
    )
    audit.record(
        actor=actor,
        action="provider.profile_updated",
        obj=provider,
        palace=provider.palace_id,
        before=before,
        after=audit.snapshot(provider, PROFILE_FIELDS) | {"categories": cats},
    )
    return provider


@transaction.atomic
def provider_add_documents(
    *, actor: User, provider: Provider, documents: Sequence[DocumentUpload]
) -> list[ProviderDocument]:
    if not can_edit_provider(actor, provider):
        raise NotPermitted
    if not documents:
        raise DomainError(_("Choose at least one file."), field="file")
    created = _attach_documents(actor=actor, provider=provider, documents=documents)
    audit.record(
        actor=actor,
        action="provider.documents_added",
        obj=provider,
        palace=provider.palace_id,
        after={"documents": [{"kind": d.kind, "file": str(d.file_id), "name": d.file.original_name} for d in created]},
    )
    return created


def _review(*, actor: User, provider_id: int, approve: bool, reason: str) -> Provider:
    provider = Provider.objects.select_for_update().get(pk=provider_id)
    if not can_review_registrations(actor, provider.palace_id):
        raise NotPermitted
    if provider.status != Provider.Status.PENDING:  # a double click, or another administrator first
        raise DomainError(
            ERR_NOT_PENDING
            % {"state": provider.get_status_display(), **done_by(provider, provider.reviewed_by, provider.reviewed_at)}
        )
    reason = (reason or "").strip()
    if not approve and not reason:
        raise DomainError(ERR_REASON_REQUIRED, field="reason")
    before = audit.snapshot(provider, ["status", "status_reason"])
    with transition(provider, field="status"):
        if approve:
            provider.verify()
        else:
            provider.reject()
    provider.status_reason = reason
    provider.reviewed_by = actor
    provider.reviewed_at = timezone.now()
    provider.save()
    audit.record(
        actor=actor,
        action="provider.verified" if approve else "provider.rejected",
        obj=provider,
        palace=provider.palace_id,
        before=before,
        after=audit.snapshot(provider, ["status", "status_reason"]),
    )
    users = [pu.user for pu in provider.users.select_related("user")]
    if approve:
        notify(
            users,
            subject=_("Your registration is verified"),
            body=_("%(name)s may now apply to recruitments.") % {"name": provider.name},
            url=reverse("portal:organisation"),
        )
        # After commit and robust: a PDF that fails to render must not undo the verification.
        transaction.on_commit(lambda: issue_provider_certificate(actor=actor, provider=provider), robust=True)
    else:
        notify(
            users,
            subject=_("Your registration was not accepted"),
            body=_("Reason: %(reason)s") % {"reason": reason},
            url=reverse("portal:organisation"),
        )
    return provider


@transaction.atomic
def provider_verify(*, actor: User, provider: Provider, reason: str = "") -> Provider:
    """Verify a pending registration. Only an administrator of its palace may."""
    return _review(actor=actor, provider_id=provider.pk, approve=True, reason=reason)


@transaction.atomic
def provider_reject(*, actor: User, provider: Provider, reason: str) -> Provider:
    """Reject a pending registration with a reason the provider reads."""
    return _review(actor=actor, provider_id=provider.pk, approve=False, reason=reason)


@transaction.atomic
def provider_resubmit(*, actor: User, provider: Provider) -> Provider:
    """After a rejection, the provider fixes its profile or documents and asks again."""
    provider = Provider.objects.select_for_update().get(pk=provider.pk)
    if not can_edit_provider(actor, provider):
        raise NotPermitted
    if provider.status != Provider.Status.REJECTED:
        raise DomainError(ERR_NOT_REJECTED)
    before = audit.snapshot(provider, ["status", "status_reason"])
    provider.resubmit()
    provider.save()
    audit.record(
        actor=actor,
        action="provider.resubmitted",
        obj=provider,
        palace=provider.palace_id,
        before=before,
        after=audit.snapshot(provider, ["status"]),
    )
    admins = User.objects.filter(memberships__palace=provider.palace, memberships__role=Role.ADMIN)
    notify(
        admins,
        subject=_("Provider registration resubmitted: %(name)s") % {"name": provider.name},
        url=reverse("procurement:provider_detail", args=[provider.pk]),
    )
    return provider


@dataclass(frozen=True)
class KpiTargetInput:
    metric: str
    target: Decimal
    unit: str
    label: str = ""


def _validate_project(*, budget: Decimal, term_months: int, kpi_targets: Sequence[KpiTargetInput]) -> None:
    if budget is None or budget <= 0:
        raise DomainError(ERR_BUDGET, field="budget")
    if not 1 <= int(term_months) <= 36:
        raise DomainError(ERR_TERM_RANGE, field="term_months")
    if not kpi_targets:
        raise DomainError(ERR_NO_KPI, field="kpi_targets")
    keys = [(k.metric, k.label.strip()) for k in kpi_targets]
    if len(set(keys)) != len(keys):
        raise DomainError(ERR_DUPLICATE_KPI, field="kpi_targets")
    for k in kpi_targets:
        if k.metric not in KpiMetric.values:
            raise DomainError(_("Unknown KPI metric."), field="kpi_targets")
        if k.target is None or k.target <= 0:
            raise DomainError(_("A KPI target must be more than zero."), field="kpi_targets")


def _kpi_rows(project: ServiceProject) -> list[dict]:
    return [
        {"metric": k.metric, "label": k.label, "target": k.target, "unit": k.unit}
        for k in project.kpi_targets.order_by("id")
    ]


def _replace_kpis(project: ServiceProject, kpi_targets: Sequence[KpiTargetInput]) -> None:
    project.kpi_targets.all().delete()
    KpiTarget.objects.bulk_create(
        [
            KpiTarget(project=project, metric=k.metric, label=k.label.strip(), target=k.target, unit=k.unit.strip())
            for k in kpi_targets
        ]
    )


PROJECT_FIELDS = ["name", "category", "description", "budget", "term_months", "is_active"]


@transaction.atomic
def service_project_create(
    *,
    actor: User,
    palace: Palace,
    name: str,
    category: str,
    description: str,
    budget: Decimal,
    term_months: int,
    kpi_targets: Sequence[KpiTargetInput],
) -> ServiceProject:
    """Define a service the palace will buy. Needs an administrator of ``palace``."""
    if not can_manage_service_projects(actor, palace):
        raise NotPermitted
    _validate_project(budget=budget, term_months=term_months, kpi_targets=kpi_targets)
    if ServiceProject.objects.filter(palace=palace, name=name.strip()).exists():
        raise DomainError(ERR_PROJECT_NAME_TAKEN, field="name")
    project = ServiceProject.objects.create(
        palace=palace,
        name=name.strip(),
        category=category,
        description=description.strip(),
        budget=budget,
        term_months=term_months,
        created_by=actor,
    )
    _replace_kpis(project, kpi_targets)
    audit.record(
        actor=actor,
        action="service_project.created",
        obj=project,
        palace=palace,
        after=audit.snapshot(project, PROJECT_FIELDS) | {"kpi_targets": _kpi_rows(project)},
    )
    return project


@transaction.atomic
def service_project_update(
    *,
    actor: User,
    project: ServiceProject,
    name: str,
    category: str,
    description: str,
    budget: Decimal,
    term_months: int,
    is_active: bool,
    kpi_targets: Sequence[KpiTargetInput],
) -> ServiceProject:
    project = ServiceProject.objects.select_for_update().get(pk=project.pk)
    if not can_edit_service_project(actor, project):
        raise NotPermitted
    _validate_project(budget=budget, term_months=term_months, kpi_targets=kpi_targets)
    if ServiceProject.objects.filter(palace=project.palace, name=name.strip()).exclude(pk=project.pk).exists():
        raise DomainError(ERR_PROJECT_NAME_TAKEN, field="name")
    before = audit.snapshot(project, PROJECT_FIELDS) | {"kpi_targets": _kpi_rows(project)}
    project.name, project.category = name.strip(), category
    project.description, project.budget = description.strip(), budget
    project.term_months, project.is_active = term_months, is_active
    project.save()
    _replace_kpis(project, kpi_targets)
    audit.record(
        actor=actor,
        action="service_project.updated",
        obj=project,
        palace=project.palace_id,
        before=before,
        after=audit.snapshot(project, PROJECT_FIELDS) | {"kpi_targets": _kpi_rows(project)},
    )
    return project
