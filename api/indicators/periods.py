"""Periods of the indicators: a day, an ISO week, a month, a quarter, a year, or from-to.

Written as people write them: `2026-11-26`, `2026-W48`, `2026-11`, `2026-Q4`, `2026`, or
`2026-11-01..2026-11-15` (both days included). Each is [start, end) in the one time zone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from api import clock
from api.errors import InvalidInput

_FORMS = "2026-11-26 (day), 2026-W48 (week), 2026-11 (month), 2026-Q4, 2026, or FROM..TO"


@dataclass(frozen=True)
class Period:
    """[start, end) with the label it was asked by and its kind."""

    label: str
    kind: str  # day, week, month, quarter, year, range
    start: datetime
    end: datetime

    def as_of(self, now: datetime) -> datetime:
        """T: the end of the period, or now while it lasts."""
        return min(self.end, now)

    def previous(self) -> Period:
        """The period just before (the same length; the month, quarter or year before)."""
        first = self.start.date()
        if self.kind == "month":
            return parse_period(_month_label(_add_months(first, -1)))
        if self.kind == "quarter":
            back = _add_months(first, -3)
            return parse_period(f"{back.year}-Q{(back.month - 1) // 3 + 1}")
        if self.kind == "year":
            return parse_period(str(first.year - 1))
        days = (self.end.date() - first).days
        return _range(first - timedelta(days=days), first - timedelta(days=1), self.kind)

    def last_year(self) -> Period:
        """The same period a year before."""
        if self.kind in ("month", "quarter", "year"):
            label = re.sub(r"^\d{4}", str(self.start.year - 1), self.label)
            return parse_period(label)
        if self.kind == "week":
            year, week, _ = self.start.date().isocalendar()
            return parse_period(f"{year - 1}-W{min(week, 52):02d}")
        last = self.end.date() - timedelta(days=1)
        return _range(_year_back(self.start.date()), _year_back(last), self.kind)


def _year_back(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _month_label(day: date) -> str:
    return f"{day.year}-{day.month:02d}"


def _at(day: date) -> datetime:
    return datetime.combine(day, time.min, clock.zone())


def _range(first: date, last: date, kind: str = "range") -> Period:
    label = first.isoformat() if first == last else f"{first.isoformat()}..{last.isoformat()}"
    return Period(
        label, "day" if first == last else kind, _at(first), _at(last + timedelta(days=1))
    )


def parse_period(text: str, field: str = "period") -> Period:
    """A period from its label; InvalidInput naming the forms otherwise."""
    value = text.strip()
    try:
        if m := re.fullmatch(r"(\d{4})", value):
            year = int(m[1])
            return Period(value, "year", _at(date(year, 1, 1)), _at(date(year + 1, 1, 1)))
        if m := re.fullmatch(r"(\d{4})-Q([1-4])", value, re.IGNORECASE):
            first = date(int(m[1]), 3 * int(m[2]) - 2, 1)
            return Period(value.upper(), "quarter", _at(first), _at(_add_months(first, 3)))
        if m := re.fullmatch(r"(\d{4})-(\d{1,2})", value):
            first = date(int(m[1]), int(m[2]), 1)
            return Period(_month_label(first), "month", _at(first), _at(_add_months(first, 1)))
        if m := re.fullmatch(r"(\d{4})-W(\d{1,2})", value, re.IGNORECASE):
            first = date.fromisocalendar(int(m[1]), int(m[2]), 1)
            label = f"{m[1]}-W{int(m[2]):02d}"
            return Period(label, "week", _at(first), _at(first + timedelta(days=7)))
        if m := re.fullmatch(r"(\d{4}-\d{2}-\d{2})", value):
            return _range(date.fromisoformat(m[1]), date.fromisoformat(m[1]))
        if m := re.fullmatch(r"(\d{4}-\d{2}-\d{2})\s*\.\.\s*(\d{4}-\d{2}-\d{2})", value):
            first, last = date.fromisoformat(m[1]), date.fromisoformat(m[2])
            if last < first:
                raise InvalidInput(f"{field}: {last} is before {first}", field=field)
            return _range(first, last)
    except ValueError:
        pass
    raise InvalidInput(f"{field} {text!r} is not a period; write {_FORMS}", field=field)


def current_month(now: datetime) -> Period:
    """The month `now` is in."""
    return parse_period(_month_label(clock.local(now).date()))
