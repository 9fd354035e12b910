"""Boundary sets and areas as the API shows them."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel


class BoundarySetOut(BaseModel):
    name: str
    is_active: bool
    created_at: datetime
    activated_at: datetime | None
    description: str | None
    counts: dict[str, int]
    place_code: str | None = None
    place_name: str | None = None
