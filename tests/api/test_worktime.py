"""Working time in China (工作时/工作日): deadlines skip weekends and statutory holidays and count
the make-up workdays (调休), with the default working hours 08:30-12:00, 13:30-17:30.

2026 (chinesecalendar knows it): National Day is 1-7 October, with Saturday 10 October a
make-up workday. 2027 and 2028 are not known yet: weekends and the fixed days (1 Jan, 1 May,
1-3 Oct) are the days off, with a warning.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from datetime import datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from api.worktime import calendar as worktime
from api.worktime.calendar import TimeLimit, WorkingCalendar, parse_periods

REPO = Path(__file__).resolve().parents[2]
SHANGHAI = ZoneInfo("Asia/Shanghai")
DEFAULT_HOURS = "08:30-12:00,13:30-17:30"


def at(text: str) -> datetime:
    """'2026-11-20 16:00' in Asia/Shanghai."""
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


@pytest.fixture
def cal() -> WorkingCalendar:
    return WorkingCalendar(parse_periods(DEFAULT_HOURS), "Asia/Shanghai")


@pytest.fixture
def shuxin(database_url):
    """Run `shuxin ARGS...` as a subprocess; the CompletedProcess, output as text."""
    env = {**os.environ, "SHUXIN_DATABASE_URL": database_url, "NO_COLOR": "1"}
    env.pop("SHUXIN_WORKING_HOURS", None)  # the default setting is what these cases are about

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "api.cli.main", *args],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    return run


def test_the_default_setting_is_the_working_hours_these_cases_assume():
    from api.settings import Settings

    assert Settings().working_hours == DEFAULT_HOURS
    assert parse_periods(DEFAULT_HOURS) == (
        (time(8, 30), time(12, 0)),
        (time(13, 30), time(17, 30)),
    )


# --- acceptance criterion 2 ---------------------------------------------------------------------

ACCEPTANCE = [
    # an ordinary Friday: 1.5 h on Friday, the weekend skipped, 6.5 h on Monday
    ("2026-11-20 16:00", "2026-11-23 16:30"),
    # National Day: 1-7 October off, Thursday 8 October is the next working day
    ("2026-09-30 16:00", "2026-10-08 16:30"),
    # Saturday 10 October is a make-up workday (调休) and counts
    ("2026-10-09 16:00", "2026-10-10 16:30"),
]


@pytest.mark.parametrize(("start", "due"), ACCEPTANCE)
def test_eight_working_hours(cal, start, due):
    assert cal.add(at(start), TimeLimit(8, "wh")) == at(due)


@pytest.mark.parametrize(("start", "due"), ACCEPTANCE)
def test_the_deadline_command_prints_the_due_time(shuxin, start, due):
    result = shuxin("deadline", "--from", start, "--working-hours", "8")

    assert result.returncode == 0, result.stderr
    assert result.stdout == f"{due}\n"


# --- working days, natural hours, starts outside working time -----------------------------------


def test_one_working_day_from_friday_afternoon_is_monday_at_the_same_time(cal):
    assert cal.add(at("2026-11-20 16:00"), TimeLimit(1, "wd")) == at("2026-11-23 16:00")


def test_the_deadline_command_counts_working_days(shuxin):
    result = shuxin("deadline", "--from", "2026-11-20 16:00", "--working-days", "1")

    assert result.returncode == 0, result.stderr
    assert result.stdout == "2026-11-23 16:00\n"


def test_natural_hours_run_through_the_night_and_the_weekend(cal, shuxin):
    assert cal.add(at("2026-11-20 16:00"), TimeLimit(8, "h")) == at("2026-11-21 00:00")
    assert cal.add(at("2026-11-20 16:00"), TimeLimit(48, "h")) == at("2026-11-22 16:00")
    result = shuxin("deadline", "--from", "2026-11-20 16:00", "--hours", "48")
    assert (result.returncode, result.stdout) == (0, "2026-11-22 16:00\n"), result.stderr


def test_a_start_on_saturday_counts_from_monday_morning(cal):
    assert cal.add(at("2026-11-21 10:00"), TimeLimit(2, "wh")) == at("2026-11-23 10:30")
    assert cal.add(at("2026-11-21 10:00"), TimeLimit(4, "wh")) == at("2026-11-23 14:00")


def test_a_start_in_the_lunch_break_counts_from_13_30(cal):
    assert cal.add(at("2026-11-23 12:30"), TimeLimit(1, "wh")) == at("2026-11-23 14:30")


def test_a_start_after_hours_counts_from_the_next_morning(cal):
    assert cal.add(at("2026-11-23 19:00"), TimeLimit(1, "wh")) == at("2026-11-24 09:30")


def test_a_deadline_at_the_end_of_the_morning_stays_at_12_00(cal):
    assert cal.add(at("2026-11-23 08:30"), TimeLimit(3.5, "wh")) == at("2026-11-23 12:00")
    assert cal.add(at("2026-11-23 10:00"), TimeLimit(2, "wh")) == at("2026-11-23 12:00")
    # one minute more goes to the afternoon
    assert cal.add(at("2026-11-23 10:00"), TimeLimit(2 + 1 / 60, "wh")) == at("2026-11-23 13:31")


def test_a_deadline_at_the_end_of_the_day_stays_at_17_30(cal):
    assert cal.add(at("2026-11-23 13:30"), TimeLimit(4, "wh")) == at("2026-11-23 17:30")


def test_half_a_working_day_is_three_and_three_quarter_hours(cal):
    assert cal.hours_per_day == 7.5
    start = at("2026-11-23 08:30")
    assert cal.add(start, TimeLimit.parse("0.5wd")) == cal.add(start, TimeLimit(3.75, "wh"))
    assert cal.add(start, TimeLimit.parse("0.5wd")) == at("2026-11-23 13:45")


def test_a_time_without_a_zone_is_shanghai_time_and_a_utc_time_is_converted(cal):
    naive = datetime(2026, 11, 20, 16, 0)
    utc = datetime(2026, 11, 20, 8, 0, tzinfo=ZoneInfo("UTC"))
    assert cal.add(naive, TimeLimit(8, "wh")) == at("2026-11-23 16:30")
    assert cal.add(utc, TimeLimit(8, "wh")) == at("2026-11-23 16:30")


def test_negative_working_hours_are_refused(cal):
    with pytest.raises(ValueError, match="hours must be >= 0"):
        cal.add_working_hours(at("2026-11-23 09:00"), -1)


# --- TimeLimit.parse ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value", "unit"),
    [("4wh", 4, "wh"), ("0.5wd", 0.5, "wd"), ("2h", 2, "h"), (" 20wd ", 20, "wd")],
)
def test_time_limits_parse(text, value, unit):
    assert TimeLimit.parse(text) == TimeLimit(value, unit)


@pytest.mark.parametrize("text", ["4x", "wh", "4 wh", "-1wh", "4WH", "", "2d", "1.wh"])
def test_a_bad_time_limit_is_refused_naming_the_forms(text):
    with pytest.raises(ValueError) as refused:
        TimeLimit.parse(text)

    message = str(refused.value)
    assert "4wh (working hours)" in message
    assert "7wd (working days)" in message
    assert "2h (natural hours)" in message
    assert repr(text) in message


def test_a_time_limit_reads_as_words():
    assert str(TimeLimit.parse("0.5wd")) == "0.5 working days"
    assert str(TimeLimit.parse("4wh")) == "4 working hours"


# --- the deadline command refuses what it cannot read ---------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--working-hours", "8", "--hours", "2"],
            "give exactly one of --working-hours, --working-days, --hours",
        ),
        ([], "give exactly one of --working-hours, --working-days, --hours"),
        (["--working-hours", "-1"], "the amount must not be negative"),
    ],
)
def test_the_deadline_command_refuses_two_amounts_or_none(shuxin, args, message):
    result = shuxin("deadline", "--from", "2026-11-20 16:00", *args)

    assert result.returncode != 0
    assert result.stdout == ""
    assert message in result.stderr


@pytest.mark.parametrize("start", ["2026-13-01 16:00", "tomorrow", "2026/11/20 16:00"])
def test_the_deadline_command_refuses_a_bad_date(shuxin, start):
    result = shuxin("deadline", "--from", start, "--working-hours", "8")

    assert result.returncode != 0
    assert result.stdout == ""
    assert "--from must look like" in result.stderr
    assert repr(start) in result.stderr


@pytest.mark.parametrize("amount", ["nan", "inf"])
def test_the_deadline_command_refuses_an_amount_that_is_not_a_number(shuxin, amount):
    result = shuxin("deadline", "--from", "2026-11-20 16:00", "--working-hours", amount)

    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert "the amount must be a finite number" in result.stderr


# --- working hours between two moments ----------------------------------------------------------


def test_working_hours_between_skip_nights_lunch_and_the_weekend(cal):
    assert cal.working_hours_between(at("2026-11-20 16:00"), at("2026-11-23 16:30")) == 8
    assert cal.working_hours_between(at("2026-11-23 11:00"), at("2026-11-23 14:30")) == 2
    assert cal.working_hours_between(at("2026-11-21 08:00"), at("2026-11-22 20:00")) == 0
    assert cal.working_hours_between(at("2026-11-23 08:30"), at("2026-11-23 17:30")) == 7.5


def test_working_hours_between_skip_national_day_and_count_the_make_up_saturday(cal):
    assert cal.working_hours_between(at("2026-09-30 16:00"), at("2026-10-08 16:30")) == 8
    assert cal.working_hours_between(at("2026-10-09 16:00"), at("2026-10-10 16:30")) == 8


def test_working_hours_between_is_zero_backwards(cal):
    assert cal.working_hours_between(at("2026-11-23 16:00"), at("2026-11-23 09:00")) == 0


@pytest.mark.parametrize("start", ["2026-11-20 16:00", "2026-09-30 16:00", "2026-11-21 10:00"])
@pytest.mark.parametrize("hours", [0.5, 3.2, 8, 37.5])
def test_adding_then_measuring_gives_back_the_hours(cal, start, hours):
    due = cal.add(at(start), TimeLimit(hours, "wh"))
    assert cal.working_hours_between(at(start), due) == pytest.approx(hours, abs=1e-9)


# --- years the holiday package does not know ----------------------------------------------------


@pytest.fixture
def fresh_holiday_cache():
    """Forget which days and years were looked up, so the warning is logged again."""
    worktime.is_workday.cache_clear()
    worktime._warn_unknown_year.cache_clear()
    yield
    worktime.is_workday.cache_clear()
    worktime._warn_unknown_year.cache_clear()


UNKNOWN_YEARS = [
    # 2028: 1 October is a Sunday, 2-3 October (Monday, Tuesday) are off
    ("2028-09-29 16:00", "2028-10-04 16:30"),
    # 2028: 1 May is a Monday
    ("2028-04-28 16:00", "2028-05-02 16:30"),
    # from the last day of a known year into 1 January 2027, a Friday
    ("2026-12-31 16:00", "2027-01-04 16:30"),
    # an ordinary week of 2027: only the weekend is skipped
    ("2027-03-05 16:00", "2027-03-08 16:30"),
]


@pytest.mark.parametrize(("start", "due"), UNKNOWN_YEARS)
def test_an_unknown_year_skips_weekends_and_the_fixed_holidays(
    cal, fresh_holiday_cache, caplog, start, due
):
    with caplog.at_level(logging.WARNING, logger="shuxin.worktime"):
        assert cal.add(at(start), TimeLimit(8, "wh")) == at(due)

    warnings = [r for r in caplog.records if r.name == "shuxin.worktime"]
    year = due[:4]
    assert len(warnings) == 1, [r.getMessage() for r in warnings]
    assert warnings[0].levelno == logging.WARNING
    message = warnings[0].getMessage()
    assert f"no holiday data for {year}" in message
    assert "1 Jan, 1 May, 1-3 Oct" in message
    assert "Upgrade the chinesecalendar pin" in message


def test_an_unknown_year_warns_once_not_at_every_deadline(cal, fresh_holiday_cache, caplog):
    with caplog.at_level(logging.WARNING, logger="shuxin.worktime"):
        for day in range(1, 20):
            cal.add(at(f"2028-03-{day:02d} 09:00"), TimeLimit(2, "wd"))

    assert len([r for r in caplog.records if r.name == "shuxin.worktime"]) == 1


def test_the_deadline_command_works_in_an_unknown_year_and_warns(shuxin):
    result = shuxin("deadline", "--from", "2028-09-29 16:00", "--working-hours", "8")

    assert result.returncode == 0, result.stderr
    assert result.stdout == "2028-10-04 16:30\n"
    assert "no holiday data for 2028" in result.stderr
