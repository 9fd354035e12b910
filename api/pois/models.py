"""Points the command room keeps on the map: hazards (地质灾害点, 危房, 山塘水库) and shelters."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from geoalchemy2 import Geometry
from sqlalchemy import DateTime, Index, Integer, String, UniqueConstraint, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from gis.models import STORAGE_SRID, Base, str_enum


class PoiKind(StrEnum):
    geohazard = "geohazard"  # 地质灾害隐患点
    dangerous_house = "dangerous_house"  # 危房
    reservoir = "reservoir"  # 山塘水库
    shelter = "shelter"  # 避灾安置点

    @property
    def label_zh(self) -> str:
        return {
            "geohazard": "地质灾害隐患点",
            "dangerous_house": "危房",
            "reservoir": "山塘水库",
            "shelter": "避灾安置点",
        }[self.value]


class Poi(Base):
    __tablename__ = "poi"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[PoiKind] = mapped_column(str_enum(PoiKind, 20))
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))
    geom = mapped_column(Geometry("POINT", srid=STORAGE_SRID, spatial_index=False), nullable=False)
    village_code: Mapped[str | None] = mapped_column(String(32))
    township_code: Mapped[str | None] = mapped_column(String(32))
    attributes: Mapped[dict] = mapped_column(JSONB, default=dict)
    source_file: Mapped[str | None] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    __table_args__ = (
        UniqueConstraint("kind", "code", name="poi_kind_code_key"),
        Index("poi_geom_gist", "geom", postgresql_using="gist"),
        Index("poi_township_idx", "township_code"),
    )
