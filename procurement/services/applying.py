"""Applying to a recruitment: a provider's sealed application, resubmitted or withdrawn until
the deadline (DOMAIN.md §1). Who may apply at all (verified, not excluded) is decided here
and again when the recruitment closes.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core import audit
from core.errors import DomainError, NotPermitted
from core.models import User
from core.notify import notify
from core.transitions import done_by, transition
from core.uploads import DOCUMENT_TYPES, store_uploads

from ..models import Application, ApplicationDocument, Exclusion, Provider, Recruitment
from ..permissions import provider_of
from .recruitment import lock_recruitment, now_or_clock

ERR_DEADLINE_PASSED = _("The application deadline (%(deadline)s) has passed; nothing was submitted.")
ERR_NOT_OPEN = _("This recruitment is not accepting applications.")
ERR_NOT_VERIFIED = _("Your organisation is not verified yet, so it cannot apply.")
ERR_EXCLUDED = _("Your organisation is excluded from this palace's recruitments until %(until)s (%(reason)s).")
ERR_MISSING_DOCUMENT = _("Attach the required document “%(name)s”.")
ERR_PRICE = _("Enter a price above zero.")
ERR_PRICE_CEILING = _("The price %(price)s exceeds the ceiling of %(ceiling)s.")
ERR_NOT_YOUR_APPLICATION = _("This is not your organisation's application.")
ERR_ALREADY_WITHDRAWN = _(
    "This application was already withdrawn by %(who)s on %(when)s; you may submit it again until the deadline."
)


def active_exclusion(provider: Provider, palace_id: int, on) -> Exclusion | None:
    return (
        Exclusion.objects.filter(provider=provider, palace_id=palace_id, starts_on__lte=on, ends_on__gt=on)
        .order_by("-ends_on")
        .first()
    )


def eligibility_problem(provider: Provider, recruitment: Recruitment, now: datetime) -> str | None:
    if provider.status != Provider.Status.VERIFIED:
        return str(ERR_NOT_VERIFIED)
    exclusion = active_exclusion(provider, recruitment.palace_id, timezone.localdate(now))
    if exclusion is not None:
        return str(ERR_EXCLUDED % {"until": exclusion.ends_on.isoformat(), "reason": exclusion.reason})
    return None


# What the audit trail may say about an application before the deadline: never its
# price or proposal, which are sealed from staff (auditors included) until closing.
SEALED_SAFE_FIELDS = ["state", "version", "submitted_at"]


@dataclass(frozen=True)
class ApplicationFile:
    required_id: int | None
    upload: UploadedFile


@transaction.atomic
def application_submit(
    *,
    actor: User,
    recruitment: Recruitment,
    price: Decimal,
    proposal: str,
    files: Sequence[ApplicationFile] = (),
    now: datetime | None = None,
) -> Application:
    """Submit or resubmit the provider's sealed application; the last version counts.

    Refused after the deadline (checked here, on the server, whenever the form was
    opened), for an unverified or excluded provider, or without a required document.
    """
    now = now_or_clock(now)
    provider = provider_of(actor)
    if provider is None:
        raise NotPermitted
    recruitment = lock_recruitment(recruitment)
    if recruitment.state != Recruitment.State.PUBLISHED:
        raise DomainError(ERR_NOT_OPEN)
    if now >= recruitment.deadline:
        raise DomainError(
            ERR_DEADLINE_PASSED % {"deadline": timezone.localtime(recruitment.deadline).strftime("%Y-%m-%d %H:%M")}
        )
    problem = eligibility_problem(provider, recruitment, now)
    if problem:
        raise DomainError(problem)
    if price is None or price <= 0:
        raise DomainError(ERR_PRICE, field="price")
    if price > recruitment.budget_ceiling:
        raise DomainError(ERR_PRICE_CEILING % {"price": price, "ceiling": recruitment.budget_ceiling}, field="price")
    if not proposal.strip():
        raise DomainError(_("Describe how you will deliver the service."), field="proposal")
    required = {d.pk: d for d in recruitment.required_documents.all()}
    if any(f.required_id is not None and f.required_id not in required for f in files):
        raise DomainError(_("Unknown document."), field="files")
    existing = Application.objects.select_for_update().filter(recruitment=recruitment, provider=provider).first()
    kept = set()
    if existing is not None:
        kept = set(existing.documents.filter(version=existing.version).values_list("required_id", flat=True))
    provided = kept | {f.required_id for f in files if f.required_id}
    for pk, doc in required.items():
        if pk not in provided:
            raise DomainError(ERR_MISSING_DOCUMENT % {"name": doc.name}, field="files")
    stored = store_uploads(
        uploads=[f.upload for f in files], purpose="application_document", allowed=DOCUMENT_TYPES, actor=actor
    )
    if existing is None:
        try:
            with transaction.atomic():
                application = Application.objects.create(
                    recruitment=recruitment,
                    provider=provider,
                    proposal=proposal.strip(),
                    price=price,
                    submitted_at=now,
                    first_submitted_at=now,
                )
        except IntegrityError as exc:
            raise DomainError(_("Your organisation has already applied; resubmit instead.")) from exc
        before = None
    else:
        application = existing
        before = audit.snapshot(application, SEALED_SAFE_FIELDS)
        application.resubmit()
        replaced = {f.required_id for f in files if f.required_id}
        carried = application.documents.filter(version=application.version).exclude(required_id__in=replaced)
        application.version += 1
        for doc in carried:  # unchanged documents carry over to the new version
            doc.version = application.version
            doc.save(update_fields=["version"])
        application.proposal, application.price, application.submitted_at = proposal.strip(), price, now
        application.save()
    ApplicationDocument.objects.bulk_create(
        [
            ApplicationDocument(application=application, required_id=f.required_id, file=s, version=application.version)
            for f, s in zip(files, stored, strict=True)
        ]
    )
    # The audit trail keeps the sealed content out: only what anyone may know later.
    audit.record(
        actor=actor,
        action="application.submitted" if before is None else "application.resubmitted",
        obj=application,
        palace=recruitment.palace_id,
        before=before,
        after=audit.snapshot(application, SEALED_SAFE_FIELDS),
    )
    notify(
        [actor],
        subject=_("Application received: %(number)s") % {"number": recruitment.number},
        body=_("Version %(version)d was received at %(time)s. You may withdraw or resubmit until the deadline.")
        % {"version": application.version, "time": timezone.localtime(now).strftime("%Y-%m-%d %H:%M")},
        url=reverse("portal:application_detail", args=[application.pk]),
    )
    return application


@transaction.atomic
def application_withdraw(*, actor: User, application: Application, now: datetime | None = None) -> Application:
    now = now_or_clock(now)
    application = Application.objects.select_for_update().select_related("recruitment").get(pk=application.pk)
    provider = provider_of(actor)
    if provider is None or provider.pk != application.provider_id:
        raise NotPermitted
    recruitment = application.recruitment
    if recruitment.state != Recruitment.State.PUBLISHED or now >= recruitment.deadline:
        raise DomainError(
            ERR_DEADLINE_PASSED % {"deadline": timezone.localtime(recruitment.deadline).strftime("%Y-%m-%d %H:%M")}
        )
    if application.state == Application.State.WITHDRAWN:  # a double click, or a colleague first
        raise DomainError(ERR_ALREADY_WITHDRAWN % done_by(application))
    before = audit.snapshot(application, ["state"])
    with transition(application):
        application.withdraw()
    application.save()
    audit.record(
        actor=actor,
        action="application.withdrawn",
        obj=application,
        palace=recruitment.palace_id,
        before=before,
        after=audit.snapshot(application, ["state"]),
    )
    return application
