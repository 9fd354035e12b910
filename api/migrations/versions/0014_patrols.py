"""patrols (巡查): a person's patrol with its sampled positions and its track

Revision ID: 0014
Revises: 0011
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import geoalchemy2  # noqa: F401 - spatial column types in migrations
import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry
from sqlalchemy.dialects import postgresql

revision: str = "0014"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _geometry(kind: str, nullable: bool) -> Geometry:
    return Geometry(
        geometry_type=kind,
        srid=4326,
        dimension=2,
        spatial_index=False,
        from_text="ST_GeomFromEWKT",
        name="geometry",
        nullable=nullable,
    )


def upgrade() -> None:
    op.create_geospatial_table(
        "patrol",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("external_id", sa.String(length=100), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("township_code", sa.String(length=32), nullable=True),
        sa.Column("grid_code", sa.String(length=32), nullable=True),
        sa.Column(
            "grid_codes",
            postgresql.ARRAY(sa.String(length=32)),
            server_default=sa.text("'{}'"),
            nullable=False,
        ),
        sa.Column("point_count", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("distance_m", sa.Double(), server_default=sa.text("0"), nullable=False),
        sa.Column("track", _geometry("LINESTRING", True), nullable=True),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(["unit_id"], ["unit.id"]),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("user_id", "external_id", name="patrol_user_external_key"),
    )  # fmt: skip
    op.create_index("patrol_started_idx", "patrol", ["started_at"], unique=False)
    op.create_index(
        "patrol_township_started_idx", "patrol", ["township_code", "started_at"], unique=False
    )
    op.create_geospatial_table(
        "patrol_point",
        sa.Column("patrol_id", sa.BigInteger(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("location", _geometry("POINT", False), nullable=False),
        sa.Column("accuracy_m", sa.Double(), nullable=True),
        sa.Column("grid_code", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(["patrol_id"], ["patrol.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("patrol_id", "seq"),
    )


def downgrade() -> None:
    op.drop_geospatial_table("patrol_point")
    op.drop_index("patrol_township_started_idx", table_name="patrol")
    op.drop_index("patrol_started_idx", table_name="patrol")
    op.drop_geospatial_table("patrol")
