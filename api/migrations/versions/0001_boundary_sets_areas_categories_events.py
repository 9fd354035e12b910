"""boundary sets, areas, categories, events

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import geoalchemy2  # noqa: F401 - spatial column types in migrations
import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    op.create_table(
        "boundary_set",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("is_active", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("activated_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_index(
        "boundary_set_one_active",
        "boundary_set",
        ["is_active"],
        unique=True,
        postgresql_where=sa.text("is_active"),
    )
    op.create_table(
        "platform",
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("sort_order", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.PrimaryKeyConstraint("code"),
    )
    op.create_geospatial_table(
        "area",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("set_id", sa.Integer(), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("parent_code", sa.String(length=32), nullable=True),
        sa.Column(
            "geom",
            Geometry(
                geometry_type="MULTIPOLYGON",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
                nullable=False,
            ),
            nullable=False,
        ),
        sa.Column("area_m2", sa.Double(), nullable=False),
        sa.Column("source_file", sa.Text(), nullable=True),
        sa.Column("attributes", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.ForeignKeyConstraint(["set_id"], ["boundary_set.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("set_id", "code", name="area_set_code_key"),
    )
    op.create_geospatial_index(
        "area_geom_gist", "area", ["geom"], unique=False, postgresql_using="gist", postgresql_ops={}
    )
    op.create_index("area_set_level_idx", "area", ["set_id", "level"], unique=False)
    op.create_index("area_set_parent_idx", "area", ["set_id", "parent_code"], unique=False)
    op.create_table(
        "category",
        sa.Column("code", sa.String(length=8), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("parent_code", sa.String(length=8), nullable=True),
        sa.Column("platform_code", sa.String(length=32), nullable=True),
        sa.Column(
            "urgencies",
            postgresql.ARRAY(sa.String(length=16)),
            server_default=sa.text("'{normal}'"),
            nullable=False,
        ),
        sa.Column("acknowledge_limit", sa.String(length=16), nullable=True),
        sa.Column("handle_limit", sa.String(length=16), nullable=True),
        sa.Column("urgent_handle_limit", sa.String(length=16), nullable=True),
        sa.Column("active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.ForeignKeyConstraint(
            ["parent_code"],
            ["category.code"],
        ),
        sa.ForeignKeyConstraint(
            ["platform_code"],
            ["platform.code"],
        ),
        sa.PrimaryKeyConstraint("code"),
    )
    op.create_geospatial_table(
        "event",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        sa.Column("category_code", sa.String(length=8), nullable=False),
        sa.Column("urgency", sa.String(length=16), server_default="normal", nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("external_id", sa.String(length=100), nullable=True),
        sa.Column("status", sa.String(length=16), server_default="reported", nullable=False),
        sa.Column(
            "location",
            Geometry(
                geometry_type="POINT",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
            ),
            nullable=True,
        ),
        sa.Column("input_lon", sa.Double(), nullable=True),
        sa.Column("input_lat", sa.Double(), nullable=True),
        sa.Column("input_crs", sa.String(length=32), server_default="wgs84", nullable=False),
        sa.Column("address", sa.String(length=500), nullable=True),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("reporter_name", sa.String(length=100), nullable=True),
        sa.Column("reporter_phone", sa.String(length=32), nullable=True),
        sa.Column("routing_set_id", sa.Integer(), nullable=True),
        sa.Column("routing_method", sa.String(length=16), nullable=False),
        sa.Column("grid_code", sa.String(length=32), nullable=True),
        sa.Column("village_code", sa.String(length=32), nullable=True),
        sa.Column("township_code", sa.String(length=32), nullable=True),
        sa.Column("routing_distance_m", sa.Double(), nullable=True),
        sa.Column("routing_candidates", postgresql.ARRAY(sa.String(length=32)), nullable=True),
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.ForeignKeyConstraint(
            ["category_code"],
            ["category.code"],
        ),
        sa.ForeignKeyConstraint(
            ["routing_set_id"],
            ["boundary_set.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("event_category_idx", "event", ["category_code"], unique=False)
    op.create_index("event_created_at_idx", "event", ["created_at"], unique=False)
    op.create_index("event_grid_idx", "event", ["grid_code"], unique=False)
    op.create_geospatial_index(
        "event_location_gist",
        "event",
        ["location"],
        unique=False,
        postgresql_using="gist",
        postgresql_ops={},
    )
    op.create_index("event_routing_method_idx", "event", ["routing_method"], unique=False)
    op.create_index(
        "event_source_external_id_key",
        "event",
        ["source", "external_id"],
        unique=True,
        postgresql_where=sa.text("external_id IS NOT NULL"),
    )
    op.create_index("event_status_idx", "event", ["status"], unique=False)
    op.create_index("event_township_idx", "event", ["township_code"], unique=False)
    op.create_index("event_updated_at_idx", "event", ["updated_at"], unique=False)
    op.create_index("event_village_idx", "event", ["village_code"], unique=False)


def downgrade() -> None:
    op.drop_index("event_village_idx", table_name="event")
    op.drop_index("event_updated_at_idx", table_name="event")
    op.drop_index("event_township_idx", table_name="event")
    op.drop_index("event_status_idx", table_name="event")
    op.drop_index(
        "event_source_external_id_key",
        table_name="event",
        postgresql_where=sa.text("external_id IS NOT NULL"),
    )
    op.drop_index("event_routing_method_idx", table_name="event")
    op.drop_geospatial_index(
        "event_location_gist", table_name="event", postgresql_using="gist", column_name="location"
    )
    op.drop_index("event_grid_idx", table_name="event")
    op.drop_index("event_created_at_idx", table_name="event")
    op.drop_index("event_category_idx", table_name="event")
    op.drop_geospatial_table("event")
    op.drop_table("category")
    op.drop_index("area_set_parent_idx", table_name="area")
    op.drop_index("area_set_level_idx", table_name="area")
    op.drop_geospatial_index(
        "area_geom_gist", table_name="area", postgresql_using="gist", column_name="geom"
    )
    op.drop_geospatial_table("area")
    op.drop_table("platform")
    op.drop_index(
        "boundary_set_one_active", table_name="boundary_set", postgresql_where=sa.text("is_active")
    )
    op.drop_table("boundary_set")
