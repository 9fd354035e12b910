"""Tables of the spatial core: boundary sets (MapIt's generations) and the areas in them."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from geoalchemy2 import Geometry
from sqlalchemy import (
    Boolean,
    DateTime,
    Double,
    Enum,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from gis.levels import AreaLevel

STORAGE_SRID = 4326
"""Every geometry is stored in WGS84 lon/lat (EPSG:4326); CGCS2000 is within centimetres of it."""


class Base(DeclarativeBase):
    """The declarative base of every Shuxin table (gis and api alike)."""


def str_enum(enum: type[StrEnum], length: int = 16) -> Enum:
    """A column type for a StrEnum: stored as VARCHAR(length) holding the members' values
    (not their names), read back as members. No native PostgreSQL enum type, so adding a member
    is a code change, not a migration."""
    return Enum(
        enum,
        native_enum=False,
        create_constraint=False,
        length=length,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


class BoundarySet(Base):
    """A versioned set of areas; exactly one set is active and routes events."""

    __tablename__ = "boundary_set"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    description: Mapped[str | None] = mapped_column(Text)
    is_active: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    activated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The county (or other place) the set covers: the pages' title and the units' county.
    place_code: Mapped[str | None] = mapped_column(String(32))
    place_name: Mapped[str | None] = mapped_column(String(100))

    areas: Mapped[list[Area]] = relationship(back_populates="boundary_set")

    __table_args__ = (
        # At most one active set; activation swaps the flag inside one transaction.
        Index(
            "boundary_set_one_active", "is_active", unique=True, postgresql_where=text("is_active")
        ),
    )


class Area(Base):
    """One area of a set: a township, village, grid or micro-grid, with its MultiPolygon."""

    __tablename__ = "area"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    set_id: Mapped[int] = mapped_column(ForeignKey("boundary_set.id", ondelete="CASCADE"))
    level: Mapped[AreaLevel] = mapped_column(str_enum(AreaLevel))
    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200))
    parent_code: Mapped[str | None] = mapped_column(String(32))
    geom = mapped_column(
        Geometry("MULTIPOLYGON", srid=STORAGE_SRID, spatial_index=False), nullable=False
    )
    area_m2: Mapped[float] = mapped_column(Double)
    source_file: Mapped[str | None] = mapped_column(Text)
    attributes: Mapped[dict | None] = mapped_column(JSONB)

    boundary_set: Mapped[BoundarySet] = relationship(back_populates="areas")

    __table_args__ = (
        UniqueConstraint("set_id", "code", name="area_set_code_key"),
        Index("area_set_level_idx", "set_id", "level"),
        Index("area_set_parent_idx", "set_id", "parent_code"),
        Index("area_geom_gist", "geom", postgresql_using="gist"),
    )
