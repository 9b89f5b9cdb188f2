"""Evaluation's scheduled jobs (``manage.py tick``): rectification deadlines, the monthly summary
PDF of every month whose 14-day rating window has closed, and the final evaluation's dates: opening
30 days before the end, closing the appeal window, and the end of the term."""

from datetime import datetime

from core.scheduler import register_job
from evaluations.final.services.appeal import appeal_windows_close
from evaluations.final.services.evaluation import final_evaluations_open_due
from evaluations.final.services.renewal import final_terms_end
from evaluations.rectification.services import orders_fail_overdue
from evaluations.standing.summaries import close_periods


def fail_overdue_orders(now: datetime) -> str:
    return f"failed {orders_fail_overdue(now)}"


def open_final_evaluations(now: datetime) -> str:
    return f"opened {final_evaluations_open_due(now)}"


def close_appeal_windows(now: datetime) -> str:
    return f"closed {appeal_windows_close(now)}"


def end_final_terms(now: datetime) -> str:
    return f"ended {final_terms_end(now)}"


def register_jobs() -> None:
    register_job("evaluations.fail_overdue_orders", fail_overdue_orders)
    register_job("evaluations.close_periods", close_periods)
    register_job("evaluations.open_final_evaluations", open_final_evaluations)
    register_job("evaluations.close_appeal_windows", close_appeal_windows)
    register_job("evaluations.end_final_terms", end_final_terms)
