"""The jobs that ``manage.py tick`` runs: deadlines nobody clicks for.

Apps register their jobs in ``AppConfig.ready()``::

    register_job("procurement.close_recruitments", close_due_recruitments)

A job is ``fn(now) -> str``: it does whatever is due at ``now`` and returns a
one-line summary. core knows no job by name, so it imports no domain app.

Jobs must be idempotent and safe to overlap: cron starts ``tick`` every minute
and a slow run may still be going when the next starts. So a job claims each
row it changes under a lock that a second tick skips rather than waits for
(``claim`` below: ``SELECT … FOR UPDATE SKIP LOCKED`` on PostgreSQL), checks
again under the lock that the work is still due, and does each item in its own
transaction, so one failure does not undo or block the others.
"""

import contextlib
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from django.apps import apps
from django.db import connection, models

logger = logging.getLogger(__name__)

Job = Callable[[datetime], str]


@dataclass(frozen=True)
class JobResult:
    name: str
    ok: bool
    summary: str


_jobs: dict[str, Job] = {}


def register_job(name: str, fn: Job) -> Job:
    """Add ``fn`` to every tick, under ``name`` (registering a name again replaces it)."""
    _jobs[name] = fn
    return fn


def registered_jobs() -> dict[str, Job]:
    return dict(_jobs)


def run_jobs(now: datetime, names: list[str] | None = None) -> list[JobResult]:
    """Run each registered job (or only ``names``) once, in registration order.

    A job that raises is logged and reported as failed; the others still run.
    """
    results = []
    for name, fn in _jobs.items():
        if names is not None and name not in names:
            continue
        try:
            summary = fn(now)
        except Exception as exc:
            logger.exception("Scheduled job %s failed", name)
            results.append(JobResult(name, False, f"{type(exc).__name__}: {exc}"))
        else:
            results.append(JobResult(name, True, summary))
    return results


M = TypeVar("M", bound=models.Model)


def claim(queryset: models.QuerySet[M], pk) -> M | None:
    """Lock and return the row ``pk`` of ``queryset`` if it still matches, else None.

    Call it inside ``transaction.atomic()``. A row another tick holds is skipped
    (None), not waited for; the filters of ``queryset`` are checked again under
    the lock, so work a concurrent tick has just finished is not done twice. On
    databases without row locks (SQLite serialises writers) it is a plain read.
    """
    return queryset.select_for_update(skip_locked=True, of=("self",)).filter(pk=pk).first()


@contextlib.contextmanager
def exclusive(name: str) -> Iterator[bool]:
    """Yield True if this process may run ``name`` now, False while another tick runs it.

    For work that cannot lock rows of its own. A PostgreSQL session advisory
    lock, released on exit (or when the connection drops with a crashed tick).
    Elsewhere always True: SQLite is for development, with one tick at a time.
    """
    if connection.vendor != "postgresql":
        yield True
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(hashtext(%s))", [f"hezuo.tick.{name}"])
        got = cursor.fetchone()[0]
    try:
        yield got
    finally:
        if got:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(hashtext(%s))", [f"hezuo.tick.{name}"])


def workflow_timers(now: datetime) -> str:
    """viewflow's own dispatcher (what ``manage.py workflow_timers`` runs), once per tick.

    viewflow fires what is due by its own clock, not ``now``. Its timers and
    conditions lock each task, but its scheduled process starts do not, so the
    whole sweep runs under ``exclusive``.
    """
    # Imported here: viewflow.workflow is optional (see the is_installed check below), and its
    # timers import its models.
    from viewflow.workflow.timers import fire_due_conditions, fire_due_start_timers, fire_due_timers

    with exclusive("workflow_timers") as mine:
        if not mine:
            return "skipped: another tick is running it"
        fired, started, conditions = fire_due_timers(), fire_due_start_timers(), fire_due_conditions()
    return f"{fired} timer(s) fired, {started} process(es) started, {conditions} condition(s) fired"


if apps.is_installed("viewflow.workflow"):
    register_job("viewflow.workflow_timers", workflow_timers)
