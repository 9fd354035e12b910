"""`shuxin deadline`: when something is due, in Chinese working time. Needs no database."""

from __future__ import annotations

import math
from datetime import datetime

import typer

from api.cli.common import console, fail


def deadline(
    start: str = typer.Option(
        ..., "--from", help='Start, e.g. "2026-09-30 16:00" (in SHUXIN_TIMEZONE, Asia/Shanghai)'
    ),
    working_hours: float | None = typer.Option(None, help="Working hours to add"),
    working_days: float | None = typer.Option(None, help="Working days to add"),
    hours: float | None = typer.Option(None, help="Natural hours to add"),
) -> None:
    """Print the due time, counting Chinese working time (weekends, holidays, 调休)."""
    from api import clock
    from api.settings import get_settings
    from api.worktime.calendar import TimeLimit
    from api.worktime.service import calendar

    given = [
        (v, u)
        for v, u in ((working_hours, "wh"), (working_days, "wd"), (hours, "h"))
        if v is not None
    ]
    if len(given) != 1:
        raise fail("give exactly one of --working-hours, --working-days, --hours", 2)
    try:
        moment = clock.aware(datetime.fromisoformat(start))
    except ValueError:
        raise fail(f'--from must look like "2026-09-30 16:00"; got {start!r}', 2) from None
    value, unit = given[0]
    if not math.isfinite(value):
        raise fail(f"the amount must be a finite number; got {value}", 2)
    if value < 0:
        raise fail("the amount must not be negative", 2)
    due = calendar(get_settings()).add(moment, TimeLimit(value, unit))
    console.print(f"{due:%Y-%m-%d %H:%M}")
