"""Procurement's scheduled jobs (``manage.py tick``): the deadlines of DOMAIN.md §1.

* close every recruitment whose application deadline has passed (it fails with
  fewer than 2 valid applications);
* award every recruitment whose publicity has ended with every objection
  answered; while objections are open, skip it and tell the admins, once;
* two working days before a deadline, remind the verified providers of the
  palace in the project's category that have not applied, and each applicant
  that it may still revise, once each.

Each job claims one recruitment at a time (``core.scheduler.claim``), in its own
transaction, so overlapping ticks never do the same work twice and one failure
does not stop the rest.
"""

import logging
from datetime import datetime

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.models import Role, User
from core.notify import notify
from core.scheduler import claim, register_job
from core.workdays import WorkCalendar

from .models import Exclusion, Objection, Provider, Recruitment, RecruitmentReminder
from .services import award, publishing

logger = logging.getLogger(__name__)

REMIND_WORKING_DAYS = 2


def _local(when: datetime) -> str:
    return timezone.localtime(when).strftime("%Y-%m-%d %H:%M")


def _summary(counts: dict[str, int]) -> str:
    return ", ".join(f"{label} {n}" for label, n in counts.items())


def close_due_recruitments(now: datetime) -> str:
    """Close (or fail) every published recruitment whose deadline is at or before ``now``."""
    due = Recruitment.objects.filter(state=Recruitment.State.PUBLISHED, deadline__lte=now)
    counts = {"closed": 0, "failed": 0, "skipped": 0, "errors": 0}
    for pk in due.order_by("deadline").values_list("pk", flat=True):
        try:
            with transaction.atomic():
                recruitment = claim(due, pk)
                if recruitment is None:  # another tick has it, or has just closed it
                    counts["skipped"] += 1
                    continue
                recruitment = publishing.recruitment_close(recruitment=recruitment, now=now)
        except Exception:
            logger.exception("Closing recruitment %s failed", pk)
            counts["errors"] += 1
            continue
        counts["failed" if recruitment.state == Recruitment.State.FAILED else "closed"] += 1
    return _summary(counts)


def finalise_ended_publicity(now: datetime) -> str:
    """Award every recruitment whose publicity ended before ``now`` with all objections answered."""
    due = Recruitment.objects.filter(state=Recruitment.State.PUBLICITY, publicity_ends_at__lt=now)
    counts = {"awarded": 0, "waiting for answers": 0, "skipped": 0, "errors": 0}
    for pk in due.order_by("publicity_ends_at").values_list("pk", flat=True):
        try:
            with transaction.atomic():
                recruitment = claim(due, pk)
                if recruitment is None:
                    counts["skipped"] += 1
                    continue
                open_count = recruitment.objections.filter(state=Objection.State.OPEN).count()
                if open_count:
                    _tell_admins_about_open_objections(recruitment, open_count)
                    counts["waiting for answers"] += 1
                    continue
                award.recruitment_finalise(recruitment=recruitment, now=now)
        except Exception:
            logger.exception("Finalising recruitment %s failed", pk)
            counts["errors"] += 1
            continue
        counts["awarded"] += 1
    return _summary(counts)


def _tell_admins_about_open_objections(recruitment: Recruitment, open_count: int) -> None:
    admins = User.objects.filter(
        memberships__palace_id=recruitment.palace_id, memberships__role=Role.ADMIN, is_active=True
    ).distinct()
    fresh = _record_once(recruitment, admins, RecruitmentReminder.Kind.OPEN_OBJECTIONS)
    notify(
        fresh,
        subject=_("Publicity for %(number)s has ended with %(count)d objection(s) unanswered")
        % {"number": recruitment.number, "count": open_count},
        body=_("The recruitment is awarded at the next scheduled run after every objection is answered."),
        url=reverse("procurement:recruitment_detail", args=[recruitment.pk]),
    )


def _record_once(recruitment: Recruitment, users, kind: str) -> list[User]:
    """The users not yet sent ``kind`` about ``recruitment``, now recorded as sent."""
    already = set(
        RecruitmentReminder.objects.filter(recruitment=recruitment, kind=kind).values_list("recipient_id", flat=True)
    )
    fresh = [u for u in users if u.pk not in already]
    # The unique constraint is the last guard: a duplicate rolls the whole recruitment back.
    RecruitmentReminder.objects.bulk_create(
        [RecruitmentReminder(recruitment=recruitment, recipient=u, kind=kind) for u in fresh]
    )
    return fresh


def remind_before_deadline(now: datetime) -> str:
    """From two working days before the deadline: remind non-applicants and applicants, once each."""
    today = timezone.localdate(now)
    calendar = WorkCalendar()
    open_now = Recruitment.objects.filter(state=Recruitment.State.PUBLISHED, deadline__gt=now)
    due = [
        r.pk
        for r in open_now.only("pk", "deadline").order_by("deadline")
        if calendar.working_days_between(today, timezone.localdate(r.deadline)) <= REMIND_WORKING_DAYS
    ]
    counts = {"recruitments": 0, "reminded": 0, "skipped": 0, "errors": 0}
    for pk in due:
        try:
            with transaction.atomic():
                recruitment = claim(open_now.select_related("project"), pk)
                if recruitment is None:
                    counts["skipped"] += 1
                    continue
                counts["reminded"] += _remind(recruitment, today)
        except IntegrityError:
            counts["skipped"] += 1  # a concurrent run recorded the same reminders first
            continue
        except Exception:
            logger.exception("Deadline reminders for recruitment %s failed", pk)
            counts["errors"] += 1
            continue
        counts["recruitments"] += 1
    return _summary(counts)


def _remind(recruitment: Recruitment, today) -> int:
    applicants = list(
        User.objects.filter(provider_link__provider__applications__recruitment=recruitment, is_active=True).distinct()
    )
    excluded = Exclusion.objects.filter(palace_id=recruitment.palace_id, starts_on__lte=today, ends_on__gt=today)
    candidates = (
        Provider.objects.filter(
            palace_id=recruitment.palace_id,
            status=Provider.Status.VERIFIED,
            categories__category=recruitment.project.category,
        )
        .exclude(applications__recruitment=recruitment)
        .exclude(pk__in=excluded.values("provider_id"))
    )
    prospects = list(User.objects.filter(provider_link__provider__in=candidates, is_active=True).distinct())
    kind = RecruitmentReminder.Kind.DEADLINE
    fresh_applicants = _record_once(recruitment, applicants, kind)
    fresh_prospects = _record_once(recruitment, prospects, kind)
    terms = {"number": recruitment.number, "title": recruitment.title, "deadline": _local(recruitment.deadline)}
    url = reverse("notice_detail", args=[recruitment.pk])
    notify(
        fresh_applicants,
        subject=_("Applications for %(number)s close on %(deadline)s") % terms,
        body=_(
            "Your application to “%(title)s” has been received. Until %(deadline)s you may still "
            "revise, resubmit or withdraw it; the last version counts."
        )
        % terms,
        url=url,
    )
    notify(
        fresh_prospects,
        subject=_("Applications for %(number)s close on %(deadline)s") % terms,
        body=_("“%(title)s” is recruiting organisations in your service category. Applications close on %(deadline)s.")
        % terms,
        url=url,
    )
    return len(fresh_applicants) + len(fresh_prospects)


def register_jobs() -> None:
    register_job("procurement.close_recruitments", close_due_recruitments)
    register_job("procurement.finalise_recruitments", finalise_ended_publicity)
    register_job("procurement.deadline_reminders", remind_before_deadline)
