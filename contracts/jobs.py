"""Contracts' scheduled jobs (``manage.py tick``): the report deadlines of DOMAIN.md §3.

* remind the provider 3 days before a report is due, and on the day it falls overdue
  (each reminder once: ``ReportReminder`` is unique per report and kind);
* score 0 every report still outstanding when the next period closes.

Each report is handled in its own transaction, so one failure does not stop the rest
and overlapping ticks cannot send a reminder twice.
"""

from datetime import datetime

from core.scheduler import register_job

from .services import reports_mark_missed, reports_remind


def remind_reports(now: datetime) -> str:
    return f"reminders {reports_remind(now)}"


def mark_missed_reports(now: datetime) -> str:
    return f"missed {reports_mark_missed(now)}"


def register_jobs() -> None:
    register_job("contracts.remind_reports", remind_reports)
    register_job("contracts.mark_missed_reports", mark_missed_reports)
