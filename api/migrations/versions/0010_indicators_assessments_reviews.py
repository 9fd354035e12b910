"""indicators, assessments and reviews

Revision ID: 0010
Revises: 0014
Create Date: 2026-12-02

The indicators read one fact row per event (`indicator_event`), rebuilt from the event's
timeline: a statement trigger on `event_timeline` queues the events of every insert in
`indicator_dirty`, in the inserting transaction, so the queue is complete exactly when the
entries commit. Existing events are queued once here. Assessment schemes, runs, their frozen
rows and members, and the reviewers' notes.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0010"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "assessment_scheme",
        sa.Column("id", sa.Integer(), sa.Identity(always=False), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("body", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("loaded_by", sa.String(length=100), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "assessment_scheme_code_version_key", "assessment_scheme", ["code", "version"], unique=True
    )
    op.create_table(
        "indicator_dirty",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("event_id", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "indicator_event",
        sa.Column("event_id", sa.BigInteger(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("township_code", sa.String(length=32), nullable=True),
        sa.Column("village_code", sa.String(length=32), nullable=True),
        sa.Column("grid_code", sa.String(length=32), nullable=True),
        sa.Column("category_code", sa.String(length=8), nullable=False),
        sa.Column("platform_code", sa.String(length=32), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("reporter_id", sa.Integer(), nullable=True),
        sa.Column("reporter_role", sa.String(length=16), nullable=True),
        sa.Column("lead_unit_id", sa.Integer(), nullable=True),
        sa.Column("emergency", sa.Boolean(), nullable=False),
        sa.Column("reported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("rejected_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("returned_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("extended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("overdue_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("handled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("handled_late", sa.Boolean(), nullable=False),
        sa.Column("reworked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("escalated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_on_time", sa.Boolean(), nullable=False),
        sa.Column(
            "close_level",
            sa.Enum(
                "grid",
                "village",
                "township",
                "county",
                name="closelevel",
                native_enum=False,
                length=16,
            ),
            nullable=True,
        ),
        sa.Column("reopened_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_last_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("rated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("satisfied", sa.Boolean(), nullable=True),
        sa.Column("returns", sa.Integer(), nullable=False),
        sa.Column("reworks", sa.Integer(), nullable=False),
        sa.Column("extensions", sa.Integer(), nullable=False),
        sa.Column("wh_accept", sa.REAL(), nullable=True),
        sa.Column("wh_assign", sa.REAL(), nullable=True),
        sa.Column("wh_handle", sa.REAL(), nullable=True),
        sa.Column("wh_verify", sa.REAL(), nullable=True),
        sa.PrimaryKeyConstraint("event_id"),
    )
    op.create_index(
        "indicator_event_accepted_idx", "indicator_event", ["accepted_at"], unique=False
    )
    op.create_index(
        "indicator_event_assigned_idx", "indicator_event", ["assigned_at"], unique=False
    )
    op.create_index("indicator_event_closed_idx", "indicator_event", ["closed_at"], unique=False)
    op.create_index("indicator_event_handled_idx", "indicator_event", ["handled_at"], unique=False)
    op.create_index("indicator_event_overdue_idx", "indicator_event", ["overdue_at"], unique=False)
    op.create_index("indicator_event_rated_idx", "indicator_event", ["rated_at"], unique=False)
    op.create_index(
        "indicator_event_reported_idx", "indicator_event", ["reported_at"], unique=False
    )
    op.create_table(
        "assessment",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("scheme_id", sa.Integer(), nullable=False),
        sa.Column("scheme", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("township_code", sa.String(length=32), nullable=True),
        sa.Column("scope_name", sa.String(length=200), nullable=False),
        sa.Column("period", sa.String(length=32), nullable=False),
        sa.Column("period_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("period_end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("as_of", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "state",
            sa.Enum("draft", "published", name="assessmentstate", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("published_by", sa.String(length=100), nullable=True),
        sa.ForeignKeyConstraint(
            ["scheme_id"],
            ["assessment_scheme.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "assessment_scope_idx",
        "assessment",
        ["level", "township_code", "period_start"],
        unique=False,
    )
    op.create_table(
        "assessment_member",
        sa.Column("assessment_id", sa.BigInteger(), nullable=False),
        sa.Column("subject_code", sa.String(length=40), nullable=False),
        sa.Column("event_id", sa.BigInteger(), nullable=False),
        sa.Column("sets", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.ForeignKeyConstraint(["assessment_id"], ["assessment.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("assessment_id", "subject_code", "event_id"),
    )
    op.create_table(
        "assessment_row",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("assessment_id", sa.BigInteger(), nullable=False),
        sa.Column("subject_code", sa.String(length=40), nullable=False),
        sa.Column("subject_name", sa.String(length=200), nullable=False),
        sa.Column("figures", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("parts", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("score", sa.Double(), nullable=False),
        sa.Column("grade", sa.String(length=8), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("previous_rank", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["assessment_id"], ["assessment.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "assessment_row_assessment_idx", "assessment_row", ["assessment_id", "rank"], unique=False
    )
    op.create_table(
        "review_note",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("event", "emergency", "month", name="reviewkind", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("subject", sa.String(length=100), nullable=False),
        sa.Column("conclusions", sa.Text(), nullable=False),
        sa.Column("lessons", sa.Text(), nullable=False),
        sa.Column("written_by_id", sa.Integer(), nullable=True),
        sa.Column("written_by", sa.String(length=100), nullable=False),
        sa.Column("written_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["written_by_id"],
            ["user_account.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "review_note_subject_idx", "review_note", ["kind", "subject", "written_at"], unique=False
    )
    op.execute(
        """
        CREATE FUNCTION indicator_queue_events() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            INSERT INTO indicator_dirty (event_id) SELECT DISTINCT event_id FROM new_entries;
            RETURN NULL;
        END $$;
        CREATE TRIGGER indicator_queue_events
            AFTER INSERT ON event_timeline REFERENCING NEW TABLE AS new_entries
            FOR EACH STATEMENT EXECUTE FUNCTION indicator_queue_events();
        INSERT INTO indicator_dirty (event_id) SELECT id FROM event;
        """
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER indicator_queue_events ON event_timeline")
    op.execute("DROP FUNCTION indicator_queue_events()")
    op.drop_index("review_note_subject_idx", table_name="review_note")
    op.drop_table("review_note")
    op.drop_index("assessment_row_assessment_idx", table_name="assessment_row")
    op.drop_table("assessment_row")
    op.drop_table("assessment_member")
    op.drop_index("assessment_scope_idx", table_name="assessment")
    op.drop_table("assessment")
    op.drop_index("indicator_event_reported_idx", table_name="indicator_event")
    op.drop_index("indicator_event_rated_idx", table_name="indicator_event")
    op.drop_index("indicator_event_overdue_idx", table_name="indicator_event")
    op.drop_index("indicator_event_handled_idx", table_name="indicator_event")
    op.drop_index("indicator_event_closed_idx", table_name="indicator_event")
    op.drop_index("indicator_event_assigned_idx", table_name="indicator_event")
    op.drop_index("indicator_event_accepted_idx", table_name="indicator_event")
    op.drop_table("indicator_event")
    op.drop_table("indicator_dirty")
    op.drop_index("assessment_scheme_code_version_key", table_name="assessment_scheme")
    op.drop_table("assessment_scheme")
