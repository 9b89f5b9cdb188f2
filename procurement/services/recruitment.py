"""Recruitment, from draft notice to award (DOMAIN.md §1).

Every function checks permission, validates, moves state through the model's
FSM and writes one audit event in one transaction. Times are passed in as
``now`` by the scheduler and tests; views leave it to default to the clock.
"""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.dispatch import Signal
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from core import audit
from core.errors import DomainError, NotPermitted
from core.models import Membership, Palace, Role, User
from core.notify import notify
from core.uploads import DOCUMENT_TYPES, store_uploads
from core.workdays import add_working_days, working_days_between

from .. import scoring
from ..models import (
    Application,
    ApplicationDocument,
    CompiledScore,
    Criterion,
    Declaration,
    Exclusion,
    Objection,
    PanelMember,
    Provider,
    Recruitment,
    RequiredDocument,
    Score,
    ScoreCorrection,
    ServiceProject,
)
from ..permissions import can_manage_recruitment, provider_of
from .panels import (  # noqa: F401  (the messages stay importable from here, as before)
    ERR_JUSTIFY,
    ERR_NOT_EVALUATOR,
    ERR_REPLACEMENT,
    active_seats,
    ask_justifications,
    check_evaluators,
    check_replacement,
    mark_outliers,
    panel_in,
    record_justifications,
)

MIN_WINDOW_WORKING_DAYS = 5
PUBLICITY_WORKING_DAYS = 5
MIN_VALID_APPLICATIONS = 2
PRICE_WEIGHT_WARNING = Decimal(10)

ERR_WEIGHTS = _("The criteria weights add up to %(total)s; they must add up to exactly 100.")
ERR_WINDOW = _("The application window is %(days)d working days; it must be at least %(min)d.")
ERR_PANEL_SIZE = _("The panel must have an odd number of evaluators, at least 3; %(size)d is not allowed.")
ERR_NO_KPIS = _("The service project “%(name)s” has no KPI targets; add them before publishing.")
ERR_NO_CRITERIA = _("Add the scoring criteria.")
ERR_NOT_DRAFT = _("Only a draft can be changed or published.")
ERR_DEADLINE_PASSED = _("The application deadline (%(deadline)s) has passed; nothing was submitted.")
ERR_NOT_OPEN = _("This recruitment is not accepting applications.")
ERR_NOT_VERIFIED = _("Your organisation is not verified yet, so it cannot apply.")
ERR_EXCLUDED = _("Your organisation is excluded from this palace's recruitments until %(until)s (%(reason)s).")
ERR_MISSING_DOCUMENT = _("Attach the required document “%(name)s”.")
ERR_PRICE = _("Enter a price above zero.")
ERR_PRICE_CEILING = _("The price %(price)s exceeds the ceiling of %(ceiling)s.")
ERR_NOT_YOUR_APPLICATION = _("This is not your organisation's application.")
ERR_NOT_CLOSED = _("A panel can be assigned only after the recruitment has closed.")
ERR_PANEL_COUNT = _("Choose exactly %(size)d evaluators.")
ERR_DECLARE_FIRST = _("Declare your conflicts of interest before scoring.")
ERR_DECLARE_ALL = _("Declare for every applicant.")
ERR_ALREADY_DECLARED = _("You have already declared.")
ERR_SCORE_RANGE = _("%(criterion)s: points must be between 0 and %(max)s.")
ERR_SCORE_MISSING = _("Score every applicant on every criterion.")
ERR_NOT_SCORING = _("Your scores are already submitted.")
ERR_LOCKED = _("Compiled scores are locked; request a correction instead.")
ERR_SAME_PERSON = _("A correction must be approved by a different staff member.")
ERR_CORRECTION_REASON = _("Choose a reason code and write a justification.")
ERR_NOT_COMPILED = _("The scores have not been compiled yet.")
ERR_AWARD_REASON = _("Choosing an applicant other than the top-ranked one needs a written reason.")
ERR_NOT_IN_PUBLICITY = _("Objections can be lodged only while the result is in publicity.")
ERR_OBJECTION_GROUNDS = _("State the grounds of the objection.")
ERR_NOT_APPLICANT = _("Only an applicant may lodge an objection.")
ERR_ANSWER_REQUIRED = _("Write the answer; the applicant will read it.")
ERR_OPEN_OBJECTIONS = _("Every objection must be answered before the recruitment is awarded.")
ERR_PUBLICITY_RUNNING = _("The publicity period has not ended yet.")
ERR_NOT_EVALUATING = _("This recruitment is not under evaluation.")

# Sent with the awarded Recruitment once the award is final; contracts drafts a contract.
recruitment_awarded = Signal()
# Sent with the Recruitment, inside the transaction, after each change to its panel (assigned,
# declared, replaced, scores submitted or justified) and when it is cancelled. The panel
# workflow (procurement/flows.py) follows the domain state from here, whoever called.
panel_changed = Signal()


def _now(now: datetime | None) -> datetime:
    return now or timezone.now()


def _palace_admins(palace_id: int):
    return User.objects.filter(memberships__palace_id=palace_id, memberships__role=Role.ADMIN)


def _require_admin(actor: User, recruitment: Recruitment) -> None:
    if not can_manage_recruitment(actor, recruitment):
        raise NotPermitted


def _lock(recruitment: Recruitment) -> Recruitment:
    return Recruitment.objects.select_for_update().select_related("project", "palace").get(pk=recruitment.pk)


# --- drafting and publishing ----------------------------------------------------------------

@dataclass(frozen=True)
class CriterionInput:
    name: str
    max_points: Decimal
    kind: str = Criterion.Kind.SUBJECTIVE
    description: str = ""


def _next_number(project: ServiceProject, when: datetime) -> str:
    """The palace's next number this year. Locking the palace row serialises numbering, so two
    administrators creating recruitments at once cannot both take the same number."""
    palace = Palace.objects.select_for_update(no_key=True).get(pk=project.palace_id)
    prefix = f"{palace.code.upper()}-{when:%Y}-"
    count = Recruitment.objects.filter(number__startswith=prefix).count()
    return f"{prefix}{count + 1:03d}"


def _replace_criteria(recruitment: Recruitment, criteria: Sequence[CriterionInput], documents: Sequence[str]) -> None:
    if sum(1 for c in criteria if c.kind == Criterion.Kind.PRICE) > 1:
        raise DomainError(_("Only one criterion can be the price."), field="criteria")
    recruitment.criteria.all().delete()
    Criterion.objects.bulk_create([
        Criterion(recruitment=recruitment, name=c.name.strip(), description=c.description.strip(),
                  max_points=c.max_points, kind=c.kind, position=i)
        for i, c in enumerate(criteria)
    ])
    recruitment.required_documents.all().delete()
    RequiredDocument.objects.bulk_create(
        [RequiredDocument(recruitment=recruitment, name=name.strip()) for name in documents if name.strip()])


def _criteria_rows(recruitment: Recruitment) -> list[dict]:
    return [{"name": c.name, "max_points": c.max_points, "kind": c.kind} for c in recruitment.criteria.all()]


def _new_draft(
    *, created_by: User, project: ServiceProject, title: str, deadline: datetime | None,
    criteria: Sequence[CriterionInput], required_documents: Sequence[str] = (), description: str = "",
    eligibility: str = "", budget_ceiling: Decimal | None = None, panel_size: int = 5,
) -> Recruitment:
    """The draft row with its criteria and required documents; callers check permission and audit."""
    recruitment = Recruitment.objects.create(
        palace_id=project.palace_id, project=project, number=_next_number(project, timezone.now()),
        title=title.strip(), description=description.strip(), eligibility=eligibility.strip(),
        budget_ceiling=budget_ceiling or project.budget, panel_size=panel_size, deadline=deadline,
        created_by=created_by,
    )
    _replace_criteria(recruitment, criteria, required_documents)
    return recruitment


def recruitment_terms(recruitment: Recruitment) -> dict:
    """What a new draft copies from an earlier recruitment of the same project (a re-issue, a
    re-tender): the notice, eligibility, criteria, required documents, ceiling and panel size.
    The dates are not copied; the administrator sets them before publishing."""
    return {
        "project": recruitment.project, "title": recruitment.title, "deadline": None,
        "criteria": [CriterionInput(c.name, c.max_points, c.kind, c.description) for c in recruitment.criteria.all()],
        "required_documents": [d.name for d in recruitment.required_documents.all()],
        "description": recruitment.description, "eligibility": recruitment.eligibility,
        "budget_ceiling": recruitment.budget_ceiling, "panel_size": recruitment.panel_size,
    }


@transaction.atomic
def recruitment_create(
    *, actor: User, project: ServiceProject, title: str, deadline: datetime,
    criteria: Sequence[CriterionInput], required_documents: Sequence[str] = (),
    description: str = "", eligibility: str = "", budget_ceiling: Decimal | None = None,
    panel_size: int = 5,
) -> Recruitment:
    """Draft a recruitment notice for a service project. Publishing checks the rules."""
    if not (actor.is_authenticated and Membership.objects.filter(
            user=actor, palace_id=project.palace_id, role=Role.ADMIN).exists()):
        raise NotPermitted
    recruitment = _new_draft(
        created_by=actor, project=project, title=title, deadline=deadline, criteria=criteria,
        required_documents=required_documents, description=description, eligibility=eligibility,
        budget_ceiling=budget_ceiling, panel_size=panel_size)
    audit.record(actor=actor, action="recruitment.created", obj=recruitment, palace=recruitment.palace_id,
                 after=audit.snapshot(recruitment, ["number", "title", "deadline", "panel_size", "budget_ceiling"])
                 | {"criteria": _criteria_rows(recruitment)})
    return recruitment


@transaction.atomic
def recruitment_update(
    *, actor: User, recruitment: Recruitment, title: str, deadline: datetime,
    criteria: Sequence[CriterionInput], required_documents: Sequence[str] = (), description: str = "",
    eligibility: str = "", budget_ceiling: Decimal, panel_size: int,
) -> Recruitment:
    recruitment = _lock(recruitment)
    _require_admin(actor, recruitment)
    if recruitment.state != Recruitment.State.DRAFT:
        raise DomainError(ERR_NOT_DRAFT)
    before = audit.snapshot(recruitment, ["title", "deadline", "panel_size", "budget_ceiling"]) | {
        "criteria": _criteria_rows(recruitment)}
    recruitment.title, recruitment.deadline = title.strip(), deadline
    recruitment.description, recruitment.eligibility = description.strip(), eligibility.strip()
    recruitment.budget_ceiling, recruitment.panel_size = budget_ceiling, panel_size
    recruitment.save()
    _replace_criteria(recruitment, criteria, required_documents)
    audit.record(actor=actor, action="recruitment.updated", obj=recruitment, palace=recruitment.palace_id,
                 before=before, after=audit.snapshot(recruitment, ["title", "deadline", "panel_size",
                                                                   "budget_ceiling"])
                 | {"criteria": _criteria_rows(recruitment)})
    return recruitment


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
        warnings.append(str(_("The price criterion weighs less than 10 points; services are usually "
                              "bought with a price weight of at least 10.")))
    return errors, warnings


@transaction.atomic
def recruitment_publish(*, actor: User, recruitment: Recruitment, now: datetime | None = None) -> list[str]:
    """Publish the notice. Refused, naming every problem, unless the rules hold. Returns warnings."""
    now = _now(now)
    recruitment = _lock(recruitment)
    _require_admin(actor, recruitment)
    if recruitment.state != Recruitment.State.DRAFT:
        raise DomainError(ERR_NOT_DRAFT)
    errors, warnings = publish_problems(recruitment, now)
    if errors:
        raise DomainError(" ".join(errors))
    before = audit.snapshot(recruitment, ["state"])
    recruitment.publish()
    recruitment.opens_at = now
    recruitment.save()
    audit.record(actor=actor, action="recruitment.published", obj=recruitment, palace=recruitment.palace_id,
                 before=before, after=audit.snapshot(recruitment, ["state", "opens_at", "deadline"])
                 | {"warnings": warnings})
    from .retender import retender_published  # a re-tender tells the palace's staff and the field

    retender_published(recruitment=recruitment)
    return warnings


@transaction.atomic
def recruitment_cancel(*, actor: User, recruitment: Recruitment, reason: str) -> Recruitment:
    recruitment = _lock(recruitment)
    _require_admin(actor, recruitment)
    if not reason.strip():
        raise DomainError(_("Give the reason for cancelling."), field="reason")
    before = audit.snapshot(recruitment, ["state"])
    recruitment.cancel()
    recruitment.save()
    audit.record(actor=actor, action="recruitment.cancelled", obj=recruitment, palace=recruitment.palace_id,
                 before=before, after={"state": recruitment.state, "reason": reason.strip()})
    applicants = User.objects.filter(provider_link__provider__applications__recruitment=recruitment)
    notify(applicants, subject=_("Recruitment %(number)s was cancelled") % {"number": recruitment.number},
           body=reason.strip())
    panel_changed.send(sender=Recruitment, recruitment=recruitment)
    return recruitment


@transaction.atomic
def recruitment_reissue(*, actor: User, recruitment: Recruitment) -> Recruitment:
    """One click after a failed (or cancelled) recruitment: a new draft with the same terms."""
    _require_admin(actor, recruitment)
    if recruitment.state not in (Recruitment.State.FAILED, Recruitment.State.CANCELLED):
        raise DomainError(_("Only a failed or cancelled recruitment can be re-issued."))
    clone = recruitment_create(actor=actor, **recruitment_terms(recruitment))
    clone.reissue_of = recruitment
    clone.save(update_fields=["reissue_of"])
    audit.record(actor=actor, action="recruitment.reissued", obj=clone, palace=clone.palace_id,
                 after={"reissue_of": recruitment.number, "number": clone.number})
    return clone


# --- applying -----------------------------------------------------------------------------------

def active_exclusion(provider: Provider, palace_id: int, on) -> Exclusion | None:
    return (Exclusion.objects.filter(provider=provider, palace_id=palace_id, starts_on__lte=on, ends_on__gt=on)
            .order_by("-ends_on").first())


def _eligibility_error(provider: Provider, recruitment: Recruitment, now: datetime) -> str | None:
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
    *, actor: User, recruitment: Recruitment, price: Decimal, proposal: str,
    files: Sequence[ApplicationFile] = (), now: datetime | None = None,
) -> Application:
    """Submit or resubmit the provider's sealed application; the last version counts.

    Refused after the deadline (checked here, on the server, whenever the form was
    opened), for an unverified or excluded provider, or without a required document.
    """
    now = _now(now)
    provider = provider_of(actor)
    if provider is None:
        raise NotPermitted
    recruitment = _lock(recruitment)
    if recruitment.state != Recruitment.State.PUBLISHED:
        raise DomainError(ERR_NOT_OPEN)
    if now >= recruitment.deadline:
        raise DomainError(ERR_DEADLINE_PASSED % {
            "deadline": timezone.localtime(recruitment.deadline).strftime("%Y-%m-%d %H:%M")})
    problem = _eligibility_error(provider, recruitment, now)
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
    stored = store_uploads(uploads=[f.upload for f in files], purpose="application_document",
                           allowed=DOCUMENT_TYPES, actor=actor)
    if existing is None:
        try:
            with transaction.atomic():
                application = Application.objects.create(
                    recruitment=recruitment, provider=provider, proposal=proposal.strip(), price=price,
                    submitted_at=now, first_submitted_at=now)
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
    ApplicationDocument.objects.bulk_create([
        ApplicationDocument(application=application, required_id=f.required_id, file=s, version=application.version)
        for f, s in zip(files, stored, strict=True)])
    # The audit trail keeps the sealed content out: only what anyone may know later.
    audit.record(actor=actor, action="application.submitted" if before is None else "application.resubmitted",
                 obj=application, palace=recruitment.palace_id, before=before,
                 after=audit.snapshot(application, SEALED_SAFE_FIELDS))
    notify([actor], subject=_("Application received: %(number)s") % {"number": recruitment.number},
           body=_("Version %(version)d was received at %(time)s. You may withdraw or resubmit until the deadline.")
           % {"version": application.version, "time": timezone.localtime(now).strftime("%Y-%m-%d %H:%M")},
           url=reverse("portal:application_detail", args=[application.pk]))
    return application


@transaction.atomic
def application_withdraw(*, actor: User, application: Application, now: datetime | None = None) -> Application:
    now = _now(now)
    application = Application.objects.select_for_update().select_related("recruitment").get(pk=application.pk)
    provider = provider_of(actor)
    if provider is None or provider.pk != application.provider_id:
        raise NotPermitted
    recruitment = application.recruitment
    if recruitment.state != Recruitment.State.PUBLISHED or now >= recruitment.deadline:
        raise DomainError(ERR_DEADLINE_PASSED % {
            "deadline": timezone.localtime(recruitment.deadline).strftime("%Y-%m-%d %H:%M")})
    before = audit.snapshot(application, ["state"])
    application.withdraw()
    application.save()
    audit.record(actor=actor, action="application.withdrawn", obj=application, palace=recruitment.palace_id,
                 before=before, after=audit.snapshot(application, ["state"]))
    return application


# --- closing ------------------------------------------------------------------------------------

def _validity(application: Application, recruitment: Recruitment, required_ids: set[int], now) -> str:
    if application.state != Application.State.SUBMITTED:
        return str(_("Withdrawn"))
    problem = _eligibility_error(application.provider, recruitment, now)
    if problem:
        return problem
    have = {d.required_id for d in application.documents.all() if d.version == application.version}
    if required_ids - have:
        return str(_("A required document is missing."))
    if application.price > recruitment.budget_ceiling:
        return str(_("The price exceeds the ceiling."))
    return ""


@transaction.atomic
def recruitment_close(*, recruitment: Recruitment, now: datetime | None = None, actor: User | None = None) -> Recruitment:
    """At the deadline (the scheduler calls this): decide validity, then close or fail."""
    now = _now(now)
    recruitment = _lock(recruitment)
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
    audit.record(actor=actor, action="recruitment.failed" if recruitment.state == Recruitment.State.FAILED
                 else "recruitment.closed", obj=recruitment, palace=recruitment.palace_id, before=before,
                 after={"state": recruitment.state, "valid_applications": valid})
    url = reverse("procurement:recruitment_detail", args=[recruitment.pk])
    if recruitment.state == Recruitment.State.FAILED:
        notify(_palace_admins(recruitment.palace_id),
               subject=ngettext("Recruitment %(number)s failed: %(valid)d valid application",
                                "Recruitment %(number)s failed: %(valid)d valid applications", valid)
               % {"number": recruitment.number, "valid": valid},
               body=_("It can be re-issued with one click."), url=url)
    else:
        notify(_palace_admins(recruitment.palace_id),
               subject=_("Recruitment %(number)s closed with %(valid)d valid applications")
               % {"number": recruitment.number, "valid": valid},
               body=_("Assign the evaluation panel."), url=url)
    return recruitment


# --- the panel ----------------------------------------------------------------------------------

# What every panel does alike (naming evaluators, replacing, flagging outliers, justifying)
# is in .panels, shared with the final evaluation's panel review.

def _active_members(recruitment: Recruitment):
    return active_seats(recruitment.panel)


@transaction.atomic
def panel_assign(*, actor: User, recruitment: Recruitment, evaluators: Sequence[User]) -> list[PanelMember]:
    """The administrator names the panel; evaluation starts and each evaluator gets a task."""
    recruitment = _lock(recruitment)
    _require_admin(actor, recruitment)
    if recruitment.state != Recruitment.State.CLOSED:
        raise DomainError(ERR_NOT_CLOSED)
    if len({u.pk for u in evaluators}) != recruitment.panel_size:
        raise DomainError(ERR_PANEL_COUNT % {"size": recruitment.panel_size}, field="evaluators")
    check_evaluators(recruitment.palace_id, evaluators)
    members = [PanelMember.objects.create(recruitment=recruitment, evaluator=u) for u in evaluators]
    before = audit.snapshot(recruitment, ["state"])
    recruitment.start_evaluation()
    recruitment.save()
    audit.record(actor=actor, action="panel.assigned", obj=recruitment, palace=recruitment.palace_id,
                 before=before, after={"state": recruitment.state,
                                       "panel": [u.get_username() for u in evaluators]})
    for member in members:
        _notify_assignment(member)
    panel_changed.send(sender=Recruitment, recruitment=recruitment)
    return members


def _notify_assignment(member: PanelMember) -> None:
    notify([member.evaluator],
           subject=_("You are on the panel for %(number)s") % {"number": member.recruitment.number},
           body=_("Declare any conflict of interest, then score the applications."),
           url=reverse("procurement:panel_task", args=[member.pk]))


def valid_applications(recruitment: Recruitment):
    return recruitment.applications.filter(is_valid=True).select_related("provider").order_by("first_submitted_at")


@transaction.atomic
def panel_declare(*, actor: User, member: PanelMember, conflicts: dict[int, tuple[str, str]]) -> PanelMember:
    """回避: for each applicant, conflict kind and details. Any conflict recuses the evaluator."""
    member = PanelMember.objects.select_for_update().select_related("recruitment").get(pk=member.pk)
    if member.evaluator_id != actor.pk:
        raise NotPermitted
    if member.recruitment.state != Recruitment.State.EVALUATING:
        raise DomainError(ERR_NOT_EVALUATING)
    if member.state != PanelMember.State.ASSIGNED:
        raise DomainError(ERR_ALREADY_DECLARED)
    applications = list(valid_applications(member.recruitment))
    if {a.pk for a in applications} != set(conflicts):
        raise DomainError(ERR_DECLARE_ALL)
    for kind, _note in conflicts.values():
        if kind not in Declaration.Conflict.values:
            raise DomainError(ERR_DECLARE_ALL)
    Declaration.objects.bulk_create([
        Declaration(member=member, application_id=pk, conflict=kind, note=note.strip()[:500])
        for pk, (kind, note) in conflicts.items()])
    conflicted = [pk for pk, (kind, _n) in conflicts.items() if kind != Declaration.Conflict.NONE]
    before = audit.snapshot(member, ["state"])
    if conflicted:
        member.recuse()
    else:
        member.declare_clear()
    member.declared_at = timezone.now()
    member.save()
    audit.record(actor=actor, action="panel.recused" if conflicted else "panel.declared", obj=member,
                 palace=member.recruitment.palace_id, before=before,
                 after={"state": member.state, "declarations": {str(k): v[0] for k, v in conflicts.items()}})
    if conflicted:
        notify(_palace_admins(member.recruitment.palace_id),
               subject=_("%(name)s recused from %(number)s; appoint a replacement")
               % {"name": member.evaluator, "number": member.recruitment.number},
               url=reverse("procurement:recruitment_detail", args=[member.recruitment_id]))
    panel_changed.send(sender=Recruitment, recruitment=member.recruitment)
    return member


@transaction.atomic
def panel_replace(*, actor: User, member: PanelMember, evaluator: User) -> PanelMember:
    member = PanelMember.objects.select_for_update().select_related("recruitment").get(pk=member.pk)
    _require_admin(actor, member.recruitment)
    check_replacement(member, evaluator, palace_id=member.recruitment.palace_id, panel=member.recruitment.panel)
    replacement = PanelMember.objects.create(recruitment=member.recruitment, evaluator=evaluator, replaces=member)
    audit.record(actor=actor, action="panel.replaced", obj=replacement, palace=member.recruitment.palace_id,
                 before={"evaluator": member.evaluator.get_username()},
                 after={"evaluator": evaluator.get_username()})
    _notify_assignment(replacement)
    panel_changed.send(sender=Recruitment, recruitment=member.recruitment)
    return replacement


@dataclass(frozen=True)
class ScoreInput:
    application_id: int
    criterion_id: int
    points: Decimal
    comment: str = ""


@transaction.atomic
def scores_submit(*, actor: User, member: PanelMember, scores: Sequence[ScoreInput]) -> PanelMember:
    """Submit an evaluator's whole score sheet at once. Sealed until every member has submitted.

    A second submission of the same sheet (a double click, a second tab) is refused,
    and the unique constraint keeps one score per evaluator × application × criterion.
    """
    # Lock the recruitment first: the last two sheets arriving together must see each
    # other, or neither would compile.
    _lock(member.recruitment)
    member = PanelMember.objects.select_for_update().select_related("recruitment").get(pk=member.pk)
    if member.evaluator_id != actor.pk:
        raise NotPermitted
    if member.recruitment.state != Recruitment.State.EVALUATING:
        raise DomainError(ERR_NOT_EVALUATING)
    if member.state == PanelMember.State.ASSIGNED:
        raise DomainError(ERR_DECLARE_FIRST)
    if member.state != PanelMember.State.DECLARED:
        raise DomainError(ERR_NOT_SCORING)
    recruitment = member.recruitment
    criteria = {c.pk: c for c in recruitment.criteria.filter(kind=Criterion.Kind.SUBJECTIVE)}
    applications = {a.pk for a in valid_applications(recruitment)}
    expected = {(a, c) for a in applications for c in criteria}
    given = {(s.application_id, s.criterion_id): s for s in scores}
    if set(given) != expected:
        raise DomainError(ERR_SCORE_MISSING)
    for s in scores:
        top = criteria[s.criterion_id].max_points
        if s.points is None or not (0 <= s.points <= top):
            raise DomainError(ERR_SCORE_RANGE % {"criterion": criteria[s.criterion_id].name,
                                                 "max": f"{top.normalize():f}"}, field="scores")
    Score.objects.bulk_create([
        Score(member=member, application_id=s.application_id, criterion_id=s.criterion_id,
              points=s.points, comment=s.comment.strip()[:1000]) for s in scores])
    before = audit.snapshot(member, ["state"])
    member.submit()
    member.submitted_at = timezone.now()
    member.save()
    audit.record(actor=actor, action="scores.submitted", obj=member, palace=recruitment.palace_id, before=before,
                 after={"state": member.state, "scores": [
                     {"application": s.application_id, "criterion": s.criterion_id, "points": s.points}
                     for s in scores]})
    _after_submission(recruitment)
    panel_changed.send(sender=Recruitment, recruitment=recruitment)
    return member


@transaction.atomic
def scores_justify(*, actor: User, member: PanelMember, justifications: dict[int, str]) -> PanelMember:
    """The evaluator explains each score flagged as an outlier, then the sheet counts again."""
    _lock(member.recruitment)
    member = PanelMember.objects.select_for_update().select_related("recruitment").get(pk=member.pk)
    if member.evaluator_id != actor.pk:
        raise NotPermitted
    if member.state != PanelMember.State.JUSTIFYING:
        raise DomainError(ERR_NOT_SCORING)
    written = record_justifications(member, justifications)
    before = audit.snapshot(member, ["state"])
    member.submit()
    member.save()
    audit.record(actor=actor, action="scores.justified", obj=member, palace=member.recruitment.palace_id,
                 before=before, after={"state": member.state, "justifications": written})
    _after_submission(member.recruitment)
    panel_changed.send(sender=Recruitment, recruitment=member.recruitment)
    return member


def _after_submission(recruitment: Recruitment) -> None:
    """When the whole panel is in, flag outliers; compile when none is unexplained."""
    members = list(_active_members(recruitment).select_related("evaluator"))
    if not panel_in(members, recruitment.panel_size):
        return
    scores = list(Score.objects.filter(member__in=members).select_related("criterion"))
    to_justify = mark_outliers(scores, seat_of=lambda s: s.member_id,
                               cell_of=lambda s: (s.application_id, s.criterion_id),
                               max_points_of=lambda s: s.criterion.max_points)
    if to_justify:
        ask_justifications([m for m in members if m.pk in to_justify], action="scores.outliers_flagged",
                           palace_id=recruitment.palace_id,
                           subject=_("Justify your outlier scores for %(number)s") % {"number": recruitment.number},
                           url_of=lambda m: reverse("procurement:panel_task", args=[m.pk]))
        return
    recruitment_compile(recruitment=recruitment)


# --- compilation ----------------------------------------------------------------------------------

def compile_results(recruitment: Recruitment) -> dict[int, dict[int, Decimal]]:
    """Per application, per criterion: the panel's points (subjective means and price points)."""
    criteria = list(recruitment.criteria.all())
    members = list(_active_members(recruitment))
    applications = list(valid_applications(recruitment))
    points: dict[tuple[int, int], list[Decimal]] = defaultdict(list)
    for app_id, crit_id, value in Score.objects.filter(member__in=members).values_list(
            "application_id", "criterion_id", "points"):
        points[(app_id, crit_id)].append(value)
    lowest = min((a.price for a in applications), default=None)
    result: dict[int, dict[int, Decimal]] = {}
    for application in applications:
        row = {}
        for criterion in criteria:
            if criterion.kind == Criterion.Kind.PRICE:
                row[criterion.pk] = scoring.price_points(lowest=lowest, price=application.price,
                                                         weight=criterion.max_points)
            else:
                row[criterion.pk] = scoring.criterion_mean(points[(application.pk, criterion.pk)])
        result[application.pk] = row
    return result


@transaction.atomic
def recruitment_compile(*, recruitment: Recruitment, actor: User | None = None) -> Recruitment:
    """Compile and lock the panel's scores, rank the applications and issue the tender report."""
    recruitment = _lock(recruitment)
    results = compile_results(recruitment)
    CompiledScore.objects.filter(application__recruitment=recruitment).delete()
    CompiledScore.objects.bulk_create([
        CompiledScore(application_id=app_id, criterion_id=crit_id, points=value)
        for app_id, row in results.items() for crit_id, value in row.items()])
    applications = {a.pk: a for a in valid_applications(recruitment)}
    totals = {app_id: sum(row.values(), Decimal(0)) for app_id, row in results.items()}
    order = scoring.ranking([scoring.Candidate(pk, totals[pk], a.price, a.first_submitted_at)
                             for pk, a in applications.items()])
    for rank, pk in enumerate(order, start=1):
        applications[pk].total, applications[pk].rank = totals[pk], rank
    # One statement, however many applied: compilation must not slow down with the field.
    Application.objects.bulk_update(applications.values(), ["total", "rank"])
    recruitment.compiled_at = timezone.now()
    recruitment.save(update_fields=["compiled_at"])
    audit.record(actor=actor, action="recruitment.compiled", obj=recruitment, palace=recruitment.palace_id,
                 after={"ranking": [{"application": pk, "total": totals[pk]} for pk in order]})
    notify(_palace_admins(recruitment.palace_id),
           subject=_("Scores for %(number)s are compiled") % {"number": recruitment.number},
           body=_("Review the ranking and propose the award."),
           url=reverse("procurement:recruitment_detail", args=[recruitment.pk]))
    from ..documents import issue_tender_report

    transaction.on_commit(lambda: issue_tender_report(recruitment=recruitment, actor=actor), robust=True)
    return recruitment


@transaction.atomic
def score_correction_request(*, actor: User, score: Score, corrected_points: Decimal, reason: str,
                             justification: str) -> ScoreCorrection:
    score = Score.objects.select_related("member__recruitment", "criterion").get(pk=score.pk)
    recruitment = score.member.recruitment
    _require_admin(actor, recruitment)
    if recruitment.compiled_at is None:
        raise DomainError(ERR_NOT_COMPILED)
    if recruitment.state != Recruitment.State.EVALUATING:
        raise DomainError(ERR_NOT_EVALUATING)
    if reason not in ScoreCorrection.Reason.values or not justification.strip():
        raise DomainError(ERR_CORRECTION_REASON, field="justification")
    if not (0 <= corrected_points <= score.criterion.max_points):
        raise DomainError(ERR_SCORE_RANGE % {"criterion": score.criterion.name,
                                             "max": f"{score.criterion.max_points.normalize():f}"},
                          field="corrected_points")
    correction = ScoreCorrection.objects.create(
        score=score, original_points=score.points, corrected_points=corrected_points, reason=reason,
        justification=justification.strip(), requested_by=actor)
    audit.record(actor=actor, action="score.correction_requested", obj=correction, palace=recruitment.palace_id,
                 after=audit.snapshot(correction, ["original_points", "corrected_points", "reason",
                                                   "justification"]))
    notify(_palace_admins(recruitment.palace_id).exclude(pk=actor.pk),
           subject=_("A score correction for %(number)s needs your approval") % {"number": recruitment.number},
           url=reverse("procurement:recruitment_detail", args=[recruitment.pk]))
    return correction


@transaction.atomic
def score_correction_decide(*, actor: User, correction: ScoreCorrection, approve: bool,
                            note: str = "") -> ScoreCorrection:
    """A second staff member approves or rejects; an approval recompiles and reissues the report."""
    correction = ScoreCorrection.objects.select_for_update().select_related(
        "score__member__recruitment").get(pk=correction.pk)
    recruitment = correction.score.member.recruitment
    _require_admin(actor, recruitment)
    if actor.pk == correction.requested_by_id:
        raise DomainError(ERR_SAME_PERSON)
    before = audit.snapshot(correction, ["state"])
    if approve:
        correction.approve()
        Score.objects.filter(pk=correction.score_id).update(points=correction.corrected_points)
    else:
        correction.reject()
    correction.decided_by, correction.decided_at = actor, timezone.now()
    correction.save()
    audit.record(actor=actor, action="score.correction_approved" if approve else "score.correction_rejected",
                 obj=correction, palace=recruitment.palace_id, before=before,
                 after={"state": correction.state, "note": note.strip()})
    if approve:
        recruitment_compile(recruitment=recruitment, actor=actor)
    return correction


# --- award, publicity, objections -------------------------------------------------------------------

@transaction.atomic
def award_propose(*, actor: User, recruitment: Recruitment, application: Application, reason: str = "",
                  now: datetime | None = None) -> Recruitment:
    """Propose the award and publish the result for 5 working days of publicity (公示)."""
    now = _now(now)
    recruitment = _lock(recruitment)
    _require_admin(actor, recruitment)
    if recruitment.state != Recruitment.State.EVALUATING or recruitment.compiled_at is None:
        raise DomainError(ERR_NOT_COMPILED)
    application = Application.objects.get(pk=application.pk, recruitment=recruitment, is_valid=True)
    if application.rank != 1 and not reason.strip():
        raise DomainError(ERR_AWARD_REASON, field="reason")
    before = audit.snapshot(recruitment, ["state", "awarded_application"])
    recruitment.awarded_application = application
    recruitment.award_reason = reason.strip()
    recruitment.publicity_ends_at = timezone.make_aware(datetime.combine(
        add_working_days(timezone.localdate(now), PUBLICITY_WORKING_DAYS), datetime.max.time().replace(microsecond=0)))
    recruitment.publicise()
    recruitment.save()
    audit.record(actor=actor, action="award.proposed", obj=recruitment, palace=recruitment.palace_id,
                 before=before, after=audit.snapshot(recruitment, ["state", "awarded_application", "award_reason",
                                                                   "publicity_ends_at"]))
    applicants = User.objects.filter(provider_link__provider__applications__recruitment=recruitment).distinct()
    notify(applicants, subject=_("Result published for %(number)s") % {"number": recruitment.number},
           body=_("The proposed award is in publicity until %(until)s. Applicants may lodge an objection.")
           % {"until": timezone.localtime(recruitment.publicity_ends_at).strftime("%Y-%m-%d")},
           url=reverse("notice_detail", args=[recruitment.pk]))
    return recruitment


def objection_problem(recruitment: Recruitment, application: Application | None, now: datetime) -> str:
    """Why this applicant may not object now ("" when it may); pages show it before anyone writes."""
    if application is None:
        return str(ERR_NOT_APPLICANT)
    if recruitment.state != Recruitment.State.PUBLICITY or now > recruitment.publicity_ends_at:
        return str(ERR_NOT_IN_PUBLICITY)
    return ""


def finalise_problem(recruitment: Recruitment, now: datetime) -> str:
    """Why the award cannot be made final yet ("" when it can)."""
    if now <= recruitment.publicity_ends_at:
        return str(ERR_PUBLICITY_RUNNING)
    if recruitment.objections.filter(state=Objection.State.OPEN).exists():
        return str(ERR_OPEN_OBJECTIONS)
    return ""


@transaction.atomic
def objection_lodge(*, actor: User, recruitment: Recruitment, grounds: str,
                    attachments: Sequence[UploadedFile] = (), now: datetime | None = None) -> Objection:
    now = _now(now)
    recruitment = _lock(recruitment)
    provider = provider_of(actor)
    application = recruitment.applications.filter(provider=provider).first() if provider else None
    problem = objection_problem(recruitment, application, now)
    if problem:
        raise DomainError(problem)
    if not grounds.strip():
        raise DomainError(ERR_OBJECTION_GROUNDS, field="grounds")
    files = store_uploads(uploads=list(attachments), purpose="objection", actor=actor)
    objection = Objection.objects.create(recruitment=recruitment, application=application,
                                         grounds=grounds.strip(), lodged_by=actor)
    objection.attachments.set(files)
    audit.record(actor=actor, action="objection.lodged", obj=objection, palace=recruitment.palace_id,
                 after={"grounds": objection.grounds, "attachments": len(files)})
    notify(_palace_admins(recruitment.palace_id),
           subject=_("Objection to %(number)s from %(name)s") % {"number": recruitment.number, "name": provider},
           url=reverse("procurement:recruitment_detail", args=[recruitment.pk]))
    return objection


@transaction.atomic
def objection_answer(*, actor: User, objection: Objection, upheld: bool, answer: str,
                     outcome: str = "") -> Objection:
    """Answer an objection. Upheld: reopen evaluation, or cancel the recruitment."""
    objection = Objection.objects.select_for_update().select_related("recruitment").get(pk=objection.pk)
    recruitment = _lock(objection.recruitment)
    _require_admin(actor, recruitment)
    if not answer.strip():
        raise DomainError(ERR_ANSWER_REQUIRED, field="answer")
    if upheld and outcome not in Objection.Outcome.values:
        raise DomainError(_("Choose whether to reopen the evaluation or cancel the recruitment."), field="outcome")
    before = audit.snapshot(objection, ["state"])
    if upheld:
        objection.uphold()
        objection.outcome = outcome
    else:
        objection.reject()
    objection.answer, objection.answered_by, objection.answered_at = answer.strip(), actor, timezone.now()
    objection.save()
    audit.record(actor=actor, action="objection.upheld" if upheld else "objection.rejected", obj=objection,
                 palace=recruitment.palace_id, before=before,
                 after={"state": objection.state, "outcome": objection.outcome, "answer": objection.answer})
    notify([objection.lodged_by], subject=_("Your objection to %(number)s was answered") % {
        "number": recruitment.number}, body=objection.answer, url=reverse("notice_detail", args=[recruitment.pk]))
    if upheld and outcome == Objection.Outcome.REOPEN:
        _reopen_evaluation(actor, recruitment, objection)
    elif upheld:
        recruitment_cancel(actor=actor, recruitment=recruitment,
                           reason=str(_("Objection upheld: %(answer)s") % {"answer": objection.answer}))
    return objection


def _reopen_evaluation(actor: User, recruitment: Recruitment, objection: Objection) -> None:
    """Send the panel back to scoring: a new round, with the old one kept for the record.

    The round's scores are marked superseded (``Score.all_rounds`` keeps them), the
    compiled result and ranking are cleared, and every seat that had submitted is
    reopened, so each evaluator scores again and the scores are sealed until the whole
    panel has submitted, as in the first round. Conflict declarations stand. The tender
    report already issued stays issued; the next compilation issues a new version.
    """
    before = audit.snapshot(recruitment, ["state", "awarded_application", "evaluation_round", "compiled_at"]) | {
        "ranking": list(valid_applications(recruitment).order_by("rank").values("pk", "total", "rank"))}
    round_ = recruitment.evaluation_round
    Score.objects.filter(member__recruitment=recruitment).update(superseded_in_round=round_)
    CompiledScore.objects.filter(application__recruitment=recruitment).delete()
    Application.objects.filter(recruitment=recruitment).update(total=None, rank=None)
    recruitment.reopen_evaluation()
    recruitment.awarded_application = None
    recruitment.award_reason = ""
    recruitment.publicity_ends_at = None
    recruitment.compiled_at = None
    recruitment.evaluation_round = round_ + 1
    recruitment.save()
    seats = list(PanelMember.objects.select_for_update(of=("self",)).filter(
        recruitment=recruitment, replaced_by__isnull=True,
        state__in=[PanelMember.State.SUBMITTED, PanelMember.State.JUSTIFYING]).select_related("evaluator"))
    for member in seats:
        if member.state == PanelMember.State.JUSTIFYING:
            member.submit()
        member.reopen()
        member.submitted_at = None
        member.save()
    audit.record(actor=actor, action="recruitment.reopened", obj=recruitment, palace=recruitment.palace_id,
                 before=before, after=audit.snapshot(recruitment, ["state", "awarded_application", "evaluation_round",
                                                                   "compiled_at"])
                 | {"objection": objection.pk, "reopened_seats": [m.pk for m in seats]})
    for member in seats:
        notify([member.evaluator], subject=_("Score %(number)s again: an objection was upheld") % {
            "number": recruitment.number}, body=objection.answer,
            url=reverse("procurement:panel_task", args=[member.pk]))
    panel_changed.send(sender=Recruitment, recruitment=recruitment)


@transaction.atomic
def recruitment_finalise(*, recruitment: Recruitment, now: datetime | None = None,
                         actor: User | None = None) -> Recruitment:
    """After publicity, with every objection answered: awarded, and a draft contract follows."""
    now = _now(now)
    recruitment = _lock(recruitment)
    if actor is not None:  # the scheduler acts with no actor; a person must run the palace
        _require_admin(actor, recruitment)
    if recruitment.state != Recruitment.State.PUBLICITY:
        return recruitment
    problem = finalise_problem(recruitment, now)
    if problem:
        raise DomainError(problem)
    before = audit.snapshot(recruitment, ["state"])
    recruitment.award()
    recruitment.save()
    audit.record(actor=actor, action="recruitment.awarded", obj=recruitment, palace=recruitment.palace_id,
                 before=before, after={"state": recruitment.state,
                                       "provider": recruitment.awarded_application.provider.name})
    recruitment_awarded.send(sender=Recruitment, recruitment=recruitment, actor=actor)
    return recruitment
