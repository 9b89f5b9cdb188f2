"""Procurement's scheduled jobs: closing at the deadline, awarding after publicity, reminders."""

import threading
from datetime import datetime, time, timedelta

import pytest
import time_machine
from django.db import connection, transaction
from django.utils import timezone

from contracts.models import Contract
from core.models import Notification, Role
from core.scheduler import run_jobs
from core.workdays import working_days_between
from procurement import jobs, services
from procurement.models import Exclusion, Recruitment, RecruitmentReminder, ServiceCategory
from procurement.services import publishing

from ..factories import PalaceFactory, ProviderFactory, provider_user, staff
from ..recruitment_builders import RecruitmentBuilder, Stage, build_recruitment

PROCUREMENT_JOBS = [
    "procurement.close_recruitments",
    "procurement.finalise_recruitments",
    "procurement.deadline_reminders",
]


def state_of(recruitment) -> str:
    recruitment.refresh_from_db()
    return recruitment.state


# --- closing ----------------------------------------------------------------------------------


def test_tick_closes_a_recruitment_once_its_deadline_has_passed(db):
    built = build_recruitment(Stage.APPLIED, applicants=3)
    deadline = built.recruitment.deadline
    assert jobs.close_due_recruitments(deadline - timedelta(minutes=1)).startswith("closed 0")
    assert state_of(built.recruitment) == Recruitment.State.PUBLISHED

    summary = jobs.close_due_recruitments(deadline + timedelta(minutes=1))
    assert summary.startswith("closed 1, failed 0")
    assert state_of(built.recruitment) == Recruitment.State.CLOSED
    assert built.recruitment.applications.filter(is_valid=True).count() == 3
    detail = f"/recruitments/{built.recruitment.pk}/"
    assert Notification.objects.filter(recipient=built.admin, url__contains=detail).exists()


def test_tick_fails_a_recruitment_with_fewer_than_two_valid_applications(db):
    built = build_recruitment(Stage.APPLIED, applicants=1, invalid=1)
    with time_machine.travel(built.recruitment.deadline + timedelta(hours=1), tick=False):
        summary = jobs.close_due_recruitments(timezone.now())
    assert summary.startswith("closed 0, failed 1")
    assert state_of(built.recruitment) == Recruitment.State.FAILED
    withdrawn = built.recruitment.applications.get(is_valid=False)
    assert withdrawn.invalid_reason


def test_closing_twice_does_nothing_the_second_time(db):
    built = build_recruitment(Stage.APPLIED, applicants=2)
    after = built.recruitment.deadline + timedelta(minutes=5)
    jobs.close_due_recruitments(after)
    notified = Notification.objects.count()
    assert jobs.close_due_recruitments(after + timedelta(minutes=1)) == "closed 0, failed 0, skipped 0, errors 0"
    assert Notification.objects.count() == notified


def test_one_broken_recruitment_does_not_stop_the_others(db, monkeypatch):
    first = build_recruitment(Stage.APPLIED, applicants=2)
    second = build_recruitment(Stage.APPLIED, applicants=2, palace=first.palace)
    real_close = publishing.recruitment_close

    def close(*, recruitment, now):
        if recruitment.pk == first.recruitment.pk:
            raise RuntimeError("broken")
        return real_close(recruitment=recruitment, now=now)

    monkeypatch.setattr(publishing, "recruitment_close", close)
    later = max(first.recruitment.deadline, second.recruitment.deadline) + timedelta(minutes=1)
    assert jobs.close_due_recruitments(later) == "closed 1, failed 0, skipped 0, errors 1"
    assert state_of(first.recruitment) == Recruitment.State.PUBLISHED
    assert state_of(second.recruitment) == Recruitment.State.CLOSED


# --- finalising ---------------------------------------------------------------------------------


def test_tick_awards_after_publicity_and_drafts_the_contract(db):
    built = build_recruitment(Stage.PUBLICITY)
    ends = built.recruitment.publicity_ends_at
    assert jobs.finalise_ended_publicity(ends - timedelta(minutes=1)).startswith("awarded 0")
    assert state_of(built.recruitment) == Recruitment.State.PUBLICITY

    assert jobs.finalise_ended_publicity(ends + timedelta(minutes=1)).startswith("awarded 1")
    assert state_of(built.recruitment) == Recruitment.State.AWARDED
    assert Contract.objects.filter(recruitment=built.recruitment).count() == 1
    assert jobs.finalise_ended_publicity(ends + timedelta(minutes=2)).startswith("awarded 0")
    assert Contract.objects.filter(recruitment=built.recruitment).count() == 1


def test_open_objection_holds_the_award_and_the_admins_hear_once(db):
    built = build_recruitment(Stage.PUBLICITY)
    recruitment = built.recruitment
    objection = services.objection_lodge(
        actor=built.provider_users[1], recruitment=recruitment, grounds="评分存在明显错误", now=timezone.now()
    )
    after = recruitment.publicity_ends_at + timedelta(minutes=1)
    told = {user: Notification.objects.filter(recipient=user).count() for user in (built.admin, built.approver)}

    assert "waiting for answers 1" in jobs.finalise_ended_publicity(after)
    assert state_of(recruitment) == Recruitment.State.PUBLICITY
    for user, count in told.items():
        assert Notification.objects.filter(recipient=user).count() == count + 1
    assert set(
        RecruitmentReminder.objects.filter(
            recruitment=recruitment, kind=RecruitmentReminder.Kind.OPEN_OBJECTIONS
        ).values_list("recipient", flat=True)
    ) == {built.admin.pk, built.approver.pk}

    jobs.finalise_ended_publicity(after + timedelta(minutes=1))
    for user, count in told.items():  # not told twice
        assert Notification.objects.filter(recipient=user).count() == count + 1

    services.objection_answer(actor=built.admin, objection=objection, upheld=False, answer="经复核，评分无误。")
    assert jobs.finalise_ended_publicity(after + timedelta(minutes=2)).startswith("awarded 1")
    assert state_of(recruitment) == Recruitment.State.AWARDED


# --- reminders ----------------------------------------------------------------------------------


def day_with_working_days_left(deadline: datetime, left: int) -> datetime:
    """09:00 on the last day from which exactly ``left`` working days remain until the deadline."""
    end = timezone.localdate(deadline)
    day = end
    while working_days_between(day, end) < left:
        day -= timedelta(days=1)
    return timezone.make_aware(datetime.combine(day, time(9, 0)))


@pytest.fixture
def open_recruitment(db):
    """Two applicants (one then withdrew) and the palace's other providers, relevant or not."""
    builder = RecruitmentBuilder(applicants=1, invalid=1, category=ServiceCategory.TRAINING)
    builder.advance_to(Stage.APPLIED)
    palace = builder.palace
    prospect = ProviderFactory(
        palace=palace,
        verified=True,
        name="汶上县技工学校",
        categories=[ServiceCategory.TRAINING, ServiceCategory.CULTURE],
    )
    others = {
        "other category": ProviderFactory(palace=palace, verified=True, categories=[ServiceCategory.SPORTS]),
        "not verified": ProviderFactory(palace=palace, categories=[ServiceCategory.TRAINING]),
        "other palace": ProviderFactory(
            palace=PalaceFactory(foshan=True), verified=True, categories=[ServiceCategory.TRAINING]
        ),
        "excluded": ProviderFactory(palace=palace, verified=True, categories=[ServiceCategory.TRAINING]),
    }
    today = timezone.localdate()
    Exclusion.objects.create(
        provider=others["excluded"],
        palace=palace,
        starts_on=today - timedelta(days=30),
        ends_on=today + timedelta(days=335),
        reason="终期评价为差",
        created_by=builder.admin,
    )
    builder.prospect_user = provider_user(prospect)
    builder.other_users = {why: provider_user(p) for why, p in others.items()}
    return builder


def test_reminders_go_two_working_days_before_the_deadline_once_each(open_recruitment):
    b = open_recruitment
    deadline = b.recruitment.deadline
    applicant, withdrawn = b.provider_users
    before = Notification.objects.count()

    assert jobs.remind_before_deadline(day_with_working_days_left(deadline, 3)).startswith("recruitments 0")
    assert Notification.objects.count() == before

    due = day_with_working_days_left(deadline, 2)
    assert jobs.remind_before_deadline(due).startswith("recruitments 1, reminded 3")
    for user in (applicant, withdrawn, b.prospect_user):
        [reminder] = Notification.objects.filter(recipient=user, url__contains=f"/notices/{b.recruitment.pk}/")
        assert b.recruitment.number in reminder.subject
    revise = Notification.objects.get(recipient=applicant, url__contains="/notices/")
    assert revise.body != Notification.objects.get(recipient=b.prospect_user).body
    for why, user in b.other_users.items():
        assert not Notification.objects.filter(recipient=user).exists(), why

    assert jobs.remind_before_deadline(due + timedelta(hours=3)).startswith("recruitments 1, reminded 0")
    assert jobs.remind_before_deadline(deadline - timedelta(minutes=5)).startswith("recruitments 1, reminded 0")
    assert Notification.objects.filter(url__contains="/notices/").count() == 3
    assert RecruitmentReminder.objects.filter(recruitment=b.recruitment).count() == 3


def test_a_provider_registering_late_is_still_reminded(open_recruitment):
    b = open_recruitment
    due = day_with_working_days_left(b.recruitment.deadline, 2)
    jobs.remind_before_deadline(due)
    late = provider_user(ProviderFactory(palace=b.palace, verified=True, categories=[ServiceCategory.TRAINING]))
    assert "reminded 1" in jobs.remind_before_deadline(due + timedelta(hours=1))
    assert Notification.objects.filter(recipient=late).count() == 1


def test_no_reminder_after_the_deadline(open_recruitment):
    b = open_recruitment
    assert jobs.remind_before_deadline(b.recruitment.deadline + timedelta(minutes=1)).startswith("recruitments 0")


# --- the whole tick -----------------------------------------------------------------------------


def test_a_second_tick_does_nothing(db):
    applying = build_recruitment(Stage.APPLIED, applicants=2)
    publicity = build_recruitment(Stage.PUBLICITY, palace=applying.palace)
    now = max(applying.recruitment.deadline, publicity.recruitment.publicity_ends_at) + timedelta(minutes=1)
    first = {r.name: r.summary for r in run_jobs(now, PROCUREMENT_JOBS)}
    assert first["procurement.close_recruitments"].startswith("closed 1")
    assert first["procurement.finalise_recruitments"].startswith("awarded 1")
    notified = Notification.objects.count()
    second = {r.name: r.summary for r in run_jobs(now + timedelta(minutes=1), PROCUREMENT_JOBS)}
    assert second["procurement.close_recruitments"].startswith("closed 0, failed 0")
    assert second["procurement.finalise_recruitments"].startswith("awarded 0, waiting for answers 0")
    assert Notification.objects.count() == notified


# --- overlapping ticks (PostgreSQL row locks) -----------------------------------------------------


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_a_tick_skips_a_recruitment_another_tick_holds():
    built = build_recruitment(Stage.APPLIED, applicants=2)
    locked, release = threading.Event(), threading.Event()

    def other_tick():
        try:
            with transaction.atomic():
                Recruitment.objects.select_for_update().get(pk=built.recruitment.pk)
                locked.set()
                release.wait(timeout=30)
        finally:
            connection.close()

    holder = threading.Thread(target=other_tick)
    holder.start()
    try:
        assert locked.wait(timeout=10)
        after = built.recruitment.deadline + timedelta(minutes=1)
        assert jobs.close_due_recruitments(after) == "closed 0, failed 0, skipped 1, errors 0"
    finally:
        release.set()
        holder.join(timeout=30)
    assert state_of(built.recruitment) == Recruitment.State.PUBLISHED
    assert jobs.close_due_recruitments(after).startswith("closed 1")


def test_only_admins_of_the_palace_hear_about_open_objections(db):
    built = build_recruitment(Stage.PUBLICITY)
    stranger = staff(PalaceFactory(foshan=True), Role.ADMIN)
    services.objection_lodge(
        actor=built.provider_users[0], recruitment=built.recruitment, grounds="异议", now=timezone.now()
    )
    jobs.finalise_ended_publicity(built.recruitment.publicity_ends_at + timedelta(minutes=1))
    assert not Notification.objects.filter(recipient=stranger).exists()
