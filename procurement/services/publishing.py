"""Publishing a recruitment and closing it at the deadline (DOMAIN.md §1).

Publishing checks the notice's rules (``publish_problems``); the deadline closes it, or
fails it with too few valid applications; a failed or cancelled recruitment is re-issued
as a new draft with one click. Publishing a re-tender tells the field (``retender``).
"""

from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from core import audit
from core.errors import DomainError
from core.models import User
from core.notify import notify
from core.transitions import done_by, transition
from core.workdays import working_days_between

from ..models import Application, Criterion, Recruitment
from .applying import eligibility_problem
from .drafting import ERR_NOT_DRAFT, recruitment_create, recruitment_terms
from .recruitment import lock_recruitment, now_or_clock, palace_admins, panel_changed, require_admin
from .retender import retender_published

MIN_WINDOW_WORKING_DAYS = 5
MIN_VALID_APPLICATIONS = 2
PRICE_WEIGHT_WARNING = Decimal(10)

ERR_WEIGHTS = _("The criteria weights add up to %(total)s; they must add up to exactly 100.")
ERR_WINDOW = _("The application window is %(days)d working days; it must be at least %(min)d.")
ERR_PANEL_SIZE = _("The panel must have an odd number of evaluators, at least 3; %(size)d is not allowed.")
ERR_NO_KPIS = _("The service project “%(name)s” has no KPI targets; add them before publishing.")
ERR_NO_CRITERIA = _("Add the scoring criteria.")
ERR_ALREADY_CANCELLED = _("This recruitment was already cancelled by %(who)s on %(when)s.")
ERR_ALREADY_REISSUED = _("This recruitment was already re-issued as %(number)s by %(who)s on %(when)s.")


def publish_problems(recruitment: Recruitment, now: datetime) -> tuple[list[str], list[str]]:
    """(errors, warnings) that publishing would meet; the draft page shows them in advance."""
    errors, warnings = [], []
    criteria = list(recruitment.criteria.all())
    total = sum((c.max_points for c in criteria), Decimal(0))
    if not criteria:
        errors.append(str(ERR_NO_CRITERIA))
    elif total != 100:
        errors.append(str(ERR_WEIGHTS % {"total": f"{total.normalize():f}"}))
    if recruitment.deadline is None:
        errors.append(str(ERR_WINDOW % {"days": 0, "min": MIN_WINDOW_WORKING_DAYS}))
    else:
        days = working_days_between(timezone.localdate(now), timezone.localtime(recruitment.deadline).date())
        if days < MIN_WINDOW_WORKING_DAYS:
            errors.append(str(ERR_WINDOW % {"days": days, "min": MIN_WINDOW_WORKING_DAYS}))
    if recruitment.panel_size < 3 or recruitment.panel_size % 2 == 0:
        errors.append(str(ERR_PANEL_SIZE % {"size": recruitment.panel_size}))
    if not recruitment.project.kpi_targets.exists():
        errors.append(str(ERR_NO_KPIS % {"name": recruitment.project.name}))
    price = next((c for c in criteria if c.kind == Criterion.Kind.PRICE), None)
    if price is None or price.max_points < PRICE_WEIGHT_WARNING:
        warnings.append(
            str(
                _(
                    "The price criterion weighs less than 10 points; services are usually "
                    "bought with a price weight of at least 10."
                )
            )
        )
    return errors, warnings


@transaction.atomic
def recruitment_publish(*, actor: User, recruitment: Recruitment, now: datetime | None = None) -> list[str]:
    """Publish the notice. Refused, naming every problem, unless the rules hold. Returns warnings."""
    now = now_or_clock(now)
    recruitment = lock_recruitment(recruitment)
    require_admin(actor, recruitment)
    if recruitment.state != Recruitment.State.DRAFT:
        raise DomainError(ERR_NOT_DRAFT)
    errors, warnings = publish_problems(recruitment, now)
    if errors:
        raise DomainError(" ".join(errors))
    before = audit.snapshot(recruitment, ["state"])
    recruitment.publish()
    recruitment.opens_at = now
    recruitment.save()
    audit.record(
        actor=actor,
        action="recruitment.published",
        obj=recruitment,
        palace=recruitment.palace_id,
        before=before,
        after=audit.snapshot(recruitment, ["state", "opens_at", "deadline"]) | {"warnings": warnings},
    )
    retender_published(recruitment=recruitment)  # a re-tender tells the palace's staff and the field
    return warnings


@transaction.atomic
def recruitment_cancel(*, actor: User, recruitment: Recruitment, reason: str) -> Recruitment:
    recruitment = lock_recruitment(recruitment)
    require_admin(actor, recruitment)
    if recruitment.state == Recruitment.State.CANCELLED:  # a double click, or another administrator first
        raise DomainError(ERR_ALREADY_CANCELLED % done_by(recruitment))
    if not reason.strip():
        raise DomainError(_("Give the reason for cancelling."), field="reason")
    before = audit.snapshot(recruitment, ["state"])
    with transition(recruitment):
        recruitment.cancel()
    recruitment.save()
    audit.record(
        actor=actor,
        action="recruitment.cancelled",
        obj=recruitment,
        palace=recruitment.palace_id,
        before=before,
        after={"state": recruitment.state, "reason": reason.strip()},
    )
    applicants = User.objects.filter(provider_link__provider__applications__recruitment=recruitment)
    notify(
        applicants,
        subject=_("Recruitment %(number)s was cancelled") % {"number": recruitment.number},
        body=reason.strip(),
    )
    panel_changed.send(sender=Recruitment, recruitment=recruitment)
    return recruitment


@transaction.atomic
def recruitment_reissue(*, actor: User, recruitment: Recruitment) -> Recruitment:
    """One click after a failed (or cancelled) recruitment: a new draft with the same terms, once."""
    recruitment = lock_recruitment(recruitment)  # two clicks at once make one draft
    require_admin(actor, recruitment)
    if recruitment.state not in (Recruitment.State.FAILED, Recruitment.State.CANCELLED):
        raise DomainError(_("Only a failed or cancelled recruitment can be re-issued."))
    earlier = Recruitment.objects.filter(reissue_of=recruitment).select_related("created_by").first()
    if earlier is not None:
        raise DomainError(
            ERR_ALREADY_REISSUED
            % {"number": earlier.number, **done_by(earlier, earlier.created_by, earlier.created_at)}
        )
    clone = recruitment_create(actor=actor, **recruitment_terms(recruitment))
    clone.reissue_of = recruitment
    clone.save(update_fields=["reissue_of"])
    audit.record(
        actor=actor,
        action="recruitment.reissued",
        obj=clone,
        palace=clone.palace_id,
        after={"reissue_of": recruitment.number, "number": clone.number},
    )
    return clone


# --- closing ------------------------------------------------------------------------------------


def _validity(application: Application, recruitment: Recruitment, required_ids: set[int], now) -> str:
    if application.state != Application.State.SUBMITTED:
        return str(_("Withdrawn"))
    problem = eligibility_problem(application.provider, recruitment, now)
    if problem:
        return problem
    have = {d.required_id for d in application.documents.all() if d.version == application.version}
    if required_ids - have:
        return str(_("A required document is missing."))
    if application.price > recruitment.budget_ceiling:
        return str(_("The price exceeds the ceiling."))
    return ""


@transaction.atomic
def recruitment_close(
    *, recruitment: Recruitment, now: datetime | None = None, actor: User | None = None
) -> Recruitment:
    """At the deadline (the scheduler calls this): decide validity, then close or fail."""
    now = now_or_clock(now)
    recruitment = lock_recruitment(recruitment)
    if recruitment.state != Recruitment.State.PUBLISHED or now < recruitment.deadline:
        return recruitment
    required_ids = set(recruitment.required_documents.values_list("pk", flat=True))
    valid = 0
    for application in recruitment.applications.select_related("provider").prefetch_related("documents"):
        reason = _validity(application, recruitment, required_ids, now)
        application.is_valid, application.invalid_reason = not reason, reason
        application.save(update_fields=["is_valid", "invalid_reason"])
        valid += not reason
    before = audit.snapshot(recruitment, ["state"])
    recruitment.close()
    if valid < MIN_VALID_APPLICATIONS:
        recruitment.fail()
    recruitment.save()
    audit.record(
        actor=actor,
        action="recruitment.failed" if recruitment.state == Recruitment.State.FAILED else "recruitment.closed",
        obj=recruitment,
        palace=recruitment.palace_id,
        before=before,
        after={"state": recruitment.state, "valid_applications": valid},
    )
    url = reverse("procurement:recruitment_detail", args=[recruitment.pk])
    if recruitment.state == Recruitment.State.FAILED:
        notify(
            palace_admins(recruitment.palace_id),
            subject=ngettext(
                "Recruitment %(number)s failed: %(valid)d valid application",
                "Recruitment %(number)s failed: %(valid)d valid applications",
                valid,
            )
            % {"number": recruitment.number, "valid": valid},
            body=_("It can be re-issued with one click."),
            url=url,
        )
    else:
        notify(
            palace_admins(recruitment.palace_id),
            subject=_("Recruitment %(number)s closed with %(valid)d valid applications")
            % {"number": recruitment.number, "valid": valid},
            body=_("Assign the evaluation panel."),
            url=url,
        )
    return recruitment
