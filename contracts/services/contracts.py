"""Contracts: drafted from the award, edited, signed by both parties, milestones released (DOMAIN.md §2)."""

import calendar
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core import audit
from core.errors import DomainError, NotPermitted
from core.models import Palace, User
from core.notify import notify
from core.workdays import WorkCalendar
from procurement.models import KpiMetric, Recruitment, ServiceCategory

from .. import conditions
from ..models import MAX_TERM_MONTHS, Contract, ContractKpiTarget, Milestone, ServiceReport
from ..permissions import can_accept_contract, can_manage_contract, is_party

__all__ = [
    "DEFAULT_MILESTONES",
    "KpiTargetInput",
    "add_months",
    "contract_accept",
    "contract_draft_from_award",
    "contract_renew",
    "contract_sign",
    "contract_update",
    "milestone_problem",
    "sign_problem",
    "milestone_release",
    "report_schedule_generate",
    "ERR_TERM",
    "ERR_NOT_DRAFT",
    "ERR_NOT_SIGNED",
    "ERR_NO_START",
    "ERR_NO_KPI",
    "ERR_ALREADY_SIGNED",
    "ERR_RELEASED",
    "ERR_WITHHELD",
    "ERR_RENEWAL_OF_RENEWAL",
    "ERR_ALREADY_RENEWED",
    "ERR_NOT_RENEWABLE",
    "ERR_RENEW_STATE",
]

REPORT_DUE_WORKING_DAYS = 5  # DOMAIN.md §3: due by the 5th working day after each period

ERR_TERM = _("The term must be from 1 to %(max)d months; %(months)d is not allowed.")
ERR_NOT_DRAFT = _("Only a draft contract can be changed or signed.")
ERR_NOT_SIGNED = _("The palace has not signed this contract yet.")
ERR_ALREADY_SIGNED = _("The palace has already signed this contract.")
ERR_NO_START = _("Set the date the contract starts before signing.")
ERR_AMOUNT = _("The amount must be more than 0.")
ERR_KPI = _("Every KPI target needs a value above 0.")
ERR_KPI_DUPLICATE = _("The KPI target “%(label)s” is listed twice.")
ERR_NO_KPI = _("A contract needs at least one KPI target.")
ERR_RELEASED = _("This milestone was already released.")
ERR_NOT_IN_FORCE = _("Milestones are released only while the contract is in force.")
ERR_WITHHELD = _("This milestone was withheld on %(date)s and will not be released: %(reason)s")
ERR_RENEWAL_OF_RENEWAL = _(
    "This contract is itself a renewal and cannot be renewed again: the service goes back to public recruitment."
)
ERR_ALREADY_RENEWED = _("This contract was already renewed, as %(number)s.")
ERR_NOT_RENEWABLE = _("Only a final rating of 优秀 (excellent) or 良好 (good) may be renewed without re-tender.")
ERR_RENEW_STATE = _("Only a contract at the end of its term, after its final evaluation, can be renewed.")

# DOMAIN.md §5: 优秀 or 良好 may renew once without re-tender.
RENEWABLE_RATINGS = {"excellent", "good"}

# DOMAIN.md §2: 30% on signing, 40% at mid-term, 30% after the final rating.
DEFAULT_MILESTONES = [
    (Milestone.Condition.ON_SIGNING, Decimal(30)),
    (Milestone.Condition.MID_TERM, Decimal(40)),
    (Milestone.Condition.FINAL_RATING, Decimal(30)),
]


@dataclass(frozen=True)
class KpiTargetInput:
    metric: str
    target: Decimal
    unit: str
    label: str = ""
    category: str = ""


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later, clamped to the month's end (31 Jan + 1 month = 28/29 Feb)."""
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _contract_users(contract: Contract):
    return User.objects.filter(provider_link__provider_id=contract.provider_id, is_active=True)


def _lock(contract: Contract) -> Contract:
    return (
        Contract.objects.select_for_update(no_key=True)
        .select_related("palace", "provider", "project")
        .get(pk=contract.pk)
    )


def _next_number(palace_id: int, when: datetime | None = None) -> str:
    # Locking the palace row serialises numbering across concurrent awards and renewals.
    palace = Palace.objects.select_for_update(no_key=True).get(pk=palace_id)
    prefix = f"{palace.code.upper()}-HT-{timezone.localdate(when):%Y}-"
    return f"{prefix}{Contract.objects.filter(number__startswith=prefix).count() + 1:03d}"


@transaction.atomic
def contract_draft_from_award(*, recruitment: Recruitment, actor: User | None = None) -> Contract:
    """Draft the contract for an awarded recruitment (idempotent: one contract per recruitment).

    Amount is the awarded price; KPI targets are copied from the service project; the
    default milestones split the amount 30/40/30, the last one absorbing rounding.
    """
    existing = Contract.objects.filter(recruitment=recruitment).first()
    if existing is not None:
        return existing
    application = recruitment.awarded_application
    project = recruitment.project
    contract = Contract.objects.create(
        number=_next_number(recruitment.palace_id),
        palace=recruitment.palace,
        provider=application.provider,
        project=project,
        recruitment=recruitment,
        amount=application.price,
        term_months=min(project.term_months, MAX_TERM_MONTHS),
        created_by=actor,
    )
    # By default the term starts on the first of the next month; the administrator may move it.
    today = timezone.localdate()
    contract.starts_on = add_months(today.replace(day=1), 1)
    contract.ends_on = add_months(contract.starts_on, contract.term_months) - timedelta(days=1)
    contract.save(update_fields=["starts_on", "ends_on"])
    ContractKpiTarget.objects.bulk_create(
        [
            ContractKpiTarget(contract=contract, metric=k.metric, label=k.label, target=k.target, unit=k.unit)
            for k in project.kpi_targets.all()
        ]
    )
    remaining = contract.amount
    rows = []
    for position, (condition, percent) in enumerate(DEFAULT_MILESTONES, start=1):
        last = position == len(DEFAULT_MILESTONES)
        amount = (
            remaining if last else (contract.amount * percent / 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        )
        remaining -= amount
        rows.append(
            Milestone(contract=contract, position=position, condition=condition, percent=percent, amount=amount)
        )
    Milestone.objects.bulk_create(rows)
    audit.record(
        actor=actor,
        action="contract.drafted",
        obj=contract,
        palace=contract.palace_id,
        after=audit.snapshot(
            contract, ["number", "provider", "project", "recruitment", "amount", "term_months", "state"]
        )
        | {"milestones": [{"condition": m.condition, "percent": m.percent, "amount": m.amount} for m in rows]},
    )
    return contract


CONTRACT_FIELDS = ["amount", "term_months", "starts_on", "ends_on", "report_schedule", "state"]


@transaction.atomic
def contract_update(
    *,
    actor: User,
    contract: Contract,
    amount: Decimal,
    term_months: int,
    starts_on: date | None,
    report_schedule: str,
    kpi_targets: Sequence[KpiTargetInput],
) -> Contract:
    """Edit a draft before the palace signs it: terms, start date, schedule and KPI targets."""
    contract = _lock(contract)
    if not can_manage_contract(actor, contract):
        raise NotPermitted
    if contract.state != Contract.State.DRAFT or contract.signed_at is not None:
        raise DomainError(ERR_NOT_DRAFT)
    if not (1 <= term_months <= MAX_TERM_MONTHS):
        raise DomainError(ERR_TERM % {"max": MAX_TERM_MONTHS, "months": term_months}, field="term_months")
    if amount is None or amount <= 0:
        raise DomainError(ERR_AMOUNT, field="amount")
    if report_schedule not in Contract.ReportSchedule.values:
        raise DomainError(_("Choose a report schedule."), field="report_schedule")
    if not kpi_targets:
        raise DomainError(ERR_NO_KPI, field="kpi_targets")
    seen = set()
    for k in kpi_targets:
        if k.metric not in KpiMetric.values or (k.category and k.category not in ServiceCategory.values):
            raise DomainError(ERR_KPI, field="kpi_targets")
        if k.target is None or k.target <= 0:
            raise DomainError(ERR_KPI, field="kpi_targets")
        key = (k.metric, k.category, k.label.strip())
        if key in seen:
            raise DomainError(ERR_KPI_DUPLICATE % {"label": k.label or KpiMetric(k.metric).label}, field="kpi_targets")
        seen.add(key)
    before = audit.snapshot(contract, CONTRACT_FIELDS) | {"kpi_targets": _kpi_rows(contract)}
    contract.amount, contract.term_months, contract.report_schedule = amount, term_months, report_schedule
    contract.starts_on = starts_on
    contract.ends_on = add_months(starts_on, term_months) - timedelta(days=1) if starts_on else None
    contract.save()
    contract.kpi_targets.all().delete()
    ContractKpiTarget.objects.bulk_create(
        [
            ContractKpiTarget(
                contract=contract,
                metric=k.metric,
                category=k.category,
                label=k.label.strip(),
                target=k.target,
                unit=k.unit.strip(),
            )
            for k in kpi_targets
        ]
    )
    _split_milestones(contract)
    audit.record(
        actor=actor,
        action="contract.updated",
        obj=contract,
        palace=contract.palace_id,
        before=before,
        after=audit.snapshot(contract, CONTRACT_FIELDS) | {"kpi_targets": _kpi_rows(contract)},
    )
    return contract


def _kpi_rows(contract: Contract) -> list[dict]:
    return [
        {"metric": k.metric, "category": k.category, "label": k.label, "target": k.target, "unit": k.unit}
        for k in contract.kpi_targets.all()
    ]


def _split_milestones(contract: Contract) -> None:
    """Re-split unreleased milestones when the amount changes; the last absorbs rounding."""
    milestones = list(contract.milestones.all())
    remaining = contract.amount
    for i, m in enumerate(milestones):
        m.amount = (
            remaining
            if i == len(milestones) - 1
            else (contract.amount * m.percent / 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        )
        remaining -= m.amount
    Milestone.objects.bulk_update(milestones, ["amount"])


def sign_problem(contract: Contract) -> str:
    """Why the palace cannot sign the contract now, or "". One predicate for the page and the service."""
    if contract.state != Contract.State.DRAFT:
        return str(ERR_NOT_DRAFT)
    if contract.signed_at is not None:
        return str(ERR_ALREADY_SIGNED)
    if contract.starts_on is None:
        return str(ERR_NO_START)
    if not contract.kpi_targets.all():  # the page's prefetch answers this without a query
        return str(ERR_NO_KPI)
    return ""


@transaction.atomic
def contract_sign(*, actor: User, contract: Contract, now: datetime | None = None) -> Contract:
    """The palace signs the draft; the provider is asked to accept it."""
    contract = _lock(contract)
    if not can_manage_contract(actor, contract):
        raise NotPermitted
    problem = sign_problem(contract)
    if problem:
        raise DomainError(problem)
    contract.signed_at, contract.signed_by = now or timezone.now(), actor
    contract.save(update_fields=["signed_at", "signed_by"])
    audit.record(
        actor=actor,
        action="contract.signed",
        obj=contract,
        palace=contract.palace_id,
        after=audit.snapshot(contract, ["signed_at", "signed_by", *CONTRACT_FIELDS]),
    )
    notify(
        _contract_users(contract),
        subject=_("Contract %(number)s is signed by the palace; please accept it") % {"number": contract.number},
        url=reverse("contracts:contract_detail", args=[contract.pk]),
    )
    return contract


@transaction.atomic
def contract_accept(*, actor: User, contract: Contract, now: datetime | None = None) -> Contract:
    """The provider accepts the signed contract: it is in force and every report period is scheduled."""
    contract = _lock(contract)
    if not is_party(actor, contract):
        raise NotPermitted
    if contract.state != Contract.State.DRAFT:
        raise DomainError(_("This contract is already in force."))
    if not can_accept_contract(actor, contract):
        raise DomainError(ERR_NOT_SIGNED)
    before = audit.snapshot(contract, ["state"])
    contract.accepted_at, contract.accepted_by = now or timezone.now(), actor
    contract.activate()
    contract.save()
    reports = report_schedule_generate(contract=contract)
    audit.record(
        actor=actor,
        action="contract.accepted",
        obj=contract,
        palace=contract.palace_id,
        before=before,
        after=audit.snapshot(contract, ["state", "accepted_at", "accepted_by"])
        | {"reports": [{"period": [r.period_start, r.period_end], "due_on": r.due_on} for r in reports]},
    )
    admins = User.objects.filter(memberships__palace_id=contract.palace_id, memberships__role="admin")
    notify(
        admins,
        subject=_("%(provider)s accepted contract %(number)s; it is in force")
        % {"provider": contract.provider.name, "number": contract.number},
        url=reverse("contracts:contract_detail", args=[contract.pk]),
    )
    return contract


def report_periods(contract: Contract) -> list[tuple[date, date]]:
    """The report periods of the term: whole months (or quarters) from the start, the last one cut at the end."""
    periods, start, n = [], contract.starts_on, 0
    while start <= contract.ends_on:
        n += 1
        end = min(add_months(contract.starts_on, n * contract.period_months) - timedelta(days=1), contract.ends_on)
        periods.append((start, end))
        start = end + timedelta(days=1)
    return periods


@transaction.atomic
def report_schedule_generate(*, contract: Contract) -> list[ServiceReport]:
    """Create every report period not created yet, each due on the 5th working day after it ends.

    Idempotent, and safe when called twice at once: the contract row is locked first, so
    the second caller finds the periods the first one made.
    """
    contract = Contract.objects.select_for_update(no_key=True).get(pk=contract.pk)
    if contract.starts_on is None or contract.ends_on is None:
        return []
    existing = set(contract.reports.values_list("sequence", flat=True))
    periods = report_periods(contract)
    cal = WorkCalendar()
    cal.preload(periods[0][0], periods[-1][1] + timedelta(days=120))
    rows = []
    for seq, (start, end) in enumerate(periods, start=1):
        if seq in existing:
            continue
        if seq < len(periods):
            next_end = periods[seq][1]
        else:
            next_end = add_months(end + timedelta(days=1), contract.period_months) - timedelta(days=1)
        rows.append(
            ServiceReport(
                contract=contract,
                sequence=seq,
                period_start=start,
                period_end=end,
                due_on=cal.add_working_days(end, REPORT_DUE_WORKING_DAYS),
                missed_after=next_end,
            )
        )
    ServiceReport.objects.bulk_create(rows)
    return list(contract.reports.order_by("sequence"))


def milestone_problem(milestone: Milestone, today: date | None = None) -> str:
    """Why the milestone cannot be released now, or "" when it can. One predicate for page and service."""
    contract = milestone.contract
    today = today or timezone.localdate()
    if milestone.released_at is not None:
        return str(ERR_RELEASED)
    if milestone.withheld_at is not None:  # on an exit (退出), for good
        return str(
            ERR_WITHHELD
            % {"date": f"{timezone.localdate(milestone.withheld_at):%Y-%m-%d}", "reason": milestone.withheld_reason}
        )
    if contract.state in (Contract.State.DRAFT, Contract.State.TERMINATED):
        return str(ERR_NOT_IN_FORCE)
    if milestone.condition == Milestone.Condition.ON_SIGNING:
        return ""
    if milestone.condition == Milestone.Condition.MID_TERM:
        midpoint = (
            add_months(contract.starts_on, contract.term_months // 2)
            if contract.term_months > 1
            else contract.starts_on + (contract.ends_on - contract.starts_on) / 2
        )
        if today < midpoint:
            return str(_("Mid-term is %(date)s; it has not been reached.") % {"date": f"{midpoint:%Y-%m-%d}"})
        rectification = conditions.open_rectification(contract)
        if rectification is None:
            return str(
                _("Whether a rectification order is open is not yet evaluated, so the mid-term payment stays locked.")
            )
        if rectification:
            return str(_("A rectification order is open."))
        return ""
    rating = conditions.final_rating(contract)
    if rating is None:
        return str(_("The final evaluation has not rated this contract yet."))
    if rating not in conditions.PASSING_RATINGS:
        return str(_("The final rating is below 合格 (pass)."))
    return ""


@transaction.atomic
def milestone_release(*, actor: User, milestone: Milestone, now: datetime | None = None) -> Milestone:
    """Release a payment milestone whose condition holds; the release is audited."""
    contract = _lock(milestone.contract)
    milestone = Milestone.objects.select_for_update().get(pk=milestone.pk)
    milestone.contract = contract
    if not can_manage_contract(actor, contract):
        raise NotPermitted
    now = now or timezone.now()
    problem = milestone_problem(milestone, timezone.localdate(now))
    if problem:
        raise DomainError(problem)
    milestone.released_at, milestone.released_by = now, actor
    milestone.save(update_fields=["released_at", "released_by"])
    audit.record(
        actor=actor,
        action="milestone.released",
        obj=milestone,
        palace=contract.palace_id,
        after={
            "contract": contract.number,
            "position": milestone.position,
            "condition": milestone.condition,
            "percent": milestone.percent,
            "amount": milestone.amount,
            "released_at": milestone.released_at,
        },
    )
    notify(
        _contract_users(contract),
        subject=_("Payment of ¥%(amount)s released under contract %(number)s")
        % {"amount": f"{milestone.amount:,.2f}", "number": contract.number},
        url=reverse("contracts:contract_detail", args=[contract.pk]),
    )
    return milestone


@transaction.atomic
def contract_renew(*, actor: User, contract: Contract, now: datetime | None = None) -> Contract:
    """Renew a contract rated 优秀 or 良好 once, without re-tender (续约): a new term in draft.

    The new contract has the same provider, service project, amount, term, report schedule,
    KPI targets and milestone shares (fresh, none released), starts the day after the old
    term ends, and is linked to it by ``renewal_of``. A renewal cannot be renewed again. The
    palace then signs it and the provider accepts it like any draft.
    """
    contract = _lock(contract)
    if not can_manage_contract(actor, contract):
        raise NotPermitted
    if contract.renewal_of_id is not None:
        raise DomainError(ERR_RENEWAL_OF_RENEWAL)
    renewal = Contract.objects.filter(renewal_of=contract).first()
    if renewal is not None:
        raise DomainError(ERR_ALREADY_RENEWED % {"number": renewal.number})
    if contract.state not in (Contract.State.FINAL_EVALUATION, Contract.State.COMPLETED) or contract.ends_on is None:
        raise DomainError(ERR_RENEW_STATE)
    if conditions.final_rating(contract) not in RENEWABLE_RATINGS:
        raise DomainError(ERR_NOT_RENEWABLE)
    starts_on = contract.ends_on + timedelta(days=1)
    new = Contract.objects.create(
        number=_next_number(contract.palace_id, now),
        palace=contract.palace,
        provider=contract.provider,
        project=contract.project,
        amount=contract.amount,
        term_months=contract.term_months,
        starts_on=starts_on,
        ends_on=add_months(starts_on, contract.term_months) - timedelta(days=1),
        report_schedule=contract.report_schedule,
        renewal_of=contract,
        created_by=actor,
    )
    ContractKpiTarget.objects.bulk_create(
        [
            ContractKpiTarget(
                contract=new, metric=k.metric, category=k.category, label=k.label, target=k.target, unit=k.unit
            )
            for k in contract.kpi_targets.all()
        ]
    )
    Milestone.objects.bulk_create(
        [
            Milestone(contract=new, position=m.position, condition=m.condition, percent=m.percent, amount=0)
            for m in contract.milestones.order_by("position")
        ]
    )
    _split_milestones(new)
    audit.record(
        actor=actor,
        action="contract.renewed",
        obj=new,
        palace=new.palace_id,
        after=audit.snapshot(new, ["number", "renewal_of", "provider", "project", *CONTRACT_FIELDS])
        | {
            "renewal_of_number": contract.number,
            "kpi_targets": _kpi_rows(new),
            "milestones": [
                {"condition": m.condition, "percent": m.percent, "amount": m.amount} for m in new.milestones.all()
            ],
        },
    )
    notify(
        _contract_users(contract),
        subject=_("Contract %(old)s is renewed without re-tender as %(number)s, from %(date)s; the palace will sign it")
        % {"old": contract.number, "number": new.number, "date": f"{starts_on:%Y-%m-%d}"},
        url=reverse("contracts:contract_detail", args=[new.pk]),
    )
    return new
