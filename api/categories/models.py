"""The category catalog (大类/小类) and the platforms that handle each category."""

from __future__ import annotations

from sqlalchemy import Boolean, ForeignKey, Integer, String, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from gis.models import Base


class Platform(Base):
    """One of the township's functional platforms (四平台 and 党政综合); the list is editable."""

    __tablename__ = "platform"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    sort_order: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))


class Category(Base):
    """A 大类 (two-digit code, no parent) or 小类 (its parent's code + 2-3 digits)."""

    __tablename__ = "category"

    code: Mapped[str] = mapped_column(String(8), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    parent_code: Mapped[str | None] = mapped_column(ForeignKey("category.code"))
    platform_code: Mapped[str | None] = mapped_column(ForeignKey("platform.code"))
    urgencies: Mapped[list[str]] = mapped_column(
        ARRAY(String(16)), server_default=text("'{normal}'")
    )
    # Time limits as "<number><unit>": wh = working hours, wd = working days, h = natural hours.
    acknowledge_limit: Mapped[str | None] = mapped_column(String(16))
    handle_limit: Mapped[str | None] = mapped_column(String(16))
    urgent_handle_limit: Mapped[str | None] = mapped_column(String(16))
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=text("true"))
