"""the place a boundary set covers

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02

The pages' title and the county of `shuxin units sync` come from the active set, not from a
constant: a set records the county (or other place) it covers. Sets that hold a county area take
it from that area.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("boundary_set", sa.Column("place_code", sa.String(length=32), nullable=True))
    op.add_column("boundary_set", sa.Column("place_name", sa.String(length=100), nullable=True))
    op.execute(
        "UPDATE boundary_set s SET place_code = a.code, place_name = a.name "
        "FROM area a WHERE a.set_id = s.id AND a.level = 'county'"
    )


def downgrade() -> None:
    op.drop_column("boundary_set", "place_name")
    op.drop_column("boundary_set", "place_code")
