"""Working days on the Chinese calendar: public holidays and make-up working days (调休).

Every deadline in Hezuo counts working days, so one question decides them all:
is this date a working day? The answer comes from three sources, in order:

1. ``CalendarDay`` rows: the official arrangement entered by staff from the
   State Council notice (``manage.py calendar_import``). They override
   everything below, for any year.
2. The ``chinese_calendar`` package (chinesecalendar on PyPI), for the years
   its bundled data covers. It knows the lunar holidays (Spring Festival,
   Qingming, Dragon Boat, Mid-Autumn) and the make-up Saturdays and Sundays.
3. For a year the package does not cover yet, a fallback that is knowingly
   incomplete: Saturdays and Sundays are rest days, and so are the fixed-date
   statutory holidays (元旦 1 Jan, 劳动节 1–2 May, 国庆 1–3 Oct). It misses the
   lunar holidays, the days added around the fixed ones, and every make-up
   working day. The ``hezuo.W002`` system check (``core.checks_calendar``)
   warns while next year is left to this fallback.

The module-level functions answer one question each with at most one query
(plus one more only if a count runs past the years first loaded). A caller
computing many deadlines at once should build one ``WorkCalendar`` and reuse
it, so the overrides are read once for the whole batch. Overrides are never
cached beyond a ``WorkCalendar`` object, so an import takes effect at once.
"""

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from functools import lru_cache

import chinese_calendar

from .models import CalendarDay

# (month, day) of the statutory holidays that fall on the same solar date every year.
FIXED_DATE_HOLIDAYS = frozenset({(1, 1), (5, 1), (5, 2), (10, 1), (10, 2), (10, 3)})

ONE_DAY = timedelta(days=1)


@lru_cache(maxsize=64)
def package_covers(year: int) -> bool:
    """Whether the installed chinese_calendar carries the official arrangement for ``year``."""
    try:
        chinese_calendar.is_workday(date(year, 1, 1))
    except NotImplementedError:
        return False
    return True


@lru_cache(maxsize=4096)
def _package_is_workday(d: date) -> bool:
    # The package's own lookup rescans its whole table to validate the year on
    # every call; its data never changes while the process runs, so cache it.
    return chinese_calendar.is_workday(d)


def fallback_is_workday(d: date) -> bool:
    """Weekends and fixed-date holidays only: no lunar holidays, no make-up days."""
    return d.weekday() < 5 and (d.month, d.day) not in FIXED_DATE_HOLIDAYS


def _check_date(d: date) -> date:
    # datetime is a date subclass but never equals one, so it would silently
    # miss every override; make the caller choose the local date explicitly.
    if isinstance(d, datetime) or not isinstance(d, date):
        raise TypeError(f"expected a date, got {type(d).__name__} (use timezone.localdate())")
    return d


class WorkCalendar:
    """Answers working-day questions, reading ``CalendarDay`` overrides a range of years at a time."""

    def __init__(self) -> None:
        self._overrides: dict[date, bool] = {}
        self._loaded_years: set[int] = set()

    def preload(self, first: date, last: date) -> None:
        """Read the overrides for every year from ``first`` to ``last`` not yet read, in one query."""
        missing = [y for y in range(first.year, last.year + 1) if y not in self._loaded_years]
        if not missing:
            return
        lo, hi = date(min(missing), 1, 1), date(max(missing), 12, 31)
        for day, working in CalendarDay.objects.filter(date__range=(lo, hi)).values_list("date", "is_workday"):
            self._overrides[day] = working
        self._loaded_years.update(range(lo.year, hi.year + 1))

    def is_workday(self, d: date) -> bool:
        _check_date(d)
        if d.year not in self._loaded_years:
            self.preload(d, d)
        override = self._overrides.get(d)
        if override is not None:
            return override
        if package_covers(d.year):
            return _package_is_workday(d)
        return fallback_is_workday(d)

    def add_working_days(self, start: date, n: int) -> date:
        """The date ``n`` working days after ``start`` (``start`` itself is not counted).

        ``n == 0`` returns ``start`` unchanged, whether or not it is a working day.
        """
        _check_date(start)
        if n < 0:
            raise ValueError("n must be zero or more")
        # Even the longest holiday run cannot stretch n working days past 2n + 30 calendar days.
        self.preload(start, start + timedelta(days=2 * n + 30))
        day = start
        remaining = n
        while remaining:
            day += ONE_DAY
            if self.is_workday(day):
                remaining -= 1
        return day

    def working_days_between(self, start: date, end: date) -> int:
        """How many working days fall in (start, end]; 0 when ``end`` is not after ``start``."""
        _check_date(start)
        _check_date(end)
        if end <= start:
            return 0
        self.preload(start + ONE_DAY, end)
        return sum(1 for day in _days(start + ONE_DAY, end) if self.is_workday(day))

    def next_working_day(self, d: date) -> date:
        """The first working day strictly after ``d``."""
        return self.add_working_days(d, 1)


def _days(first: date, last: date) -> Iterable[date]:
    day = first
    while day <= last:
        yield day
        day += ONE_DAY


def is_workday(d: date) -> bool:
    return WorkCalendar().is_workday(d)


def add_working_days(start: date, n: int) -> date:
    return WorkCalendar().add_working_days(start, n)


def working_days_between(start: date, end: date) -> int:
    return WorkCalendar().working_days_between(start, end)


def next_working_day(d: date) -> date:
    return WorkCalendar().next_working_day(d)
