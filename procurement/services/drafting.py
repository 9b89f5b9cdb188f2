"""Drafting a recruitment notice: its terms, criteria and required documents (DOMAIN.md §1).

A draft is checked only when it is published (``publishing.publish_problems``). A re-issue
and a re-tender copy an earlier recruitment's terms (``recruitment_terms``) into a new
draft (``new_draft``).
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core import audit
from core.errors import DomainError, NotPermitted
from core.models import Membership, Palace, Role, User

from ..models import Criterion, Recruitment, RequiredDocument, ServiceProject
from .recruitment import lock_recruitment, require_admin

ERR_NOT_DRAFT = _("Only a draft can be changed or published.")


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
    Criterion.objects.bulk_create(
        [
            Criterion(
                recruitment=recruitment,
                name=c.name.strip(),
                description=c.description.strip(),
                max_points=c.max_points,
                kind=c.kind,
                position=i,
            )
            for i, c in enumerate(criteria)
        ]
    )
    recruitment.required_documents.all().delete()
    RequiredDocument.objects.bulk_create(
        [RequiredDocument(recruitment=recruitment, name=name.strip()) for name in documents if name.strip()]
    )


def criteria_rows(recruitment: Recruitment) -> list[dict]:
    return [{"name": c.name, "max_points": c.max_points, "kind": c.kind} for c in recruitment.criteria.all()]


def new_draft(
    *,
    created_by: User,
    project: ServiceProject,
    title: str,
    deadline: datetime | None,
    criteria: Sequence[CriterionInput],
    required_documents: Sequence[str] = (),
    description: str = "",
    eligibility: str = "",
    budget_ceiling: Decimal | None = None,
    panel_size: int = 5,
) -> Recruitment:
    """The draft row with its criteria and required documents; callers check permission and audit."""
    recruitment = Recruitment.objects.create(
        palace_id=project.palace_id,
        project=project,
        number=_next_number(project, timezone.now()),
        title=title.strip(),
        description=description.strip(),
        eligibility=eligibility.strip(),
        budget_ceiling=budget_ceiling or project.budget,
        panel_size=panel_size,
        deadline=deadline,
        created_by=created_by,
    )
    _replace_criteria(recruitment, criteria, required_documents)
    return recruitment


def recruitment_terms(recruitment: Recruitment) -> dict:
    """What a new draft copies from an earlier recruitment of the same project (a re-issue, a
    re-tender): the notice, eligibility, criteria, required documents, ceiling and panel size.
    The dates are not copied; the administrator sets them before publishing."""
    return {
        "project": recruitment.project,
        "title": recruitment.title,
        "deadline": None,
        "criteria": [CriterionInput(c.name, c.max_points, c.kind, c.description) for c in recruitment.criteria.all()],
        "required_documents": [d.name for d in recruitment.required_documents.all()],
        "description": recruitment.description,
        "eligibility": recruitment.eligibility,
        "budget_ceiling": recruitment.budget_ceiling,
        "panel_size": recruitment.panel_size,
    }


@transaction.atomic
def recruitment_create(
    *,
    actor: User,
    project: ServiceProject,
    title: str,
    deadline: datetime,
    criteria: Sequence[CriterionInput],
    required_documents: Sequence[str] = (),
    description: str = "",
    eligibility: str = "",
    budget_ceiling: Decimal | None = None,
    panel_size: int = 5,
) -> Recruitment:
    """Draft a recruitment notice for a service project. Publishing checks the rules."""
    if not (
        actor.is_authenticated
        and Membership.objects.filter(user=actor, palace_id=project.palace_id, role=Role.ADMIN).exists()
    ):
        raise NotPermitted
    recruitment = new_draft(
        created_by=actor,
        project=project,
        title=title,
        deadline=deadline,
        criteria=criteria,
        required_documents=required_documents,
        description=description,
        eligibility=eligibility,
        budget_ceiling=budget_ceiling,
        panel_size=panel_size,
    )
    audit.record(
        actor=actor,
        action="recruitment.created",
        obj=recruitment,
        palace=recruitment.palace_id,
        after=audit.snapshot(recruitment, ["number", "title", "deadline", "panel_size", "budget_ceiling"])
        | {"criteria": criteria_rows(recruitment)},
    )
    return recruitment


@transaction.atomic
def recruitment_update(
    *,
    actor: User,
    recruitment: Recruitment,
    title: str,
    deadline: datetime,
    criteria: Sequence[CriterionInput],
    required_documents: Sequence[str] = (),
    description: str = "",
    eligibility: str = "",
    budget_ceiling: Decimal,
    panel_size: int,
) -> Recruitment:
    recruitment = lock_recruitment(recruitment)
    require_admin(actor, recruitment)
    if recruitment.state != Recruitment.State.DRAFT:
        raise DomainError(ERR_NOT_DRAFT)
    before = audit.snapshot(recruitment, ["title", "deadline", "panel_size", "budget_ceiling"]) | {
        "criteria": criteria_rows(recruitment)
    }
    recruitment.title, recruitment.deadline = title.strip(), deadline
    recruitment.description, recruitment.eligibility = description.strip(), eligibility.strip()
    recruitment.budget_ceiling, recruitment.panel_size = budget_ceiling, panel_size
    recruitment.save()
    _replace_criteria(recruitment, criteria, required_documents)
    audit.record(
        actor=actor,
        action="recruitment.updated",
        obj=recruitment,
        palace=recruitment.palace_id,
        before=before,
        after=audit.snapshot(recruitment, ["title", "deadline", "panel_size", "budget_ceiling"])
        | {"criteria": criteria_rows(recruitment)},
    )
    return recruitment
