"""Units as the API shows them."""

from __future__ import annotations

from pydantic import BaseModel


class UnitOut(BaseModel):
    code: str
    name: str
    kind: str
    parent_code: str | None
    township_code: str | None
    platform_code: str | None
    area_codes: list[str]
