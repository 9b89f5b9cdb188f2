"""Reads for contracts and service reports, scoped to what the user may see.

Tables, pages and exports read through here. KPI progress is one aggregate query per
contract over its activities (denormalised onto ``Activity.contract`` for that reason).
"""

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Avg, Count, Prefetch, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.models import Palace
from core.permissions import AnyUser, palace_ids
from procurement.models import KpiMetric, Provider, ServiceCategory, ServiceProject
from procurement.permissions import provider_of

from .models import (
    Activity,
    Contract,
    ContractKpiTarget,
    Milestone,
    ReportAttachment,
    ReportVersion,
    ServiceReport,
)

# A contract is in force from the provider's acceptance until it is completed or terminated.
IN_FORCE = Contract.IN_FORCE

# The metrics counted from the activities of accepted reports; the others come from elsewhere.
MEASURED_METRICS = (KpiMetric.SESSIONS, KpiMetric.PARTICIPANT_VISITS)


def _staff_palace_ids(user: AnyUser) -> frozenset[int] | None:
    """The palaces whose records ``user`` reads as staff; ``None`` means every palace (superuser)."""
    if not user.is_authenticated or provider_of(user) is not None:
        return frozenset()
    if user.is_superuser:
        return None
    return palace_ids(user)


def palaces_for(user: AnyUser) -> QuerySet[Palace]:
    ids = _staff_palace_ids(user)
    return Palace.objects.all() if ids is None else Palace.objects.filter(pk__in=ids)


# --- the contracts table ------------------------------------------------------------------------


def contracts_for(user: AnyUser, today: date | None = None) -> QuerySet[Contract]:
    """Contracts of the palaces where ``user`` is staff (every palace for the superuser).

    Each row carries its report counts and the mean report score, aggregated in the same
    query: ``reports_accepted``, ``reports_overdue`` (outstanding past the due date) and
    ``average_score`` (over the reports that have a score, missed ones counting 0).
    """
    today = today or timezone.localdate()
    outstanding = Q(reports__state__in=ServiceReport.OUTSTANDING, reports__due_on__lt=today, state__in=IN_FORCE)
    qs = Contract.objects.select_related("palace", "provider", "project").annotate(
        reports_accepted=Count("reports", filter=Q(reports__state=ServiceReport.State.ACCEPTED)),
        reports_overdue=Count("reports", filter=outstanding),
        average_score=Avg("reports__score"),
    )
    ids = _staff_palace_ids(user)
    return qs if ids is None else qs.filter(palace_id__in=ids)


def contract_providers_for(user: AnyUser) -> QuerySet[Provider]:
    """The providers that hold a contract the user can see: the choices of the provider filter."""
    ids = _staff_palace_ids(user)
    contracts = Contract.objects.all() if ids is None else Contract.objects.filter(palace_id__in=ids)
    return Provider.objects.filter(pk__in=contracts.values("provider_id")).order_by("name")


def contract_projects_for(user: AnyUser) -> QuerySet[ServiceProject]:
    ids = _staff_palace_ids(user)
    contracts = Contract.objects.all() if ids is None else Contract.objects.filter(palace_id__in=ids)
    return ServiceProject.objects.filter(pk__in=contracts.values("project_id")).order_by("name")


# --- overdue reports ----------------------------------------------------------------------------


def overdue_reports_for(user: AnyUser, today: date | None = None) -> QuerySet[ServiceReport]:
    """Reports not submitted (not started or in draft) past their due date, in contracts in force."""
    today = today or timezone.localdate()
    qs = ServiceReport.objects.filter(
        state__in=ServiceReport.OUTSTANDING, due_on__lt=today, contract__state__in=IN_FORCE
    ).select_related("contract__palace", "contract__provider", "contract__project")
    ids = _staff_palace_ids(user)
    return qs if ids is None else qs.filter(contract__palace_id__in=ids)


# --- one contract -------------------------------------------------------------------------------


def contract_for_detail(pk: int) -> Contract:
    """The contract with everything its page shows: parties, signatures, targets, milestones, reports.

    Each report carries ``activity_count`` and ``participant_total``, aggregated in the prefetch.
    """
    reports = ServiceReport.objects.order_by("sequence").annotate(
        activity_count=Count("activities"), participant_total=Sum("activities__participants")
    )
    return (
        Contract.objects.select_related(
            "palace", "provider", "project", "recruitment", "created_by", "signed_by", "accepted_by"
        )
        .prefetch_related(
            Prefetch("kpi_targets", queryset=ContractKpiTarget.objects.order_by("id")),
            Prefetch("milestones", queryset=Milestone.objects.select_related("released_by").order_by("position")),
            Prefetch("reports", queryset=reports),
        )
        .get(pk=pk)
    )


def report_for_detail(pk: int) -> ServiceReport:
    """The report with its contract, activities, attachments and every submitted version."""
    return (
        ServiceReport.objects.select_related(
            "contract__palace", "contract__provider", "contract__project", "submitted_by", "reviewed_by"
        )
        .prefetch_related(
            Prefetch("activities", queryset=Activity.objects.order_by("date", "id")),
            Prefetch("attachments", queryset=ReportAttachment.objects.select_related("file").order_by("id")),
            Prefetch("versions", queryset=ReportVersion.objects.select_related("submitted_by").order_by("-number")),
        )
        .get(pk=pk)
    )


# --- KPI progress -------------------------------------------------------------------------------


@dataclass
class KpiProgressRow:
    """One KPI target as of a day: what was delivered against what was due by then."""

    target: ContractKpiTarget
    measured: bool
    full_target: Decimal
    due_to_date: Decimal | None = None
    delivered: Decimal | None = None
    note: str = ""

    @property
    def percent_of_due(self) -> Decimal | None:
        if not self.measured or not self.due_to_date:
            return None
        return (self.delivered * 100 / self.due_to_date).quantize(Decimal(1), rounding=ROUND_HALF_UP)

    @property
    def percent_of_full(self) -> Decimal | None:
        if not self.measured:
            return None
        return (self.delivered * 100 / self.full_target).quantize(Decimal(1), rounding=ROUND_HALF_UP)

    @property
    def on_track(self) -> bool | None:
        return None if not self.measured else self.delivered >= (self.due_to_date or 0)


@dataclass
class CategoryTotal:
    category: str
    label: str
    sessions: int
    participants: int


class KpiProgress(list):
    """The rows of :func:`kpi_progress`, with what the same query found besides."""

    as_of: date
    elapsed: Decimal  # the fraction of the term gone by, 0..1
    by_category: list[CategoryTotal]
    not_accepted_activities: int

    @property
    def elapsed_percent(self) -> Decimal:
        return (self.elapsed * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP)


def elapsed_fraction(contract: Contract, today: date) -> Decimal:
    """Whole days of the term gone by before ``today`` over the days of the term, clamped to 0..1.

    The day after ``ends_on`` it is 1: the full target is due.
    """
    if contract.starts_on is None or contract.ends_on is None:
        return Decimal(0)
    total = (contract.ends_on - contract.starts_on).days + 1
    gone = (today - contract.starts_on).days
    return min(Decimal(1), max(Decimal(0), Decimal(gone) / Decimal(total)))


def kpi_progress(contract: Contract, today: date | None = None) -> KpiProgress:
    """Delivered against pro-rata target for each KPI target of ``contract``, as of ``today``.

    SESSIONS counts activities and PARTICIPANT_VISITS sums their participants, each within
    the target's category when it has one. Only activities of accepted reports count as
    delivered. Satisfaction and other metrics are not measured from activities: their rows
    say so and carry no number. One aggregate query (the targets come from the contract's
    prefetch when there is one).
    """
    today = today or timezone.localdate()
    targets = list(contract.kpi_targets.all())
    accepted = Q(report__state=ServiceReport.State.ACCEPTED)
    aggregates = {}
    for t in targets:
        if t.metric not in MEASURED_METRICS:
            continue
        scope = accepted & Q(category=t.category) if t.category else accepted
        aggregates[f"t{t.pk}"] = (
            Count("id", filter=scope) if t.metric == KpiMetric.SESSIONS else Sum("participants", filter=scope)
        )
    for value in ServiceCategory.values:
        in_category = accepted & Q(category=value)
        aggregates[f"s_{value}"] = Count("id", filter=in_category)
        aggregates[f"p_{value}"] = Sum("participants", filter=in_category)
    aggregates["not_accepted"] = Count("id", filter=~accepted)
    found = Activity.objects.filter(contract_id=contract.pk).aggregate(**aggregates)

    fraction = elapsed_fraction(contract, today)
    result = KpiProgress()
    result.as_of, result.elapsed = today, fraction
    for t in targets:
        if t.metric in MEASURED_METRICS:
            delivered = Decimal(found[f"t{t.pk}"] or 0)
            due = (t.target * fraction).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
            result.append(
                KpiProgressRow(target=t, measured=True, full_target=t.target, due_to_date=due, delivered=delivered)
            )
        elif t.metric == KpiMetric.SATISFACTION:
            result.append(
                KpiProgressRow(
                    target=t,
                    measured=False,
                    full_target=t.target,
                    note=str(_("Measured by the workers' ratings, not by the activities: see the real-time score.")),
                )
            )
        else:
            result.append(
                KpiProgressRow(
                    target=t, measured=False, full_target=t.target, note=str(_("Not measured from activities."))
                )
            )
    result.by_category = [
        CategoryTotal(
            category=value, label=str(label), sessions=found[f"s_{value}"] or 0, participants=found[f"p_{value}"] or 0
        )
        for value, label in ServiceCategory.choices
        if found[f"s_{value}"]
    ]
    result.not_accepted_activities = found["not_accepted"] or 0
    return result
