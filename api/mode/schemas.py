"""The operating mode as the API shows it."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from api.mode.models import Mode


class ModeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    township_code: str | None = Field(
        default=None, description="Default: the township of your unit."
    )
    mode: Mode
    level: Literal["I", "II", "III", "IV"] | None = Field(
        default=None, description="响应等级 (emergency only)."
    )
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)]
    village_codes: list[str] = Field(
        default_factory=list, description="Villages concerned; empty: the township."
    )


class ModeOut(BaseModel):
    township_code: str
    mode: Mode
    level: str | None
    reason: str | None
    village_codes: list[str]
    since: datetime | None
    by: str | None
