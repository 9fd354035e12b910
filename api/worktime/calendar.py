"""Working time in China: deadlines in working hours and working days.

Weekends and statutory holidays do not count; make-up workdays (调休, e.g. a Saturday worked
before National Day) do. The holiday data comes from the `chinesecalendar` package, which the
State Council's yearly notice (usually published in November) reaches through a new release:
upgrade the pin in pyproject.toml each year. For a year the package does not know yet, weekends
and the fixed statutory days (1 Jan, 1 May, 1-3 Oct) are the days off, and a warning is logged
once, so deadlines stay computable.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import chinese_calendar

if TYPE_CHECKING:  # numpy and pandas load only for the vectorised form (`shuxin deadline`
    import numpy as np  # starts without them)

log = logging.getLogger("shuxin.worktime")

LIMIT = re.compile(r"^(?P<value>\d+(?:\.\d+)?)(?P<unit>wh|wd|h)$")
UNIT_NAMES = {"wh": "working hours", "wd": "working days", "h": "hours"}


@dataclass(frozen=True)
class TimeLimit:
    """A time limit: a number of working hours (wh), working days (wd) or natural hours (h)."""

    value: float
    unit: str

    @classmethod
    def parse(cls, text: str) -> TimeLimit:
        """'4wh', '0.5wd', '2h' → TimeLimit; ValueError naming the forms otherwise."""
        match = LIMIT.match(text.strip())
        if not match:
            raise ValueError(
                f"a time limit looks like 4wh (working hours), 7wd (working days) "
                f"or 2h (natural hours); got {text!r}"
            )
        return cls(float(match["value"]), match["unit"])

    def scaled(self, factor: float) -> TimeLimit:
        return TimeLimit(self.value * factor, self.unit)

    def __str__(self) -> str:
        value = f"{self.value:g}"
        return f"{value} {UNIT_NAMES[self.unit]}"


def parse_periods(text: str) -> tuple[tuple[time, time], ...]:
    """'08:30-12:00,13:30-17:30' → ((08:30, 12:00), (13:30, 17:30)), checked and ordered."""
    periods = []
    for part in text.split(","):
        try:
            start_text, end_text = part.strip().split("-")
            start, end = (
                time.fromisoformat(start_text.strip()),
                time.fromisoformat(end_text.strip()),
            )
        except ValueError:
            raise ValueError(
                f"working hours look like 08:30-12:00,13:30-17:30; got {text!r}"
            ) from None
        if end <= start:
            raise ValueError(f"a working period must end after it starts; got {part.strip()!r}")
        periods.append((start, end))
    periods.sort()
    for (_, end), (start, _) in zip(periods, periods[1:], strict=False):
        if start < end:
            raise ValueError(f"working periods overlap in {text!r}")
    return tuple(periods)


@lru_cache(maxsize=4096)
def is_workday(day: date) -> bool:
    """True on a Chinese working day (make-up workdays included, statutory holidays not)."""
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        _warn_unknown_year(day.year)
        return day.weekday() < 5 and (day.month, day.day) not in _FIXED_HOLIDAYS


# Statutory holidays whose dates do not move (全国年节及纪念日放假办法); the lunar ones and the
# bridging days are set each year and only the package knows them.
_FIXED_HOLIDAYS = {(1, 1), (5, 1), (10, 1), (10, 2), (10, 3)}


@lru_cache(maxsize=64)
def _warn_unknown_year(year: int) -> None:
    log.warning(
        "chinesecalendar %s has no holiday data for %d: counting only weekends and the fixed "
        "holidays (1 Jan, 1 May, 1-3 Oct) as days off, and no make-up workdays. "
        "Upgrade the chinesecalendar pin once the State Council publishes the %d holidays.",
        getattr(chinese_calendar, "__version__", "?"),
        year,
        year,
    )


class WorkingCalendar:
    """Adds working hours, working days or natural hours to a moment, in one time zone."""

    def __init__(self, periods: tuple[tuple[time, time], ...], tz: str = "Asia/Shanghai"):
        if not periods:
            raise ValueError("at least one working period is needed")
        self.periods = periods
        self.tz = ZoneInfo(tz)
        self.hours_per_day = (
            sum(
                (
                    datetime.combine(date.min, end) - datetime.combine(date.min, start)
                ).total_seconds()
                for start, end in periods
            )
            / 3600
        )

    def add(self, start: datetime, limit: TimeLimit) -> datetime:
        """The moment `limit` after `start` (aware; returned in the calendar's zone)."""
        start = self._aware(start)
        if limit.unit == "h":
            return start + timedelta(hours=limit.value)
        hours = limit.value * (self.hours_per_day if limit.unit == "wd" else 1.0)
        return self.add_working_hours(start, hours)

    def add_working_hours(self, start: datetime, hours: float) -> datetime:
        """Count `hours` of working time from `start`; time outside working periods is skipped.

        A deadline that falls exactly at the end of a period stays there (12:00, not 13:30).
        """
        if hours < 0:
            raise ValueError(f"hours must be >= 0, got {hours}")
        remaining = timedelta(hours=hours)
        moment = self._aware(start)
        day = moment.date()
        for _ in range(3700):  # ten years of days: a bound, never reached in practice
            if is_workday(day):
                for period_start, period_end in self.periods:
                    opens = datetime.combine(day, period_start, self.tz)
                    closes = datetime.combine(day, period_end, self.tz)
                    begin = max(opens, moment)
                    if begin >= closes:
                        continue
                    available = closes - begin
                    if remaining <= available:
                        return begin + remaining
                    remaining -= available
            day += timedelta(days=1)
            moment = datetime.combine(day, time.min, self.tz)
        raise ValueError(f"{hours} working hours from {start} reach beyond ten years")

    def working_hours_between(self, start: datetime, end: datetime) -> float:
        """Working hours between two moments (0 if end <= start)."""
        start, end = self._aware(start), self._aware(end)
        if end <= start:
            return 0.0
        total = timedelta()
        day = start.date()
        while day <= end.date():
            if is_workday(day):
                for period_start, period_end in self.periods:
                    opens = max(datetime.combine(day, period_start, self.tz), start)
                    closes = min(datetime.combine(day, period_end, self.tz), end)
                    if closes > opens:
                        total += closes - opens
            day += timedelta(days=1)
        return total.total_seconds() / 3600

    def periods_between(self, first: date, last: date) -> list[tuple[datetime, datetime]]:
        """The working periods of the days first..last (inclusive), in order: what a page
        needs to count a deadline down in working time."""
        out = []
        day = first
        while day <= last:
            if is_workday(day):
                for period_start, period_end in self.periods:
                    out.append(
                        (
                            datetime.combine(day, period_start, self.tz),
                            datetime.combine(day, period_end, self.tz),
                        )
                    )
            day += timedelta(days=1)
        return out

    def working_hours_many(self, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
        """`working_hours_between` for arrays of epoch seconds (NaN where either is NaN).

        The same rule, vectorised for a million events: working seconds are counted from one
        reference day for every moment (the working seconds of the whole days before it, plus
        those of its own day up to its wall-clock time), and a duration is the difference.
        """
        import numpy as np

        starts = np.asarray(starts, dtype="float64")
        ends = np.asarray(ends, dtype="float64")
        pair = np.isfinite(starts) & np.isfinite(ends)
        both = np.concatenate([np.where(pair, starts, np.nan), np.where(pair, ends, np.nan)])
        counted = self._working_seconds(both)
        n = len(starts)
        hours = (counted[n:] - counted[:n]) / 3600.0
        return np.where(ends > starts, hours, np.where(np.isfinite(hours), 0.0, np.nan))

    def _working_seconds(self, epochs: np.ndarray) -> np.ndarray:
        """Working seconds between the first day among `epochs` and each moment."""
        import numpy as np
        import pandas as pd

        out = np.full(len(epochs), np.nan)
        known = np.isfinite(epochs)
        if not known.any():
            return out
        stamps = pd.to_datetime(epochs[known], unit="s", utc=True).tz_convert(self.tz)
        wall = stamps.tz_localize(None)
        days = wall.normalize()
        of_day = (wall - days).total_seconds().to_numpy()
        day_numbers = days.to_numpy().astype("datetime64[D]")
        first, last = day_numbers.min(), day_numbers.max()
        calendar_days = np.arange(first, last + np.timedelta64(1, "D"))
        working = np.fromiter(
            (is_workday(d.item()) for d in calendar_days), dtype=bool, count=len(calendar_days)
        )
        per_day = np.where(working, self.hours_per_day * 3600.0, 0.0)
        before = np.concatenate([[0.0], np.cumsum(per_day)[:-1]])
        index = (day_numbers - first).astype("int64")
        within = np.zeros(len(of_day))
        for period_start, period_end in self.periods:
            opens = period_start.hour * 3600 + period_start.minute * 60 + period_start.second
            closes = period_end.hour * 3600 + period_end.minute * 60 + period_end.second
            within += np.clip(of_day - opens, 0, closes - opens)
        out[known] = before[index] + np.where(working[index], within, 0.0)
        return out

    def _aware(self, moment: datetime) -> datetime:
        if moment.tzinfo is None:
            return moment.replace(tzinfo=self.tz)
        return moment.astimezone(self.tz)
