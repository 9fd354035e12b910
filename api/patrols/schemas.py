"""What the patrols API takes in and gives back."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Annotated

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
)

from api import clock
from api.patrols.models import PatrolState

MAX_BATCH = 500

Moment = Annotated[datetime, AfterValidator(clock.aware)]
"""A time; one without a zone is in the server's zone (SHUXIN_TIMEZONE)."""


class PatrolStart(BaseModel):
    """Start a patrol; the same external_id again answers the patrol already started."""

    model_config = ConfigDict(extra="forbid")

    external_id: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)
    ] = Field(description="The phone's own id of the patrol: a retried start is stored once.")
    started_at: Moment | None = Field(
        default=None, description="When it started on the phone (default: now)."
    )


class PatrolPointIn(BaseModel):
    """One sampled position: WGS84 degrees, as the phone's GPS gives them."""

    model_config = ConfigDict(extra="forbid")

    seq: int = Field(ge=0, description="The phone's number of the sample: stored once.")
    at: Moment
    lon: float = Field(ge=-180, le=180)
    lat: float = Field(ge=-90, le=90)
    accuracy_m: float | None = Field(default=None, ge=0, description="The GPS accuracy (m).")

    @field_validator("lon", "lat")
    @classmethod
    def _finite(cls, value: float, info) -> float:
        if not math.isfinite(value):
            raise ValueError(f"{info.field_name} must be a finite number, got {value}")
        return value


class PatrolPoints(BaseModel):
    model_config = ConfigDict(extra="forbid")

    points: list[PatrolPointIn] = Field(min_length=1, max_length=MAX_BATCH)


class PatrolEnd(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ended_at: Moment | None = Field(
        default=None, description="When it ended on the phone (default: now)."
    )


class PatrolOut(BaseModel):
    id: int
    external_id: str
    state: PatrolState
    user_name: str
    unit_name: str | None
    started_at: datetime
    ended_at: datetime | None
    township_code: str | None
    grid_code: str | None
    grid_codes: list[str]
    point_count: int
    distance_m: float
    track: list[tuple[float, float]] | None = Field(
        default=None, description="The track's WGS84 [lon, lat] vertices, in time order."
    )
