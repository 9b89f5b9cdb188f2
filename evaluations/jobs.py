"""Real-time evaluation's scheduled jobs (``manage.py tick``): rectification deadlines, and the
monthly summary PDF of every month whose 14-day rating window has closed."""

from datetime import datetime

from core.scheduler import register_job

from .services import orders_fail_overdue
from .summaries import close_periods


def fail_overdue_orders(now: datetime) -> str:
    return f"failed {orders_fail_overdue(now)}"


def register_jobs() -> None:
    register_job("evaluations.fail_overdue_orders", fail_overdue_orders)
    register_job("evaluations.close_periods", close_periods)
