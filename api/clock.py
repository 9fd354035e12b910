"""The one clock and the one time zone of Shuxin.

Every "now" of the application is `clock.now()`: an aware datetime in the zone of the settings
(`SHUXIN_TIMEZONE`, Asia/Shanghai by default), so deadlines, "today" on the screen and the
timeline agree. A time without a zone, from a form or a file, is read in that zone (`aware`).
Tests set the clock with `clock.frozen(at)`; nothing else reads the system time.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

_fixed: datetime | None = None


@lru_cache(maxsize=1)
def zone() -> ZoneInfo:
    """The time zone of the settings."""
    from api.settings import get_settings

    return ZoneInfo(get_settings().timezone)


def now() -> datetime:
    """The current time in the settings' zone (or the time a test fixed)."""
    return _fixed if _fixed is not None else datetime.now(zone())


def aware(value: datetime) -> datetime:
    """`value` itself if it has a zone; else the same wall time in the settings' zone."""
    return value if value.tzinfo is not None else value.replace(tzinfo=zone())


def local(value: datetime) -> datetime:
    """`value` shown in the settings' zone."""
    return aware(value).astimezone(zone())


@contextmanager
def frozen(at: datetime) -> Iterator[datetime]:
    """Within the block, `now()` answers `at` (made aware), in every thread."""
    global _fixed
    before, _fixed = _fixed, aware(at)
    try:
        yield _fixed
    finally:
        _fixed = before
