"""Supervision (督办): automatic reminders and orders, and orders issued by hand."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, DateTime, ForeignKey, Identity, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from gis.models import Base


class SupervisionKind(StrEnum):
    reminder = "reminder"  # 提醒: automatic, when a task is at risk; needs no answer
    order = "order"  # 督办单: automatic when overdue, or by hand; the unit must answer


class SupervisionLevel(StrEnum):
    yellow = "yellow"  # 黄色督办
    red = "red"  # 红色督办


class Supervision(Base):
    __tablename__ = "supervision"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id"))
    task_id: Mapped[int | None] = mapped_column(ForeignKey("task.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    kind: Mapped[SupervisionKind] = mapped_column(String(16))
    level: Mapped[SupervisionLevel | None] = mapped_column(String(16))
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    reply_due: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    message: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(16))  # open | answered | closed
    answered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    answer: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        Index("supervision_event_idx", "event_id"),
        Index("supervision_unit_state_idx", "unit_id", "state"),
        Index("supervision_open_idx", "state", postgresql_where=text("state = 'open'")),
    )
