"""Reads for the provider's side of contracts: its own contracts and the reports it owes.

Everything here is scoped to one provider, so no page built on it can show another
organisation's contract or report. The palace-wide reads are in ``selectors.py``.
"""

from dataclasses import dataclass, field
from datetime import date

from django.db.models import Count, Min, OuterRef, Prefetch, Q, QuerySet, Subquery

from core.models import User
from procurement.models import Provider

from .models import Activity, Contract, ReportAttachment, ServiceReport
from .permissions import can_edit_report

# The contract states in which reports are still owed (the reminders' IN_FORCE, services/reports.py).
IN_FORCE = Contract.IN_FORCE
HISTORY_STATES = (ServiceReport.State.SUBMITTED, ServiceReport.State.ACCEPTED, ServiceReport.State.MISSED)


def _next_open_report(field_name: str) -> Subquery:
    return Subquery(
        ServiceReport.objects.filter(contract=OuterRef("pk"), state__in=ServiceReport.EDITABLE)
        .order_by("due_on", "sequence")
        .values(field_name)[:1]
    )


def contracts_of(provider: Provider) -> QuerySet[Contract]:
    """The provider's contracts, newest first, each with the next report it owes (``next_due_on``)."""
    return (
        Contract.objects.filter(provider=provider)
        .select_related("palace", "project")
        .annotate(
            next_due_on=_next_open_report("due_on"),
            next_report_id=_next_open_report("pk"),
            next_report_state=_next_open_report("state"),
        )
        .order_by("-created_at", "-pk")
    )


def contracts_awaiting_acceptance(provider: Provider) -> QuerySet[Contract]:
    """Drafts the palace has signed and the provider has not accepted yet."""
    return (
        Contract.objects.filter(provider=provider, state=Contract.State.DRAFT, signed_at__isnull=False)
        .select_related("palace", "project")
        .order_by("signed_at", "pk")
    )


@dataclass
class ReportGroups:
    """The provider's reports as the "my reports" page groups them."""

    returned: list[ServiceReport] = field(default_factory=list)
    overdue: list[ServiceReport] = field(default_factory=list)
    due: list[ServiceReport] = field(default_factory=list)
    history: list[ServiceReport] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not (self.returned or self.overdue or self.due or self.history)


def report_groups(user: User, provider: Provider, today: date) -> ReportGroups:
    """Returned for revision, overdue, due (periods already begun), and the submitted history.

    One query. Each report carries ``editable`` (the provider may open the form) and,
    when overdue, ``days_overdue``.
    """
    reports = (
        ServiceReport.objects.filter(contract__provider=provider)
        .filter(
            Q(state__in=HISTORY_STATES)
            | Q(contract__state__in=IN_FORCE, state=ServiceReport.State.RETURNED)
            | Q(contract__state__in=IN_FORCE, state__in=ServiceReport.OUTSTANDING, period_start__lte=today)
        )
        .select_related("contract__palace", "contract__project", "contract__provider")
        .order_by("due_on", "contract_id", "sequence")
    )
    groups = ReportGroups()
    for report in reports:
        report.editable = can_edit_report(user, report)
        if report.state in HISTORY_STATES:
            groups.history.append(report)
        elif report.state == ServiceReport.State.RETURNED:
            groups.returned.append(report)
        elif report.is_overdue(today):
            report.days_overdue = (today - report.due_on).days
            groups.overdue.append(report)
        else:
            groups.due.append(report)
    groups.history.sort(key=lambda r: (r.period_end, r.pk), reverse=True)
    return groups


def report_for_provider(pk: int) -> ServiceReport:
    """One report with what its edit page shows: contract, activities and attachments.

    Raises ``ServiceReport.DoesNotExist``; the caller checks that the viewer is the party.
    """
    return (
        ServiceReport.objects.select_related(
            "contract__palace", "contract__project", "contract__provider", "reviewed_by"
        )
        .prefetch_related(
            Prefetch("activities", queryset=Activity.objects.order_by("date", "id")),
            Prefetch("attachments", queryset=ReportAttachment.objects.select_related("file")),
        )
        .get(pk=pk)
    )


def report_counts(provider: Provider, today: date) -> dict:
    """The home panel's figures in one aggregate: returned, overdue and due reports, and the next due date."""
    outstanding = Q(state__in=ServiceReport.OUTSTANDING)
    due = outstanding & Q(due_on__gte=today, period_start__lte=today)
    return ServiceReport.objects.filter(contract__provider=provider, contract__state__in=IN_FORCE).aggregate(
        total=Count("pk"),
        returned=Count("pk", filter=Q(state=ServiceReport.State.RETURNED)),
        overdue=Count("pk", filter=outstanding & Q(due_on__lt=today)),
        due=Count("pk", filter=due),
        next_due_on=Min("due_on", filter=due),
    )
