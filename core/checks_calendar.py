"""System check: next year's working-day arrangement must be known before deadlines run into it.

The chinese-calendar package learns each year's holidays only after the State
Council publishes them (usually in November), so every autumn there is a gap
that staff close with ``manage.py calendar_import``.

The check is registered under the ``database`` tag and, like Django's own
database checks, does nothing unless a database is named. It therefore runs
with ``manage.py check --database default`` and before ``migrate``, but not in
a plain ``manage.py check --deploy``: that command must stay free of warnings
in CI, and this warning fires every autumn by design until the arrangement is
entered. Production monitoring should run ``check --database default``.
"""

from django.core.checks import Tags, register
from django.core.checks import Warning as CheckWarning
from django.db import DatabaseError, connections
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import CalendarDay
from .workdays import package_covers


def _has_calendar_rows(alias: str, year: int) -> bool | None:
    """Whether ``year`` has CalendarDay rows; None when the table cannot be read (not migrated yet)."""
    connection = connections[alias]
    try:
        if CalendarDay._meta.db_table not in connection.introspection.table_names():
            return None
        return CalendarDay.objects.using(alias).filter(date__year=year).exists()
    except DatabaseError:  # OperationalError, ProgrammingError: no server, no table, no rights
        return None


@register(Tags.database)
def next_year_calendar_known(app_configs, databases=None, **kwargs):
    if not databases:
        return []
    year = timezone.localdate().year + 1
    if package_covers(year):
        return []
    # Unreadable (None) counts as "don't know": stay silent rather than warn before migrate.
    if any(_has_calendar_rows(alias, year) is not False for alias in databases):
        return []
    return [
        CheckWarning(
            _(
                "The official holiday arrangement for %(year)d is not known: the installed "
                "chinese-calendar package stops before it and no calendar days are entered. "
                "Deadlines in %(year)d count only weekends and fixed-date holidays, missing the "
                "Spring Festival, Qingming, Dragon Boat and Mid-Autumn holidays and every "
                "make-up working day."
            )
            % {"year": year},
            hint=_(
                "Enter the State Council's arrangement with `manage.py calendar_import <file.csv>` "
                "(columns date,is_workday,note), or upgrade chinesecalendar once it covers %(year)d."
            )
            % {"year": year},
            id="hezuo.W002",
        )
    ]
