"""HTTP: the working calendar, for pages that count deadlines down in working time."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from api import clock
from api.deps import SettingsDep, current_actor
from api.errors import InvalidInput
from api.worktime.service import calendar

router = APIRouter(prefix="/api/v1", tags=["worktime"], dependencies=[Depends(current_actor)])

MAX_DAYS = 400


class WorkingPeriods(BaseModel):
    zone: str
    first: date
    last: date
    periods: list[tuple[datetime, datetime]] = Field(
        description="Working periods (start, end) of each working day, in order."
    )


@router.get("/worktime/periods", response_model=WorkingPeriods)
async def working_periods(
    settings: SettingsDep,
    first: Annotated[date | None, Query(description="Default: 30 days ago")] = None,
    last: Annotated[date | None, Query(description="Default: 60 days ahead")] = None,
) -> WorkingPeriods:
    """The working periods of the days first..last (weekends, statutory holidays and make-up
    workdays as the deadlines count them; working hours from SHUXIN_WORKING_HOURS)."""
    today = clock.now().date()
    first = first or today - timedelta(days=30)
    last = last or today + timedelta(days=60)
    if last < first or (last - first).days > MAX_DAYS:
        raise InvalidInput(
            f"last must be on or after first and at most {MAX_DAYS} days later; got "
            f"{first} .. {last}",
            field="last",
        )
    return WorkingPeriods(
        zone=settings.timezone,
        first=first,
        last=last,
        periods=calendar(settings).periods_between(first, last),
    )
