"""平战转换: the operating mode of a township, as an append-only record of every change."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, DateTime, ForeignKey, Identity, Index, String, Text, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from gis.models import Base, str_enum


class Mode(StrEnum):
    peacetime = "peacetime"  # 平时
    emergency = "emergency"  # 战时


class ModeChange(Base):
    __tablename__ = "mode_change"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    township_code: Mapped[str] = mapped_column(String(32))
    mode: Mapped[Mode] = mapped_column(str_enum(Mode))
    level: Mapped[str | None] = mapped_column(String(8))  # 响应等级 I-IV
    reason: Mapped[str] = mapped_column(Text)
    village_codes: Mapped[list[str]] = mapped_column(ARRAY(String(32)), server_default=text("'{}'"))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    by_user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    __table_args__ = (Index("mode_change_township_at_idx", "township_code", "at"),)
