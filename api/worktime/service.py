"""Deadlines of a task, computed once from the category, the urgency and the assignment time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import TYPE_CHECKING

from api.settings import Settings, get_settings
from api.worktime.calendar import TimeLimit, WorkingCalendar, parse_periods

if TYPE_CHECKING:  # the deadline command needs no database layer
    from api.categories.models import Category

DEFAULT_ACKNOWLEDGE = TimeLimit(2, "wh")
DEFAULT_HANDLE = TimeLimit(5, "wd")


@dataclass(frozen=True)
class Deadlines:
    acknowledge_due: datetime
    handle_due: datetime
    at_risk_at: datetime
    handle_limit: TimeLimit


@lru_cache(maxsize=4)
def _calendar(periods: str, tz: str) -> WorkingCalendar:
    return WorkingCalendar(parse_periods(periods), tz)


def calendar(settings: Settings | None = None) -> WorkingCalendar:
    """The working calendar of the settings (working hours, Asia/Shanghai)."""
    settings = settings or get_settings()
    return _calendar(settings.working_hours, settings.timezone)


def handle_limit(category: Category, urgency: str) -> TimeLimit:
    """The category's limit for handling at this urgency (urgent: natural hours if set)."""
    if urgency == "urgent" and category.urgent_handle_limit:
        return TimeLimit.parse(category.urgent_handle_limit)
    return TimeLimit.parse(category.handle_limit) if category.handle_limit else DEFAULT_HANDLE


def compute_deadlines(
    *, category: Category, urgency: str, start: datetime, settings: Settings | None = None
) -> Deadlines:
    """When the task must be acknowledged, handled, and when it counts as at risk."""
    settings = settings or get_settings()
    cal = calendar(settings)
    acknowledge = (
        TimeLimit.parse(category.acknowledge_limit)
        if category.acknowledge_limit
        else DEFAULT_ACKNOWLEDGE
    )
    limit = handle_limit(category, urgency)
    return Deadlines(
        acknowledge_due=cal.add(start, acknowledge),
        handle_due=cal.add(start, limit),
        at_risk_at=cal.add(start, limit.scaled(settings.at_risk_ratio)),
        handle_limit=limit,
    )
