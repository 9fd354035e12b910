"""What the indicators read: one fact row per event, rebuilt from the event's timeline.

The timeline (`event_timeline`) is append-only; a trigger on it queues the event in
`indicator_dirty` in the same transaction, so the queue becomes visible exactly when the entries
commit (no late commit slips past). `api/indicators/facts.py` drains the queue and rewrites the
fact rows of those events from their whole timelines before any indicator is read.

A fact row keeps the moments of each stage (the first time it happened) and what the timeline
recorded about them; the indicators (api/indicators/definitions.py) evaluate each event as of
the end of a period, so a past month gives the same numbers tomorrow.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import REAL, BigInteger, Boolean, DateTime, Identity, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from gis.models import Base, str_enum


class CloseLevel(StrEnum):
    """Where an event was closed: the level of the unit that handled it (or the county)."""

    grid = "grid"  # 网格
    village = "village"  # 村/社区
    township = "township"  # 乡镇 (platforms, departments, the command room)
    county = "county"  # 县级 (closed by the county centre)


class IndicatorEvent(Base):
    """One event as the indicators see it: where it was routed, and when each stage happened."""

    __tablename__ = "indicator_event"

    event_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    version: Mapped[int] = mapped_column(Integer)  # the timeline seq the row was built from
    # Where and what: the routing frozen on the event at intake, its category and platform.
    township_code: Mapped[str | None] = mapped_column(String(32))
    village_code: Mapped[str | None] = mapped_column(String(32))
    grid_code: Mapped[str | None] = mapped_column(String(32))
    category_code: Mapped[str] = mapped_column(String(8))
    platform_code: Mapped[str | None] = mapped_column(String(32))
    source: Mapped[str] = mapped_column(String(16))
    reporter_id: Mapped[int | None] = mapped_column(Integer)
    reporter_role: Mapped[str | None] = mapped_column(String(16))
    lead_unit_id: Mapped[int | None] = mapped_column(Integer)  # the unit that handled it
    emergency: Mapped[bool] = mapped_column(Boolean)  # reported during 战时 in its area
    # When each stage first happened (NULL: not yet).
    reported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    accepted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    rejected_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    assigned_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    returned_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    extended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    overdue_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    handled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    handled_late: Mapped[bool] = mapped_column(Boolean)
    reworked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    escalated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_on_time: Mapped[bool] = mapped_column(Boolean)
    close_level: Mapped[CloseLevel | None] = mapped_column(str_enum(CloseLevel, 16))
    reopened_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_last_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    rated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    satisfied: Mapped[bool | None] = mapped_column(Boolean)
    returns: Mapped[int] = mapped_column(Integer)
    reworks: Mapped[int] = mapped_column(Integer)
    extensions: Mapped[int] = mapped_column(Integer)
    # Working hours of each stage (受理, 交办, 处置, 核查), counted by the working calendar.
    wh_accept: Mapped[float | None] = mapped_column(REAL)
    wh_assign: Mapped[float | None] = mapped_column(REAL)
    wh_handle: Mapped[float | None] = mapped_column(REAL)
    wh_verify: Mapped[float | None] = mapped_column(REAL)

    __table_args__ = (
        Index("indicator_event_reported_idx", "reported_at"),
        Index("indicator_event_accepted_idx", "accepted_at"),
        Index("indicator_event_assigned_idx", "assigned_at"),
        Index("indicator_event_handled_idx", "handled_at"),
        Index("indicator_event_overdue_idx", "overdue_at"),
        Index("indicator_event_closed_idx", "closed_at"),
        Index("indicator_event_rated_idx", "rated_at"),
    )


class IndicatorDirty(Base):
    """Events whose timeline grew since their fact row was built (filled by a trigger)."""

    __tablename__ = "indicator_dirty"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    event_id: Mapped[int] = mapped_column(BigInteger)
