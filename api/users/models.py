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
    # Raised by a password change, a reset or disabling: every token issued before is void.
    token_version: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    # A generated or reset password must be changed at the next sign-in.
    must_change_password: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=text("false")
    )
    password_changed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_sign_in_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class SignInFailures(Base):
    """Failed sign-ins of one login or one address, for throttling (5 failures: locked)."""

    __tablename__ = "sign_in_failure"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)  # "login:zhs", "address:…"
    failures: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    last_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    locks: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))


class RevokedSession(Base):
    """A signed-in session ended before its time (logout): its tokens are refused."""

    __tablename__ = "revoked_session"

    sid: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    revoked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
