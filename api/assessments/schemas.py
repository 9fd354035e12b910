"""Assessments as the API shows them."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from api.events.schemas import EventOut


class RunIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    scheme: str = Field(default="default", description="The scheme's code.")
    level: Literal["township", "village", "grid", "unit"] = Field(
        description="Who is ranked: townships (by the county), or a township's villages, grids "
        "or units."
    )
    township: str | None = Field(
        default=None, description="The township whose villages, grids or units are ranked."
    )
    period: str = Field(description="2026-11, 2026-Q4, 2026 ...")


class RowOut(BaseModel):
    rank: int
    previous_rank: int | None
    movement: int | None = Field(description="Places up (+) or down (-) since the last period.")
    code: str
    name: str
    score: float
    grade: str
    figures: dict
    parts: dict


class AssessmentOut(BaseModel):
    id: int
    scheme_code: str
    scheme_name: str
    level: str
    township_code: str | None
    period: str
    period_start: datetime
    period_end: datetime
    as_of: datetime
    state: str
    created_by: str
    computed_at: datetime
    published_at: datetime | None
    published_by: str | None
    weights: dict
    rows: list[RowOut] = []
    red: list[str] = []
    black: list[str] = []


class SchemeOut(BaseModel):
    code: str
    version: int
    name: str
    loaded_at: datetime
    loaded_by: str | None
    body: dict


class MembersOut(BaseModel):
    count: int
    items: list[EventOut]
