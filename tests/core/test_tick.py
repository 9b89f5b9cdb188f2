"""``manage.py tick`` and the job registry in core.scheduler."""

import io
import threading
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from core import scheduler

SH = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def only_these_jobs(monkeypatch):
    """Replace the registry for the test; returns what each job was called with."""
    calls: list[tuple[str, datetime]] = []
    monkeypatch.setattr(scheduler, "_jobs", {})

    def job(name, result="done", error=None):
        def fn(now):
            calls.append((name, now))
            if error:
                raise error
            return result

        scheduler.register_job(name, fn)

    job.calls = calls
    return job


def tick(*args) -> str:
    out = io.StringIO()
    call_command("tick", *args, stdout=out)
    return out.getvalue()


def test_tick_runs_every_job_once_and_prints_one_line_each(db, only_these_jobs):
    only_these_jobs("a.first", "closed 1")
    only_these_jobs("b.second", "reminded 0")
    output = tick("--now", "2026-12-04T17:01:00+08:00")
    assert output.splitlines() == ["a.first: ok: closed 1", "b.second: ok: reminded 0"]
    when = datetime(2026, 12, 4, 17, 1, tzinfo=SH)
    assert only_these_jobs.calls == [("a.first", when), ("b.second", when)]


def test_a_failing_job_is_reported_the_rest_still_run_and_the_exit_status_says_so(db, only_these_jobs):
    only_these_jobs("a.broken", error=RuntimeError("database gone"))
    only_these_jobs("b.fine", "ok then")
    out = io.StringIO()
    with pytest.raises(CommandError) as failure:
        call_command("tick", stdout=out)
    assert failure.value.returncode == 1
    assert out.getvalue().splitlines() == ["a.broken: FAILED: RuntimeError: database gone", "b.fine: ok: ok then"]


def test_tick_can_run_one_job_and_list_them(db, only_these_jobs):
    only_these_jobs("a.first")
    only_these_jobs("b.second")
    assert tick("--list").splitlines() == ["a.first", "b.second"]
    assert tick("--job", "b.second").splitlines() == ["b.second: ok: done"]
    assert [name for name, _ in only_these_jobs.calls] == ["b.second"]
    with pytest.raises(CommandError, match="No such job"):
        tick("--job", "nope")


def test_a_naive_now_is_read_in_the_palaces_time_zone(db, only_these_jobs):
    only_these_jobs("a.first")
    tick("--now", "2026-12-04 17:01")
    assert only_these_jobs.calls[0][1] == datetime(2026, 12, 4, 17, 1, tzinfo=SH)
    with pytest.raises(CommandError, match="Not an ISO"):
        tick("--now", "tomorrow")


def test_the_real_registry_has_procurements_jobs_and_viewflows_timers(db):
    names = list(scheduler.registered_jobs())
    assert {
        "procurement.close_recruitments",
        "procurement.finalise_recruitments",
        "procurement.deadline_reminders",
        "viewflow.workflow_timers",
    } <= set(names)
    lines = tick().splitlines()
    assert len(lines) == len(names)
    assert all(": ok: " in line for line in lines), lines
    assert "viewflow.workflow_timers: ok: 0 timer(s) fired" in "\n".join(lines)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="advisory locks need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_viewflows_sweep_is_skipped_while_another_tick_runs_it():
    holding, release = threading.Event(), threading.Event()

    def other_tick():
        try:
            with scheduler.exclusive("workflow_timers") as mine:
                assert mine
                holding.set()
                release.wait(timeout=30)
        finally:
            connection.close()

    thread = threading.Thread(target=other_tick)
    thread.start()
    try:
        assert holding.wait(timeout=10)
        assert scheduler.workflow_timers(None).startswith("skipped")
    finally:
        release.set()
        thread.join(timeout=30)
    assert scheduler.workflow_timers(None).startswith("0 timer(s) fired")
