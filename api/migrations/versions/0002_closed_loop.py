"""closed loop: units, users, tasks, timeline, supervision, attachments

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import geoalchemy2  # noqa: F401 - spatial column types in migrations
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "unit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("township_code", sa.String(length=32), nullable=True),
        sa.Column("platform_code", sa.String(length=32), nullable=True),
        sa.Column(
            "area_codes",
            postgresql.ARRAY(sa.String(length=32)),
            server_default=sa.text("'{}'"),
            nullable=False,
        ),
        sa.Column("active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["unit.id"],
        ),
        sa.ForeignKeyConstraint(
            ["platform_code"],
            ["platform.code"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
    )
    op.create_index(
        "unit_area_codes_gin", "unit", ["area_codes"], unique=False, postgresql_using="gin"
    )
    op.create_index("unit_kind_township_idx", "unit", ["kind", "township_code"], unique=False)
    op.create_table(
        "user_account",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("login", sa.String(length=64), nullable=False),
        sa.Column("display_name", sa.String(length=100), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"],
            ["unit.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("login"),
    )
    op.create_table(
        "attachment",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("event_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("content_type", sa.String(length=32), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("storage_path", sa.String(length=200), nullable=False),
        sa.Column("original_name", sa.String(length=200), nullable=True),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=True),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["event.id"],
        ),
        sa.ForeignKeyConstraint(
            ["uploaded_by_id"],
            ["user_account.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_attachment_event_id"), "attachment", ["event_id"], unique=False)
    op.create_table(
        "event_timeline",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("event_id", sa.BigInteger(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor_name", sa.String(length=100), nullable=False),
        sa.Column("actor_role", sa.String(length=16), nullable=True),
        sa.Column("unit_code", sa.String(length=40), nullable=True),
        sa.Column("unit_name", sa.String(length=200), nullable=True),
        sa.Column("from_status", sa.String(length=16), nullable=True),
        sa.Column("to_status", sa.String(length=16), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column(
            "details",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column(
            "attachment_ids",
            postgresql.ARRAY(sa.BigInteger()),
            server_default=sa.text("'{}'"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["user_account.id"],
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["event.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("event_id", "seq", name="event_timeline_event_seq_key"),
    )
    op.create_table(
        "rating",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("event_id", sa.BigInteger(), nullable=False),
        sa.Column("level", sa.String(length=24), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("reopened", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["event.id"],
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["user_account.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_rating_event_id"), "rating", ["event_id"], unique=False)
    op.create_table(
        "task",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("event_id", sa.BigInteger(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=8), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("instructions", sa.Text(), nullable=True),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("assigned_by_id", sa.Integer(), nullable=True),
        sa.Column("acknowledge_due", sa.DateTime(timezone=True), nullable=True),
        sa.Column("handle_due", sa.DateTime(timezone=True), nullable=False),
        sa.Column("at_risk_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("at_risk_notified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("overdue_notified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("return_reason", sa.Text(), nullable=True),
        sa.Column("rework_count", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("extension_count", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.ForeignKeyConstraint(
            ["assigned_by_id"],
            ["user_account.id"],
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["event.id"],
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"],
            ["unit.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "task_at_risk_due_idx",
        "task",
        ["at_risk_at"],
        unique=False,
        postgresql_where=sa.text(
            "state IN ('pending','acknowledged','in_progress') AND at_risk_notified_at IS NULL"
        ),
    )
    op.create_index("task_event_idx", "task", ["event_id"], unique=False)
    op.create_index(
        "task_overdue_due_idx",
        "task",
        ["handle_due"],
        unique=False,
        postgresql_where=sa.text(
            "state IN ('pending','acknowledged','in_progress') AND overdue_notified_at IS NULL"
        ),
    )
    op.create_index("task_unit_state_idx", "task", ["unit_id", "state"], unique=False)
    op.create_table(
        "extension_request",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("event_id", sa.BigInteger(), nullable=False),
        sa.Column("task_id", sa.BigInteger(), nullable=False),
        sa.Column("requested_by_id", sa.Integer(), nullable=True),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("requested_due", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("new_due", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision_comment", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["decided_by_id"],
            ["user_account.id"],
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["event.id"],
        ),
        sa.ForeignKeyConstraint(
            ["requested_by_id"],
            ["user_account.id"],
        ),
        sa.ForeignKeyConstraint(
            ["task_id"],
            ["task.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_extension_request_event_id"), "extension_request", ["event_id"], unique=False
    )
    op.create_table(
        "feedback",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("event_id", sa.BigInteger(), nullable=False),
        sa.Column("task_id", sa.BigInteger(), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("result", sa.String(length=24), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "attachment_ids",
            postgresql.ARRAY(sa.BigInteger()),
            server_default=sa.text("'{}'"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["user_account.id"],
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["event.id"],
        ),
        sa.ForeignKeyConstraint(
            ["task_id"],
            ["task.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_feedback_event_id"), "feedback", ["event_id"], unique=False)
    op.create_table(
        "supervision",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("event_id", sa.BigInteger(), nullable=False),
        sa.Column("task_id", sa.BigInteger(), nullable=True),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=True),
        sa.Column("issued_by_id", sa.Integer(), nullable=True),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reply_due", sa.DateTime(timezone=True), nullable=True),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("answered_by_id", sa.Integer(), nullable=True),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["answered_by_id"],
            ["user_account.id"],
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["event.id"],
        ),
        sa.ForeignKeyConstraint(
            ["issued_by_id"],
            ["user_account.id"],
        ),
        sa.ForeignKeyConstraint(
            ["task_id"],
            ["task.id"],
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"],
            ["unit.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("supervision_event_idx", "supervision", ["event_id"], unique=False)
    op.create_index(
        "supervision_open_idx",
        "supervision",
        ["state"],
        unique=False,
        postgresql_where=sa.text("state = 'open'"),
    )
    op.create_index("supervision_unit_state_idx", "supervision", ["unit_id", "state"], unique=False)
    op.add_column("event", sa.Column("reported_by_id", sa.Integer(), nullable=True))
    op.add_column("event", sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("event", sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("event", sa.Column("handled_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("event", sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("event", sa.Column("escalated_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("event", sa.Column("closure_type", sa.String(length=16), nullable=True))
    op.add_column("event", sa.Column("reject_reason", sa.String(length=16), nullable=True))
    op.add_column("event", sa.Column("duplicate_of_id", sa.BigInteger(), nullable=True))
    op.add_column("event", sa.Column("lead_unit_id", sa.Integer(), nullable=True))
    op.add_column("event", sa.Column("handle_due", sa.DateTime(timezone=True), nullable=True))
    op.add_column(
        "event", sa.Column("at_risk", sa.Boolean(), server_default=sa.text("false"), nullable=False)
    )
    op.add_column(
        "event", sa.Column("overdue", sa.Boolean(), server_default=sa.text("false"), nullable=False)
    )
    op.add_column(
        "event",
        sa.Column("rework_count", sa.Integer(), server_default=sa.text("0"), nullable=False),
    )
    op.add_column(
        "event",
        sa.Column("return_count", sa.Integer(), server_default=sa.text("0"), nullable=False),
    )
    op.add_column(
        "event",
        sa.Column("reopen_count", sa.Integer(), server_default=sa.text("0"), nullable=False),
    )
    op.add_column(
        "event",
        sa.Column("extension_count", sa.Integer(), server_default=sa.text("0"), nullable=False),
    )
    op.add_column("event", sa.Column("satisfaction", sa.String(length=24), nullable=True))
    op.create_index("event_lead_unit_idx", "event", ["lead_unit_id"], unique=False)
    op.create_foreign_key(
        "event_reported_by_id_fkey", "event", "user_account", ["reported_by_id"], ["id"]
    )
    op.create_foreign_key(
        "event_duplicate_of_id_fkey", "event", "event", ["duplicate_of_id"], ["id"]
    )
    op.create_foreign_key("event_lead_unit_id_fkey", "event", "unit", ["lead_unit_id"], ["id"])
    # The timeline is append-only: nothing edits or deletes an entry, not even by hand in psql.
    op.execute(
        """
        CREATE FUNCTION event_timeline_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'the event timeline is append-only: % is not allowed', TG_OP
                USING ERRCODE = 'restrict_violation';
        END $$;
        CREATE TRIGGER event_timeline_append_only
            BEFORE UPDATE OR DELETE ON event_timeline
            FOR EACH ROW EXECUTE FUNCTION event_timeline_append_only();
        """
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER event_timeline_append_only ON event_timeline")
    op.execute("DROP FUNCTION event_timeline_append_only()")
    for name in (
        "event_reported_by_id_fkey",
        "event_duplicate_of_id_fkey",
        "event_lead_unit_id_fkey",
    ):
        op.drop_constraint(name, "event", type_="foreignkey")
    op.drop_index("event_lead_unit_idx", table_name="event")
    op.drop_column("event", "satisfaction")
    op.drop_column("event", "extension_count")
    op.drop_column("event", "reopen_count")
    op.drop_column("event", "return_count")
    op.drop_column("event", "rework_count")
    op.drop_column("event", "overdue")
    op.drop_column("event", "at_risk")
    op.drop_column("event", "handle_due")
    op.drop_column("event", "lead_unit_id")
    op.drop_column("event", "duplicate_of_id")
    op.drop_column("event", "reject_reason")
    op.drop_column("event", "closure_type")
    op.drop_column("event", "escalated_at")
    op.drop_column("event", "closed_at")
    op.drop_column("event", "handled_at")
    op.drop_column("event", "assigned_at")
    op.drop_column("event", "accepted_at")
    op.drop_column("event", "reported_by_id")
    op.drop_index("supervision_unit_state_idx", table_name="supervision")
    op.drop_index(
        "supervision_open_idx", table_name="supervision", postgresql_where=sa.text("state = 'open'")
    )
    op.drop_index("supervision_event_idx", table_name="supervision")
    op.drop_table("supervision")
    op.drop_index(op.f("ix_feedback_event_id"), table_name="feedback")
    op.drop_table("feedback")
    op.drop_index(op.f("ix_extension_request_event_id"), table_name="extension_request")
    op.drop_table("extension_request")
    op.drop_index("task_unit_state_idx", table_name="task")
    op.drop_index(
        "task_overdue_due_idx",
        table_name="task",
        postgresql_where=sa.text(
            "state IN ('pending','acknowledged','in_progress') AND overdue_notified_at IS NULL"
        ),
    )
    op.drop_index("task_event_idx", table_name="task")
    op.drop_index(
        "task_at_risk_due_idx",
        table_name="task",
        postgresql_where=sa.text(
            "state IN ('pending','acknowledged','in_progress') AND at_risk_notified_at IS NULL"
        ),
    )
    op.drop_table("task")
    op.drop_index(op.f("ix_rating_event_id"), table_name="rating")
    op.drop_table("rating")
    op.drop_table("event_timeline")
    op.drop_index(op.f("ix_attachment_event_id"), table_name="attachment")
    op.drop_table("attachment")
    op.drop_table("user_account")
    op.drop_index("unit_kind_township_idx", table_name="unit")
    op.drop_index("unit_area_codes_gin", table_name="unit", postgresql_using="gin")
    op.drop_table("unit")
