"""What the screen's endpoints take in."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field


class Circle(BaseModel):
    lon: float = Field(ge=-180, le=180)
    lat: float = Field(ge=-90, le=90)
    radius_m: float = Field(gt=0, le=50_000)


class WithinIn(BaseModel):
    """A drawn shape: a GeoJSON Polygon (WGS84) or a circle."""

    model_config = ConfigDict(extra="forbid")

    geometry: dict | None = Field(default=None, description="GeoJSON Polygon or MultiPolygon")
    circle: Circle | None = None
    range: Literal["today", "7d", "30d", "all"] = "30d"
    status: list[str] = Field(default_factory=list)
    category: Annotated[str | None, Field(max_length=8)] = None
    platform: Annotated[str | None, Field(max_length=32)] = None
    area: Annotated[str | None, Field(max_length=32)] = None
