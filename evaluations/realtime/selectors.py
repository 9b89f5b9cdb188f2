"""Reads for real-time evaluation's pages, scoped to what the user may see.

Each page reads through here with its joins spelt out, so that a page's query count
does not grow with its rows (the evaluator's inbox is held to that by a test).
"""

from dataclasses import dataclass
from datetime import date

from django.db.models import Case, Count, IntegerField, Prefetch, QuerySet, Value, When

from contracts.models import Contract
from core.models import Palace, Role, User
from core.permissions import AnyUser, has_role, palace_ids
from evaluations.realtime import scoring
from evaluations.realtime.models import (
    ChecklistItem,
    ChecklistTemplate,
    Evidence,
    IndicatorWeights,
    Inspection,
    InspectionItemScore,
    PeriodScore,
    RedLine,
)
from procurement.models import ServiceCategory

RECENT_DAYS = 30
RECENT_LIMIT = 15
_CONTRACT = ("contract__palace", "contract__provider", "contract__project")


# --- the evaluator's inbox ----------------------------------------------------------------------


# --- one inspection, one red line ---------------------------------------------------------------


def inspection_for_page(pk: int) -> Inspection:
    """The inspection with its checklist items, item scores and evidence, in five queries."""
    return (
        Inspection.objects.select_related(*_CONTRACT, "checklist", "inspector", "assigned_by", "order")
        .prefetch_related(
            Prefetch("checklist__items", queryset=ChecklistItem.objects.order_by("position")),
            Prefetch("item_scores", queryset=InspectionItemScore.objects.select_related("item")),
            Prefetch("evidence", queryset=Evidence.objects.select_related("file").order_by("pk")),
        )
        .get(pk=pk)
    )


def red_line_for_page(pk: int) -> RedLine:
    return (
        RedLine.objects.select_related(*_CONTRACT, "recorded_by", "order")
        .prefetch_related(Prefetch("evidence", queryset=Evidence.objects.select_related("file").order_by("pk")))
        .get(pk=pk)
    )


def month_score(contract: Contract, day: date) -> PeriodScore | None:
    """The contract's running score for the month of ``day``."""
    return PeriodScore.objects.filter(contract=contract, month=day.replace(day=1)).first()


# --- a contract's inspections and red lines (the section on the contract page) ------------------


def contract_inspections(contract: Contract, user: AnyUser) -> list[Inspection]:
    """The palace's staff see every inspection; the provider only the submitted ones (spot checks are unannounced)."""
    qs = contract.inspections.select_related("checklist", "inspector").order_by("-due_on", "-pk")
    if not (user.is_superuser or has_role(user, contract.palace_id)):
        qs = qs.filter(state=Inspection.State.SUBMITTED)
    return list(qs)


def contract_red_lines(contract: Contract) -> list[RedLine]:
    return list(contract.red_lines.select_related("recorded_by", "order").order_by("-occurred_on", "-pk"))


# --- assigning ----------------------------------------------------------------------------------


def checklist_choices(contract: Contract) -> QuerySet[ChecklistTemplate]:
    """The palace's checklists in use, those of the contract's service category first."""
    return (
        ChecklistTemplate.objects.filter(palace_id=contract.palace_id, is_active=True)
        .annotate(
            other_category=Case(
                When(category=contract.project.category, then=Value(0)), default=Value(1), output_field=IntegerField()
            )
        )
        .order_by("other_category", "category", "name")
    )


def inspectors_for(palace_id: int) -> QuerySet[User]:
    """The palace's evaluators: who may be assigned an inspection."""
    return (
        User.objects.filter(memberships__palace_id=palace_id, memberships__role=Role.EVALUATOR, is_active=True)
        .distinct()
        .order_by("full_name", "username")
    )


# --- checklists and weights ---------------------------------------------------------------------


def admin_palaces(user: AnyUser) -> QuerySet[Palace]:
    """The palaces whose checklists and weights ``user`` keeps."""
    return Palace.objects.filter(pk__in=palace_ids(user, Role.ADMIN)).order_by("name")


def checklists_for(user: AnyUser) -> QuerySet[ChecklistTemplate]:
    """The checklists of the palaces ``user`` administers, with their items and how often each was used."""
    return (
        ChecklistTemplate.objects.filter(palace_id__in=palace_ids(user, Role.ADMIN))
        .select_related("palace")
        .annotate(inspection_count=Count("inspections"))
        .prefetch_related(Prefetch("items", queryset=ChecklistItem.objects.order_by("position")))
        .order_by("palace__name", "category", "-is_active", "name")
    )


def categories_without_checklist(palace_id: int) -> list[str]:
    """Service categories for which the palace has no checklist at all."""
    have = set(ChecklistTemplate.objects.filter(palace_id=palace_id).values_list("category", flat=True))
    return [c for c in ServiceCategory.values if c not in have]


@dataclass(frozen=True)
class PalaceWeights:
    palace: Palace
    weights: dict[str, int]  # indicator → weight, in scoring.INDICATORS order
    is_default: bool


def weights_of(palace: Palace) -> PalaceWeights:
    row = IndicatorWeights.objects.filter(palace=palace).first()
    source = row.as_dict() if row else scoring.DEFAULT_WEIGHTS
    return PalaceWeights(palace=palace, weights={n: int(source[n]) for n in scoring.INDICATORS}, is_default=row is None)
