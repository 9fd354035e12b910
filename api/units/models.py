"""Units: who handles events — the command room, platforms, departments, villages, grids."""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from gis.models import Base, str_enum


class UnitKind(StrEnum):
    county_center = "county_center"  # 县级社会治理中心
    command_room = "command_room"  # 乡镇综合信息指挥室
    platform = "platform"  # 四平台 (综治工作, 监管执法, 应急管理, 公共服务) and 党政综合
    department = "department"  # 派出所, 市场监管所, 综合行政执法中队 ...
    village = "village"  # 村/社区 委员会
    grid = "grid"  # 网格


class Unit(Base):
    """A unit with the areas it covers; a grid's unit has the grid's code."""

    __tablename__ = "unit"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[UnitKind] = mapped_column(str_enum(UnitKind, 20))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"))
    township_code: Mapped[str | None] = mapped_column(String(32))
    platform_code: Mapped[str | None] = mapped_column(ForeignKey("platform.code"))
    area_codes: Mapped[list[str]] = mapped_column(ARRAY(String(32)), server_default=text("'{}'"))
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=text("true"))

    __table_args__ = (
        Index("unit_kind_township_idx", "kind", "township_code"),
        Index("unit_area_codes_gin", "area_codes", postgresql_using="gin"),
    )
