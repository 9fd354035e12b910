"""a change feed for the event table that follows commits, not clocks

Revision ID: 0015
Revises: 0006
Create Date: 2026-12-02

`event.change_xid` is the transaction that last wrote the row: the default on insert (defaults
apply even when triggers are off, as the history loader turns them off), a trigger on update.
A follower reads `change_xid >= ` the oldest transaction that was still running when it last
looked, so a transaction that commits late is read when it commits, however long it ran.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "event",
        sa.Column(
            "change_xid", sa.BigInteger(), server_default=sa.text("txid_current()"), nullable=False
        ),
    )
    op.create_index("event_change_xid_idx", "event", ["change_xid"], unique=False)
    op.execute(
        """
        CREATE FUNCTION event_change_xid() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            NEW.change_xid := txid_current();
            RETURN NEW;
        END $$;
        CREATE TRIGGER event_change_xid BEFORE UPDATE ON event
            FOR EACH ROW EXECUTE FUNCTION event_change_xid();
        """
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER event_change_xid ON event")
    op.execute("DROP FUNCTION event_change_xid()")
    op.drop_index("event_change_xid_idx", table_name="event")
    op.drop_column("event", "change_xid")
