"""Patrols (巡查): a person's walk through their grid, stored as its sampled positions and a track.

The phone makes the patrol's id (`external_id`) and numbers its positions (`seq`), so a start
or a batch of positions sent again after a weak signal is stored once.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from geoalchemy2 import Geometry
from sqlalchemy import (
    BigInteger,
    DateTime,
    Double,
    ForeignKey,
    Identity,
    Index,
    Integer,
    String,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from gis.models import STORAGE_SRID, Base, str_enum


class PatrolState(StrEnum):
    active = "active"  # 巡查中
    ended = "ended"  # 已结束


class Patrol(Base):
    """One patrol of one person: when, where (its track, its grid, the grids it covered)."""

    __tablename__ = "patrol"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"))
    external_id: Mapped[str] = mapped_column(String(100))  # made on the phone
    state: Mapped[PatrolState] = mapped_column(str_enum(PatrolState))
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The township whose command room sees the patrol: the patroller's, else the track's.
    township_code: Mapped[str | None] = mapped_column(String(32))
    # The patrol's grid: the patroller's own grid, else the grid most of its positions are in.
    grid_code: Mapped[str | None] = mapped_column(String(32))
    # Every grid a trusted position fell in (grid coverage, 网格覆盖).
    grid_codes: Mapped[list[str]] = mapped_column(
        ARRAY(String(32)), server_default=text("'{}'"), default=list
    )
    point_count: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    distance_m: Mapped[float] = mapped_column(Double, default=0.0, server_default=text("0"))
    # The line through the trusted positions in time order (NULL below two of them).
    track = mapped_column(Geometry("LINESTRING", srid=STORAGE_SRID, spatial_index=False))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    __table_args__ = (
        UniqueConstraint("user_id", "external_id", name="patrol_user_external_key"),
        Index("patrol_started_idx", "started_at"),
        Index("patrol_township_started_idx", "township_code", "started_at"),
    )


class PatrolPoint(Base):
    """One sampled position of a patrol, numbered by the phone."""

    __tablename__ = "patrol_point"

    patrol_id: Mapped[int] = mapped_column(
        ForeignKey("patrol.id", ondelete="CASCADE"), primary_key=True
    )
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    location = mapped_column(
        Geometry("POINT", srid=STORAGE_SRID, spatial_index=False), nullable=False
    )
    accuracy_m: Mapped[float | None] = mapped_column(Double)
    grid_code: Mapped[str | None] = mapped_column(String(32))
