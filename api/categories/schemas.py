"""The category catalog as the API shows it."""

from __future__ import annotations

from pydantic import BaseModel


class PlatformOut(BaseModel):
    code: str
    name: str


class CategoryOut(BaseModel):
    code: str
    name: str
    parent_code: str | None
    platform: PlatformOut | None
    urgencies: list[str]
    acknowledge_limit: str | None
    handle_limit: str | None
    urgent_handle_limit: str | None
