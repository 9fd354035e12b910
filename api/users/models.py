"""People who sign in, with their role and unit."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String, func, text
from sqlalchemy.orm import Mapped, mapped_column

from gis.models import Base, str_enum


class Role(StrEnum):
    commander = "commander"  # 指挥室: accept, assign, verify, close, supervise, escalate
    handler = "handler"  # a unit's staff: acknowledge, handle, feed back, return, extension
    grid_worker = "grid_worker"  # 网格员: report, handle in their grid
    county = "county"  # 县级社会治理中心: receive escalations, return with instructions
    viewer = "viewer"  # read only
    admin = "admin"  # everything; needs no unit


class User(Base):
    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    login: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(str_enum(Role))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=text("true"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class ApiKey(Base):
    """A key a program signs in with instead of a person (Open311's api_key, GIS tools): it
    acts as the user it belongs to. Only its SHA-256 is stored; `prefix` names it in lists."""

    __tablename__ = "api_key"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(12))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
