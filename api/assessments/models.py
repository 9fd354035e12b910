"""Assessment schemes (考核方案), runs and their frozen results.

A scheme is data (weights, thresholds, grade bands, bonus and penalty items) loaded from a file.
A run computes an assessment for a period into a draft; publishing freezes it: its rows and the
events behind each figure are stored and never recomputed.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    DateTime,
    Double,
    ForeignKey,
    Identity,
    Index,
    Integer,
    String,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from gis.models import Base, str_enum


class AssessmentState(StrEnum):
    draft = "draft"  # 草稿: may be run again
    published = "published"  # 已发布: frozen


class AssessmentScheme(Base):
    """A scheme as loaded from its file; loading the same code again makes a new version."""

    __tablename__ = "assessment_scheme"

    id: Mapped[int] = mapped_column(Integer, Identity(), primary_key=True)
    code: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    body: Mapped[dict] = mapped_column(JSONB)
    loaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    loaded_by: Mapped[str | None] = mapped_column(String(100))

    __table_args__ = (Index("assessment_scheme_code_version_key", "code", "version", unique=True),)


class Assessment(Base):
    """One assessment of a period: the subjects of one level inside one scope."""

    __tablename__ = "assessment"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    scheme_id: Mapped[int] = mapped_column(ForeignKey("assessment_scheme.id"))
    scheme: Mapped[dict] = mapped_column(JSONB)  # the scheme as it was used (a copy)
    level: Mapped[str] = mapped_column(String(16))  # township, village, grid, unit
    township_code: Mapped[str | None] = mapped_column(String(32))  # NULL: the whole county
    scope_name: Mapped[str] = mapped_column(String(200))  # the township's (or county's) name
    period: Mapped[str] = mapped_column(String(32))  # 2026-11, 2026-Q4, 2026 ...
    period_start: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    period_end: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    as_of: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    state: Mapped[AssessmentState] = mapped_column(str_enum(AssessmentState, 16))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(String(100))
    computed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    published_by: Mapped[str | None] = mapped_column(String(100))

    __table_args__ = (Index("assessment_scope_idx", "level", "township_code", "period_start"),)


class AssessmentRow(Base):
    """One subject's figures, score, grade and rank in an assessment."""

    __tablename__ = "assessment_row"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessment.id", ondelete="CASCADE"))
    subject_code: Mapped[str] = mapped_column(String(40))
    subject_name: Mapped[str] = mapped_column(String(200))
    figures: Mapped[dict] = mapped_column(JSONB)  # indicator → {value, numerator, denominator}
    parts: Mapped[dict] = mapped_column(JSONB)  # indicator → points; adjustments
    score: Mapped[float] = mapped_column(Double)
    grade: Mapped[str] = mapped_column(String(8))
    rank: Mapped[int] = mapped_column(Integer)
    previous_rank: Mapped[int | None] = mapped_column(Integer)

    __table_args__ = (Index("assessment_row_assessment_idx", "assessment_id", "rank"),)


class AssessmentMember(Base):
    """An event behind a subject's figures, with a bit per set it belongs to (frozen)."""

    __tablename__ = "assessment_member"

    assessment_id: Mapped[int] = mapped_column(
        ForeignKey("assessment.id", ondelete="CASCADE"), primary_key=True
    )
    subject_code: Mapped[str] = mapped_column(String(40), primary_key=True)
    event_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    sets: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))
