"""Inspections (现场检查) and red lines (红线): evaluators' inputs to the running score."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from contracts.models import Contract
from core import audit
from core.errors import DomainError, NotPermitted
from core.models import Role, User
from core.notify import notify
from core.permissions import has_role
from core.uploads import check_file_count, check_upload, store_upload
from evaluations.realtime import scoring
from evaluations.realtime.models import (
    ChecklistItem,
    ChecklistTemplate,
    Evidence,
    Inspection,
    InspectionItemScore,
    RedLine,
)
from evaluations.realtime.permissions import (
    can_assign_inspection,
    can_manage_evaluation,
    can_record_red_line,
)
from evaluations.realtime.services.period import period_apply

EVIDENCE_MAX_BYTES = 10 * 1024 * 1024

ERR_CHECKLIST_WEIGHTS = _("The checklist's item weights add up to %(total)s; they must add up to 100.")
ERR_CHECKLIST_EMPTY = _("A checklist needs at least one item.")
ERR_NOT_INSPECTOR = _("Only an evaluator of this palace can be assigned an inspection.")
ERR_INSPECTION_DONE = _("This inspection was already submitted.")
ERR_ITEMS = _("Score every item of the checklist from 0 to 100.")
ERR_OUTSIDE_TERM = _("The date %(date)s is outside the contract's term (%(start)s – %(end)s).")
ERR_FUTURE = _("The date cannot be in the future.")
ERR_NO_DATE = _("Give the date.")
ERR_DUE_PAST = _("The due date cannot be in the past.")
ERR_CONTRACT_NOT_IN_FORCE = _("The contract is not in force.")
ERR_DESCRIPTION = _("Describe what happened.")


@dataclass(frozen=True)
class ChecklistItemInput:
    text: str
    weight: Decimal


@dataclass(frozen=True)
class ItemScoreInput:
    points: Decimal | None
    note: str = ""


def _check_day(contract: Contract, day: date | None, today: date) -> None:
    if day is None:
        raise DomainError(ERR_NO_DATE, field="date")
    if day > today:
        raise DomainError(ERR_FUTURE, field="date")
    if contract.starts_on and not (contract.starts_on <= day <= contract.ends_on):
        raise DomainError(
            ERR_OUTSIDE_TERM
            % {
                "date": f"{day:%Y-%m-%d}",
                "start": f"{contract.starts_on:%Y-%m-%d}",
                "end": f"{contract.ends_on:%Y-%m-%d}",
            },
            field="date",
        )


def _store_evidence(uploads: Sequence[UploadedFile], actor: User, **subject) -> None:
    for upload in uploads:
        stored = store_upload(upload=upload, purpose="evaluation_evidence", actor=actor, max_bytes=EVIDENCE_MAX_BYTES)
        Evidence.objects.create(file=stored, **subject)


def _check_evidence(uploads: Sequence[UploadedFile]) -> None:
    check_file_count(uploads)
    for upload in uploads:
        check_upload(upload=upload, max_bytes=EVIDENCE_MAX_BYTES)


@transaction.atomic
def checklist_create(
    *, actor: User, palace_id: int, category: str, name: str, items: Sequence[ChecklistItemInput]
) -> ChecklistTemplate:
    """A checklist for a service category; its item weights sum to 100."""
    if not can_manage_evaluation(actor, palace_id):
        raise NotPermitted
    if not items:
        raise DomainError(ERR_CHECKLIST_EMPTY, field="items")
    total = sum((i.weight for i in items), Decimal(0))
    if total != 100 or any(i.weight <= 0 or not i.text.strip() for i in items):
        raise DomainError(ERR_CHECKLIST_WEIGHTS % {"total": f"{total.normalize():f}"}, field="items")
    template = ChecklistTemplate.objects.create(palace_id=palace_id, category=category, name=name.strip()[:100])
    ChecklistItem.objects.bulk_create(
        [
            ChecklistItem(template=template, position=n, text=i.text.strip()[:200], weight=i.weight)
            for n, i in enumerate(items, start=1)
        ]
    )
    audit.record(
        actor=actor,
        action="checklist.created",
        obj=template,
        palace=palace_id,
        after={
            "category": category,
            "name": template.name,
            "items": [{"text": i.text, "weight": i.weight} for i in items],
        },
    )
    return template


@transaction.atomic
def inspection_assign(
    *,
    actor: User,
    contract: Contract,
    checklist: ChecklistTemplate,
    inspector: User,
    due_on: date,
    kind: str = Inspection.Kind.SCHEDULED,
    now: datetime | None = None,
) -> Inspection:
    """Assign an evaluator to inspect a contract's service. A spot check is not shown to the provider."""
    contract = Contract.objects.select_for_update(no_key=True).get(pk=contract.pk)
    if not can_assign_inspection(actor, contract):
        raise NotPermitted
    if not has_role(inspector, contract.palace_id, Role.EVALUATOR):
        raise DomainError(ERR_NOT_INSPECTOR, field="inspector")
    if kind not in Inspection.Kind.values:
        raise DomainError(_("Choose scheduled or unannounced."), field="kind")
    if due_on is None or due_on < timezone.localdate(now):
        raise DomainError(ERR_DUE_PAST, field="due_on")
    if checklist.palace_id != contract.palace_id or not checklist.is_active:
        raise DomainError(_("Choose a checklist of this palace."), field="checklist")
    inspection = Inspection.objects.create(
        contract=contract, checklist=checklist, inspector=inspector, kind=kind, due_on=due_on, assigned_by=actor
    )
    audit.record(
        actor=actor,
        action="inspection.assigned",
        obj=inspection,
        palace=contract.palace_id,
        after=audit.snapshot(inspection, ["contract", "checklist", "inspector", "kind", "due_on"]),
    )
    notify(
        [inspector],
        subject=_("Inspect %(contract)s by %(date)s") % {"contract": contract.number, "date": f"{due_on:%Y-%m-%d}"},
        url=reverse("evaluations:inspection", args=[inspection.pk]),
    )
    return inspection


def weighted_score(items: Sequence[ChecklistItem], points: Mapping[int, Decimal]) -> Decimal:
    total = sum((item.weight * points[item.pk] for item in items), Decimal(0))
    weight = sum((item.weight for item in items), Decimal(0))
    return (total / weight).quantize(scoring.CENT, rounding=ROUND_HALF_UP)


@transaction.atomic
def inspection_submit(
    *,
    actor: User,
    inspection: Inspection,
    items: Mapping[int, ItemScoreInput],
    inspected_on: date,
    notes: str = "",
    evidence: Sequence[UploadedFile] = (),
    now: datetime | None = None,
) -> Inspection:
    """Score each checklist item 0–100; the weighted result moves the month's score at once."""
    now = now or timezone.now()
    inspection = Inspection.objects.select_for_update().select_related("contract", "checklist").get(pk=inspection.pk)
    contract = Contract.objects.select_for_update(no_key=True).get(pk=inspection.contract_id)
    if inspection.inspector_id != actor.pk:
        raise NotPermitted
    if inspection.state != Inspection.State.ASSIGNED:
        raise DomainError(ERR_INSPECTION_DONE)
    if inspection.order_id is None and contract.state not in Contract.IN_FORCE:
        raise DomainError(ERR_CONTRACT_NOT_IN_FORCE)
    checklist_items = list(inspection.checklist.items.all())
    if set(items) != {i.pk for i in checklist_items} or any(
        s.points is None or not (0 <= s.points <= 100) for s in items.values()
    ):
        raise DomainError(ERR_ITEMS, field="items")
    _check_day(contract, inspected_on, timezone.localdate(now))
    _check_evidence(evidence)
    InspectionItemScore.objects.bulk_create(
        [
            InspectionItemScore(inspection=inspection, item_id=pk, points=s.points, note=s.note.strip()[:500])
            for pk, s in items.items()
        ]
    )
    inspection.score = weighted_score(checklist_items, {pk: s.points for pk, s in items.items()})
    inspection.inspected_on, inspection.notes, inspection.submitted_at = inspected_on, notes.strip(), now
    inspection.submit()
    inspection.save()
    _store_evidence(evidence, actor, inspection=inspection)
    audit.record(
        actor=actor,
        action="inspection.submitted",
        obj=inspection,
        palace=contract.palace_id,
        after={
            "score": inspection.score,
            "inspected_on": inspected_on,
            "items": {str(pk): s.points for pk, s in items.items()},
        },
    )
    if inspection.order_id is None:
        period_apply(contract=contract, day=inspected_on, inspection=inspection.score, actor=actor, now=now)
        users = User.objects.filter(provider_link__provider_id=contract.provider_id, is_active=True)
        notify(
            users,
            subject=_("Inspection of %(contract)s: %(score)s points")
            % {"contract": contract.number, "score": f"{inspection.score:.2f}"},
            url=reverse("evaluations:inspection", args=[inspection.pk]),
        )
    return inspection


@transaction.atomic
def red_line_record(
    *,
    actor: User,
    contract: Contract,
    category: str,
    occurred_on: date,
    description: str,
    evidence: Sequence[UploadedFile] = (),
    now: datetime | None = None,
) -> RedLine:
    """Record a serious violation: the month fails at once and a rectification order is issued."""
    now = now or timezone.now()
    contract = Contract.objects.select_for_update(no_key=True).get(pk=contract.pk)
    if not can_record_red_line(actor, contract):
        raise NotPermitted
    if category not in RedLine.Category.values:
        raise DomainError(_("Choose the kind of violation."), field="category")
    if not description.strip():
        raise DomainError(ERR_DESCRIPTION, field="description")
    _check_day(contract, occurred_on, timezone.localdate(now))
    _check_evidence(evidence)
    red_line = RedLine.objects.create(
        contract=contract,
        category=category,
        occurred_on=occurred_on,
        description=description.strip(),
        recorded_by=actor,
    )
    _store_evidence(evidence, actor, red_line=red_line)
    audit.record(
        actor=actor,
        action="red_line.recorded",
        obj=red_line,
        palace=contract.palace_id,
        after=audit.snapshot(red_line, ["contract", "category", "occurred_on", "description"]),
    )
    period_apply(contract=contract, day=occurred_on, red_line=red_line, actor=actor, now=now)
    return red_line
