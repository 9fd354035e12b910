"""What a reviewer writes on a review (工作复盘): conclusions and lessons, with who and when."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, DateTime, ForeignKey, Identity, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from gis.models import Base, str_enum


class ReviewKind(StrEnum):
    event = "event"  # 单个事件复盘
    emergency = "emergency"  # 战时复盘 (from a declaration to its end)
    month = "month"  # 月度复盘 (a township or a unit)


class ReviewNote(Base):
    """A reviewer's conclusions and lessons on a review; each save is a new row (history kept)."""

    __tablename__ = "review_note"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    kind: Mapped[ReviewKind] = mapped_column(str_enum(ReviewKind, 16))
    subject: Mapped[str] = mapped_column(String(100))  # event id, mode change id, scope:period
    conclusions: Mapped[str] = mapped_column(Text)
    lessons: Mapped[str] = mapped_column(Text)
    written_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    written_by: Mapped[str] = mapped_column(String(100))
    written_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (Index("review_note_subject_idx", "kind", "subject", "written_at"),)
