"""Supervision (督办): automatic reminders and orders, and orders issued by hand."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, DateTime, ForeignKey, Identity, Index, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from gis.models import Base, str_enum


class SupervisionKind(StrEnum):
    reminder = "reminder"  # 提醒: automatic, when a task is at risk; needs no answer
    order = "order"  # 督办单: automatic when overdue, or by hand; the unit must answer


class SupervisionLevel(StrEnum):
    yellow = "yellow"  # 黄色督办
    red = "red"  # 红色督办


class SupervisionState(StrEnum):
    open = "open"  # waiting for the unit's answer (orders) or just sent (never for reminders)
    answered = "answered"  # the unit answered
    closed = "closed"  # ended without an answer: a reminder, or its task ended


class Supervision(Base):
    __tablename__ = "supervision"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id"))
    task_id: Mapped[int | None] = mapped_column(ForeignKey("task.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    kind: Mapped[SupervisionKind] = mapped_column(str_enum(SupervisionKind))
    level: Mapped[SupervisionLevel | None] = mapped_column(str_enum(SupervisionLevel))
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    reply_due: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    message: Mapped[str] = mapped_column(Text)
    state: Mapped[SupervisionState] = mapped_column(str_enum(SupervisionState))
    answered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    answer: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        Index("supervision_event_idx", "event_id"),
        Index("supervision_unit_state_idx", "unit_id", "state"),
        Index(
            "supervision_open_idx",
            "state",
            postgresql_where=text(f"state = '{SupervisionState.open.value}'"),
        ),
    )
