"""Indicators as the API shows them."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from api.events.schemas import EventOut


class FigureOut(BaseModel):
    value: float | None
    numerator: float | None = None
    denominator: float | None = None
    previous: float | None = None
    last_year: float | None = None


class GroupOut(BaseModel):
    code: str
    name: str
    figures: dict[str, FigureOut]


class IndicatorDefOut(BaseModel):
    key: str
    name: str
    unit: str
    formula: str
    higher_is_better: bool
    numerator: str
    denominator: str | None


class IndicatorsOut(BaseModel):
    period: str
    start: datetime
    end: datetime
    as_of: datetime
    by: str
    scope: dict
    indicators: list[IndicatorDefOut]
    groups: list[GroupOut]
    total: GroupOut


class EventsBehindOut(BaseModel):
    count: int
    items: list[EventOut]
