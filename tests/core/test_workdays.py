from datetime import date, datetime, timedelta

import pytest
import time_machine
from django.core.checks import Tags, run_checks
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from core import workdays
from core.checks_calendar import next_year_calendar_known
from core.models import AuditEvent, CalendarDay
from core.workdays import (
    WorkCalendar,
    add_working_days,
    is_workday,
    next_working_day,
    working_days_between,
)

pytestmark = pytest.mark.django_db

# 2026 as the bundled chinese_calendar data has it: Mid-Autumn 25–27 Sep, National Day
# 1–7 Oct, with Sunday 20 Sep and Saturday 10 Oct as make-up working days.
MAKEUP_SUNDAY = date(2026, 9, 20)
MAKEUP_SATURDAY = date(2026, 10, 10)


def test_package_data_for_the_2026_national_day_week():
    assert workdays.package_covers(2026)
    assert not workdays.package_covers(2027)
    assert all(not is_workday(date(2026, 10, d)) for d in range(1, 8))
    assert is_workday(date(2026, 10, 8))
    assert is_workday(MAKEUP_SUNDAY) and MAKEUP_SUNDAY.weekday() == 6
    assert is_workday(MAKEUP_SATURDAY) and MAKEUP_SATURDAY.weekday() == 5
    assert not is_workday(date(2026, 10, 11))  # the Sunday after is an ordinary rest day


def test_make_up_saturday_counts_as_a_working_day():
    # 8 Oct (Thu), 9 Oct (Fri), 10 Oct (make-up Sat) ...
    assert add_working_days(date(2026, 10, 7), 3) == MAKEUP_SATURDAY
    assert next_working_day(date(2026, 10, 9)) == MAKEUP_SATURDAY


def test_five_working_days_from_30_september_land_after_the_holiday():
    # 8, 9, 10 (make-up Sat), 12, 13 Oct.
    assert add_working_days(date(2026, 9, 30), 5) == date(2026, 10, 13)


def test_zero_working_days_is_the_start_itself():
    assert add_working_days(date(2026, 10, 3), 0) == date(2026, 10, 3)


def test_negative_working_days_are_refused():
    with pytest.raises(ValueError):
        add_working_days(date(2026, 10, 3), -1)


def test_datetime_is_refused_so_the_local_date_is_chosen_explicitly():
    with pytest.raises(TypeError):
        is_workday(datetime(2026, 10, 8, 9, 0))


def test_working_days_between_across_the_holiday_week():
    # (30 Sep, 13 Oct]: 1–7 Oct holidays, 8, 9, 10 (make-up), 11 Sun, 12, 13.
    assert working_days_between(date(2026, 9, 30), date(2026, 10, 13)) == 5
    assert working_days_between(date(2026, 9, 30), date(2026, 10, 7)) == 0
    # (18 Sep, 30 Sep]: 19 Sat rest, 20 make-up Sun, 21–24, 25–27 Mid-Autumn, 28–30.
    assert working_days_between(date(2026, 9, 18), date(2026, 9, 30)) == 8


def test_working_days_between_is_zero_unless_end_is_after_start():
    assert working_days_between(date(2026, 10, 13), date(2026, 10, 13)) == 0
    assert working_days_between(date(2026, 10, 13), date(2026, 9, 30)) == 0


def test_next_working_day_skips_the_holiday_week():
    assert next_working_day(date(2026, 9, 30)) == date(2026, 10, 8)
    assert next_working_day(date(2026, 10, 8)) == date(2026, 10, 9)


def test_calendar_day_override_flips_a_day_in_a_package_year():
    day = date(2026, 10, 12)  # an ordinary Monday
    assert is_workday(day)
    CalendarDay.objects.create(date=day, is_workday=False, note="本地停工")
    assert not is_workday(day)
    CalendarDay.objects.create(date=date(2026, 10, 11), is_workday=True, note="加班")
    assert is_workday(date(2026, 10, 11))
    assert add_working_days(date(2026, 10, 9), 2) == date(2026, 10, 11)


def test_2027_fallback_weekdays_weekends_and_fixed_holidays():
    assert is_workday(date(2027, 3, 3))  # a Wednesday
    assert not is_workday(date(2027, 3, 6))  # a Saturday
    assert not is_workday(date(2027, 10, 1))  # National Day, a Friday
    assert not is_workday(date(2027, 1, 1))
    assert is_workday(date(2027, 5, 3))  # a Monday: the fallback knows only 1–2 May
    assert add_working_days(date(2027, 9, 30), 1) == date(2027, 10, 4)


def test_2027_fallback_is_overridden_by_entered_days():
    # Spring Festival 2027 is in February; the fallback cannot know it.
    assert is_workday(date(2027, 2, 8))
    CalendarDay.objects.create(date=date(2027, 2, 8), is_workday=False, note="春节")
    CalendarDay.objects.create(date=date(2027, 2, 20), is_workday=True, note="春节调休上班")
    assert not is_workday(date(2027, 2, 8))
    assert is_workday(date(2027, 2, 20))


def test_deadlines_read_the_overrides_in_one_query():
    CalendarDay.objects.create(date=date(2026, 12, 31), is_workday=False, note="测试")
    with CaptureQueriesContext(connection) as queries:
        add_working_days(date(2026, 9, 1), 60)
    assert len(queries) == 1
    with CaptureQueriesContext(connection) as queries:
        working_days_between(date(2026, 1, 1), date(2027, 12, 31))
    assert len(queries) == 1


def test_a_shared_calendar_reads_the_overrides_once_for_many_deadlines():
    calendar = WorkCalendar()
    with CaptureQueriesContext(connection) as queries:
        for offset in range(100):
            calendar.add_working_days(date(2026, 3, 1) + timedelta(days=offset), 10)
    assert len(queries) == 1


@hypothesis_settings(
    max_examples=200,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    start=st.dates(min_value=date(2025, 1, 1), max_value=date(2026, 12, 31)),
    n=st.integers(min_value=0, max_value=30),
)
def test_adding_then_counting_working_days_round_trips(start, n):
    end = add_working_days(start, n)
    assert working_days_between(start, end) == n
    if n > 0:
        assert is_workday(end)
        assert end > start


# --- calendar_import ----------------------------------------------------------------------


def write_csv(tmp_path, text: str, encoding: str = "utf-8"):
    path = tmp_path / "calendar.csv"
    path.write_bytes(text.encode(encoding))
    return path


GOOD_2027 = (
    "date,is_workday,note\n"
    "2027-02-06,是,春节\n"
    "2027-02-07,0,春节\n"
    "2027-02-08,false,春节\n"
    "2027/2/20,1,春节调休上班\n"
    "2027-02-21,TRUE,\n"
)


def test_calendar_import_saves_every_row_and_one_audit_event(tmp_path):
    call_command("calendar_import", str(write_csv(tmp_path, GOOD_2027)))
    days = {d.date: d for d in CalendarDay.objects.all()}
    assert len(days) == 5
    assert days[date(2027, 2, 6)].is_workday is True
    assert days[date(2027, 2, 8)].is_workday is False
    assert days[date(2027, 2, 20)].note == "春节调休上班"
    assert not is_workday(date(2027, 2, 8))
    assert is_workday(date(2027, 2, 20))  # a Saturday, made a working day

    event = AuditEvent.objects.get(action="calendar.imported")
    assert event.actor is None and event.actor_label == "system"
    assert event.object_type == "core.CalendarDay"
    assert event.object_id == str(days[date(2027, 2, 21)].pk)
    assert event.after["rows"] == 5
    assert event.after["from"] == "2027-02-06" and event.after["to"] == "2027-02-21"


def test_calendar_import_is_idempotent_and_updates(tmp_path):
    path = write_csv(tmp_path, GOOD_2027)
    call_command("calendar_import", str(path))
    call_command("calendar_import", str(path))
    assert CalendarDay.objects.count() == 5
    call_command("calendar_import", str(write_csv(tmp_path, "date,is_workday,note\n2027-02-06,否,春节\n")))
    assert CalendarDay.objects.count() == 5
    assert CalendarDay.objects.get(date=date(2027, 2, 6)).is_workday is False


def test_calendar_import_reads_gbk_from_excel(tmp_path):
    call_command("calendar_import", str(write_csv(tmp_path, GOOD_2027, encoding="gbk")))
    assert CalendarDay.objects.get(date=date(2027, 2, 6)).note == "春节"


def test_calendar_import_rejects_a_bad_file_naming_every_row_and_saves_nothing(tmp_path):
    text = (
        "date,is_workday,note\n"
        "2027-02-06,0,春节\n"  # row 2: fine
        "2027-02-30,0,春节\n"  # row 3: no such date
        "2027-02-08,maybe,春节\n"  # row 4: bad flag
        "2027-02-09,0," + "长" * 61 + "\n"  # row 5: note too long
        "2027-02-06,1,again\n"  # row 6: duplicate of row 2
        "2027-02-10,0,春节\n"  # row 7: fine
    )
    with pytest.raises(CommandError) as excinfo:
        call_command("calendar_import", str(write_csv(tmp_path, text)))
    message = str(excinfo.value)
    assert "nothing was saved" in message
    for row in ("row 3:", "row 4:", "row 5:", "row 6:"):
        assert row in message
    assert "row 2:" not in message and "row 7:" not in message
    assert "already given in row 2" in message
    assert CalendarDay.objects.count() == 0
    assert not AuditEvent.objects.filter(action="calendar.imported").exists()


def test_calendar_import_rejects_a_file_without_the_columns(tmp_path):
    with pytest.raises(CommandError, match="is_workday"):
        call_command("calendar_import", str(write_csv(tmp_path, "date,note\n2027-02-06,春节\n")))
    assert CalendarDay.objects.count() == 0


# --- the hezuo.W002 system check ----------------------------------------------------------


def w002(databases=("default",)):
    return [
        m
        for m in next_year_calendar_known(None, databases=list(databases) if databases else None)
        if m.id == "hezuo.W002"
    ]


@time_machine.travel(datetime(2026, 11, 21, 10, 0), tick=False)
def test_calendar_check_warns_when_next_year_has_no_arrangement():
    messages = w002()
    assert len(messages) == 1
    assert "2027" in str(messages[0].msg)
    assert "calendar_import" in str(messages[0].hint)


@time_machine.travel(datetime(2026, 11, 21, 10, 0), tick=False)
def test_calendar_check_is_silent_once_next_year_has_rows():
    CalendarDay.objects.create(date=date(2027, 1, 1), is_workday=False, note="元旦")
    assert w002() == []


@time_machine.travel(datetime(2025, 11, 21, 10, 0), tick=False)
def test_calendar_check_is_silent_when_the_package_covers_next_year():
    assert w002() == []


@time_machine.travel(datetime(2026, 11, 21, 10, 0), tick=False)
def test_calendar_check_runs_only_when_a_database_is_named():
    # `check --deploy` (no --database) must stay free of warnings in CI.
    assert w002(databases=None) == []
    assert not [m for m in run_checks(include_deployment_checks=True) if m.id == "hezuo.W002"]
    found = run_checks(tags=[Tags.database], databases=["default"])
    assert [m.id for m in found if m.id == "hezuo.W002"] == ["hezuo.W002"]


@time_machine.travel(datetime(2026, 11, 21, 10, 0), tick=False)
def test_calendar_check_is_silent_before_the_table_exists(monkeypatch):
    monkeypatch.setattr(connection.introspection, "table_names", lambda *a, **k: [])
    assert w002() == []
