"""Service reports: drafted, imported, submitted, reviewed, reminded and, when missed, scored 0 (DOMAIN.md §3)."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import ProtectedError
from django.dispatch import Signal
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core import audit
from core.errors import DomainError, NotPermitted
from core.models import Role, User
from core.notify import notify
from core.uploads import check_file_count, check_upload, store_upload
from procurement.models import ServiceCategory

from ..imports import parse_activities
from ..models import (
    Activity,
    Contract,
    ReportAttachment,
    ReportReminder,
    ReportVersion,
    ServiceReport,
)
from ..permissions import can_edit_report, can_review_report, is_party

__all__ = [
    "ActivityInput",
    "report_edit_problem",
    "report_save",
    "report_import_activities",
    "report_submit",
    "report_review",
    "reports_remind",
    "reports_mark_missed",
    "report_reviewers",
    "report_scored",
    "ERR_ALREADY_SUBMITTED",
    "ERR_NO_ACTIVITIES",
    "ERR_NO_NARRATIVE",
    "ERR_OUT_OF_PERIOD",
    "ERR_SCORE",
    "ERR_RETURN_COMMENT",
    "ERR_NOT_SUBMITTED",
    "ERR_NOT_EDITABLE",
    "ERR_TOO_MANY_ATTACHMENTS",
]

# Sent inside the transaction whenever a report gets its score (accepted, or missed and scored 0),
# with ``report``; the real-time evaluation adds it to the contract's running score.
report_scored = Signal()

ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024  # DOMAIN.md §3: ≤ 10 MB each
MAX_ATTACHMENTS = 20
MAX_TYPED_ACTIVITIES = 500
REMIND_DAYS_BEFORE = 3

ERR_ALREADY_SUBMITTED = _("This report was already submitted; it is waiting for review.")
ERR_NOT_EDITABLE = _("This report can no longer be changed.")
ERR_NO_ACTIVITIES = _("List at least one activity, or import them from the check-in export.")
ERR_NO_NARRATIVE = _("Write the narrative: what was delivered in the period and how it went.")
ERR_OUT_OF_PERIOD = _("Activity %(n)d: the date %(date)s is outside the report period %(start)s – %(end)s.")
ERR_ACTIVITY = _("Activity %(n)d: %(problem)s")
ERR_SCORE = _("Give a score from 0 to 100 to accept the report.")
ERR_RETURN_COMMENT = _("Say what must be revised before returning the report.")
ERR_NOT_SUBMITTED = _("Only a submitted report can be reviewed.")
ERR_TOO_MANY_ATTACHMENTS = _("A report can carry at most %(max)d attachments.")
ERR_CONTRACT_NOT_IN_FORCE = _("The contract has ended (or is not yet in force), so its reports cannot be changed.")
ERR_FORMULA = _("text may not start with =, +, - or @")
ERR_RATED_ACTIVITY = _("Workers have already rated these activities, so they cannot be removed: %(activities)s.")


@dataclass(frozen=True)
class ActivityInput:
    date: date
    title: str
    category: str
    place: str
    participants: int


def _lock(report: ServiceReport) -> ServiceReport:
    # Contract first, then report: the same order as every contract service, so they cannot deadlock.
    Contract.objects.select_for_update(no_key=True).get(pk=report.contract_id)
    return ServiceReport.objects.select_for_update().select_related("contract", "contract__provider").get(pk=report.pk)


def report_edit_problem(user: User, report: ServiceReport) -> str:
    """Why ``user`` cannot change the report now, or "" when they can. One predicate for page and service."""
    if report.contract.state not in Contract.IN_FORCE:
        return str(ERR_CONTRACT_NOT_IN_FORCE)
    if report.state == ServiceReport.State.SUBMITTED:
        return str(ERR_ALREADY_SUBMITTED)
    if not can_edit_report(user, report):
        return str(ERR_NOT_EDITABLE)
    return ""


def _require_editable(actor: User, report: ServiceReport) -> None:
    if not is_party(actor, report.contract):
        raise NotPermitted
    problem = report_edit_problem(actor, report)
    if problem:
        raise DomainError(problem)


def _mark_draft(report: ServiceReport) -> None:
    # A returned report keeps its state while it is revised: it is no longer "outstanding",
    # so it can neither fall overdue again nor be scored 0 as missed.
    if report.state != ServiceReport.State.RETURNED:
        report.save_draft()


def _check_activities(report: ServiceReport, activities: Sequence[ActivityInput]) -> None:
    """Every problem at once, numbered as the form shows them; nothing is saved unless all are right."""
    problems = []
    for n, a in enumerate(activities, start=1):
        if a.date is None or not (report.period_start <= a.date <= report.period_end):
            problems.append(
                ERR_OUT_OF_PERIOD
                % {
                    "n": n,
                    "date": f"{a.date:%Y-%m-%d}" if a.date else "—",
                    "start": f"{report.period_start:%Y-%m-%d}",
                    "end": f"{report.period_end:%Y-%m-%d}",
                }
            )
        if not a.title.strip() or not a.place.strip():
            problems.append(ERR_ACTIVITY % {"n": n, "problem": _("the title and the place are required")})
        elif a.title.strip()[:1] in "=+-@" or a.place.strip()[:1] in "=+-@":
            problems.append(ERR_ACTIVITY % {"n": n, "problem": ERR_FORMULA})
        if a.category not in ServiceCategory.values:
            problems.append(ERR_ACTIVITY % {"n": n, "problem": _("choose a category")})
        if a.participants is None or a.participants < 0:
            problems.append(ERR_ACTIVITY % {"n": n, "problem": _("the number of participants cannot be negative")})
    if len(activities) > MAX_TYPED_ACTIVITIES:
        problems.append(
            _("At most %(max)d activities can be typed in; import a larger list from a file.")
            % {"max": MAX_TYPED_ACTIVITIES}
        )
    if problems:
        raise DomainError(" ".join(str(p) for p in problems), field="activities")


def _activity_key(date_, title: str, category: str, place: str) -> tuple:
    return (date_, title.strip()[:200], category, place.strip()[:100])


def _replace_activities(report: ServiceReport, activities: Sequence[ActivityInput], source: str) -> None:
    """Make the report's activities exactly ``activities``, keeping the rows that stay.

    An activity's row outlives re-saves and re-imports (matched on date, title, category
    and place; only its count changes), because its public rating link and the workers'
    ratings hang on it. Removing an activity that workers have rated is refused.
    """
    existing: dict[tuple, list[Activity]] = {}
    for row in report.activities.all():
        existing.setdefault(_activity_key(row.date, row.title, row.category, row.place), []).append(row)
    create, update = [], []
    for a in activities:
        rows = existing.get(_activity_key(a.date, a.title, a.category, a.place))
        if rows:
            row = rows.pop(0)
            if row.participants != a.participants:
                row.participants = a.participants
                update.append(row)
            continue
        create.append(
            Activity(
                report=report,
                contract_id=report.contract_id,
                palace_id=report.contract.palace_id,
                date=a.date,
                title=a.title.strip()[:200],
                category=a.category,
                place=a.place.strip()[:100],
                participants=a.participants,
                source=source,
            )
        )
    gone = [row for rows in existing.values() for row in rows]
    if gone:
        try:
            with transaction.atomic():
                Activity.objects.filter(pk__in=[row.pk for row in gone]).delete()
        except ProtectedError as exc:
            rated = sorted(
                {f"{a.date:%Y-%m-%d} {a.title}" for a in exc.protected_objects if isinstance(a, Activity)}
                or {str(o) for o in exc.protected_objects}
            )
            raise DomainError(ERR_RATED_ACTIVITY % {"activities": "；".join(rated)}, field="activities") from None
    Activity.objects.bulk_update(update, ["participants"], batch_size=1000)
    Activity.objects.bulk_create(create, batch_size=1000)


def _check_attachments(report: ServiceReport, uploads: Sequence[UploadedFile], remove: Sequence) -> None:
    check_file_count(uploads)
    kept = report.attachments.exclude(pk__in=[int(pk) for pk in remove]).count()
    if kept + len(uploads) > MAX_ATTACHMENTS:
        raise DomainError(ERR_TOO_MANY_ATTACHMENTS % {"max": MAX_ATTACHMENTS}, field="attachments")
    for upload in uploads:
        check_upload(upload=upload, max_bytes=ATTACHMENT_MAX_BYTES)


def _summary(report: ServiceReport) -> dict:
    totals = [(a.category, a.participants) for a in report.activities.all()]
    return {
        "state": report.state,
        "activities": len(totals),
        "participants": sum(p for _c, p in totals),
        "attachments": list(report.attachments.values_list("file__original_name", flat=True)),
    }


@transaction.atomic
def report_save(
    *,
    actor: User,
    report: ServiceReport,
    narrative: str,
    activities: Sequence[ActivityInput] | None = None,
    attachments: Sequence[UploadedFile] = (),
    remove_attachments: Sequence = (),
) -> ServiceReport:
    """Save the provider's work on a report as a draft.

    ``activities=None`` leaves the activity list alone (as after an import); a list replaces it.
    Every check runs before anything is written, so a refused save stores no file and no row.
    """
    report = _lock(report)
    _require_editable(actor, report)
    if activities is not None:
        _check_activities(report, activities)
    _check_attachments(report, attachments, remove_attachments)
    before = _summary(report)
    _mark_draft(report)
    report.narrative = narrative.strip()
    report.save()
    if activities is not None:
        _replace_activities(report, activities, Activity.Source.TYPED)
    for attachment in report.attachments.filter(pk__in=[int(pk) for pk in remove_attachments]):
        attachment.delete()
    for upload in attachments:
        stored = store_upload(upload=upload, purpose="service_report", actor=actor, max_bytes=ATTACHMENT_MAX_BYTES)
        ReportAttachment.objects.create(report=report, file=stored)
    audit.record(
        actor=actor,
        action="report.saved",
        obj=report,
        palace=report.contract.palace_id,
        before=before,
        after=_summary(report),
    )
    return report


@transaction.atomic
def report_import_activities(*, actor: User, report: ServiceReport, upload: UploadedFile) -> int:
    """Replace the report's activities with a venue check-in export (CSV or XLSX): all rows or none."""
    report = _lock(report)
    _require_editable(actor, report)
    rows = parse_activities(upload, period_start=report.period_start, period_end=report.period_end)
    before = _summary(report)
    _mark_draft(report)
    report.save()
    _replace_activities(
        report,
        [ActivityInput(r.date, r.title, r.category, r.place, r.participants) for r in rows],
        Activity.Source.IMPORTED,
    )
    audit.record(
        actor=actor,
        action="report.imported",
        obj=report,
        palace=report.contract.palace_id,
        before=before,
        after=_summary(report) | {"file": upload.name[:200], "rows": len(rows)},
    )
    return len(rows)


def report_reviewers(contract: Contract):
    return User.objects.filter(
        memberships__palace_id=contract.palace_id, memberships__role__in=[Role.ADMIN, Role.EVALUATOR], is_active=True
    ).distinct()


@transaction.atomic
def report_submit(*, actor: User, report: ServiceReport, now: datetime | None = None) -> ServiceReport:
    """Submit the report for review. A second submission (double click, second tab) is refused."""
    report = _lock(report)
    _require_editable(actor, report)
    if not report.narrative.strip():
        raise DomainError(ERR_NO_NARRATIVE, field="narrative")
    activities = list(report.activities.order_by("date", "id"))
    if not activities:
        raise DomainError(ERR_NO_ACTIVITIES, field="activities")
    before = audit.snapshot(report, ["state", "version"])
    now = now or timezone.now()
    report.submit()
    report.version += 1
    report.submitted_at, report.submitted_by = now, actor
    report.save()
    ReportVersion.objects.create(
        report=report,
        number=report.version,
        submitted_at=now,
        submitted_by=actor,
        narrative=report.narrative,
        activities=[
            {
                "date": f"{a.date:%Y-%m-%d}",
                "title": a.title,
                "category": a.category,
                "place": a.place,
                "participants": a.participants,
            }
            for a in activities
        ],
        attachments=[
            {"name": f.original_name, "file": str(f.pk)}
            for f in (att.file for att in report.attachments.select_related("file"))
        ],
    )
    audit.record(
        actor=actor,
        action="report.submitted",
        obj=report,
        palace=report.contract.palace_id,
        before=before,
        after=_summary(report) | {"version": report.version},
    )
    notify(
        report_reviewers(report.contract),
        subject=_("Service report %(report)s was submitted for review") % {"report": str(report)},
        url=reverse("contracts:report_detail", args=[report.pk]),
    )
    return report


@transaction.atomic
def report_review(
    *,
    actor: User,
    report: ServiceReport,
    accept: bool,
    score: Decimal | None = None,
    comment: str = "",
    now: datetime | None = None,
) -> ServiceReport:
    """Accept the submitted report with a score of 0–100, or return it for revision with comments."""
    report = _lock(report)
    if not can_review_report(actor, report):
        raise NotPermitted
    if report.state != ServiceReport.State.SUBMITTED:
        raise DomainError(ERR_NOT_SUBMITTED)
    comment = comment.strip()
    if accept and (score is None or not (0 <= score <= 100)):
        raise DomainError(ERR_SCORE, field="score")
    if not accept and not comment:
        raise DomainError(ERR_RETURN_COMMENT, field="comment")
    before = audit.snapshot(report, ["state", "score", "review_comment"])
    if accept:
        report.accept()
        report.score = score
    else:
        report.send_back()
        report.score = None
    report.review_comment, report.reviewed_at, report.reviewed_by = comment, now or timezone.now(), actor
    report.save()
    ReportVersion.objects.filter(report=report, number=report.version).update(
        outcome=report.state, score=report.score, review_comment=comment
    )
    audit.record(
        actor=actor,
        action="report.accepted" if accept else "report.returned",
        obj=report,
        palace=report.contract.palace_id,
        before=before,
        after=audit.snapshot(report, ["state", "score", "review_comment", "version"]),
    )
    if accept:
        report_scored.send(sender=ServiceReport, report=report)
    users = User.objects.filter(provider_link__provider_id=report.contract.provider_id, is_active=True)
    if accept:
        subject = _("Service report %(report)s was accepted with a score of %(score)s") % {
            "report": str(report),
            "score": f"{score.normalize():f}",
        }
    else:
        subject = _("Service report %(report)s was returned for revision") % {"report": str(report)}
    notify(users, subject=subject, body=comment, url=reverse("contracts:report_detail", args=[report.pk]))
    return report


# --- the scheduler's jobs ---------------------------------------------------------------------------

IN_FORCE = Contract.IN_FORCE


def reports_remind(now: datetime) -> int:
    """Remind providers 3 days before a report is due, and on the day it falls overdue. Each once."""
    today = timezone.localdate(now)
    due = ServiceReport.objects.filter(state__in=ServiceReport.OUTSTANDING, contract__state__in=IN_FORCE)
    plans = [
        (ReportReminder.Kind.DUE_SOON, due.filter(due_on__gt=today, due_on__lte=today + timedelta(REMIND_DAYS_BEFORE))),
        (ReportReminder.Kind.OVERDUE, due.filter(due_on__lt=today)),
    ]
    sent = 0
    for kind, reports in plans:
        for report in reports.exclude(reminders__kind=kind).select_related("contract"):
            with transaction.atomic():
                _reminder, created = ReportReminder.objects.get_or_create(
                    report=report, kind=kind, defaults={"sent_at": now}
                )
                if not created:
                    continue
                users = User.objects.filter(provider_link__provider_id=report.contract.provider_id, is_active=True)
                if kind == ReportReminder.Kind.DUE_SOON:
                    subject = _("Service report %(report)s is due on %(date)s")
                else:
                    subject = _("Service report %(report)s is overdue since %(date)s")
                notify(
                    users,
                    subject=subject % {"report": str(report), "date": f"{report.due_on:%Y-%m-%d}"},
                    url=reverse("contracts:report_detail", args=[report.pk]),
                )
                sent += 1
    return sent


def reports_mark_missed(now: datetime) -> int:
    """A report still outstanding when the next period closes scores 0, recorded as missed."""
    today = timezone.localdate(now)
    missed = 0
    for pk in ServiceReport.objects.filter(
        state__in=ServiceReport.OUTSTANDING, missed_after__lt=today, contract__state__in=IN_FORCE
    ).values_list("pk", flat=True):
        with transaction.atomic():
            report = ServiceReport.objects.select_for_update().select_related("contract").get(pk=pk)
            if report.state not in ServiceReport.OUTSTANDING:
                continue
            before = audit.snapshot(report, ["state", "score"])
            report.miss()
            report.score = Decimal(0)
            report.review_comment = str(
                _("Not submitted by the time the next period closed (%(date)s).")
                % {"date": f"{report.missed_after:%Y-%m-%d}"}
            )
            report.save()
            audit.record(
                actor=None,
                action="report.missed",
                obj=report,
                palace=report.contract.palace_id,
                before=before,
                after=audit.snapshot(report, ["state", "score", "review_comment"]),
            )
            report_scored.send(sender=ServiceReport, report=report)
            missed += 1
    return missed
