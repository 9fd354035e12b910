"""confidentiality (保密管理): the access audit log, sign-in throttling and sessions, personal
data of reporters, and whose an event in no township is

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sign_in_failure",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("failures", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("last_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("locks", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column(
            "at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column("action", sa.String(length=24), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("login", sa.String(length=64), nullable=True),
        sa.Column("role", sa.String(length=16), nullable=True),
        sa.Column("unit_code", sa.String(length=40), nullable=True),
        sa.Column("address", sa.String(length=64), nullable=True),
        sa.Column("target", sa.String(length=200), nullable=True),
        sa.Column(
            "details",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("audit_log_action_at_idx", "audit_log", ["action", "at"], unique=False)
    op.create_index("audit_log_at_idx", "audit_log", ["at"], unique=False)
    op.create_index("audit_log_user_at_idx", "audit_log", ["user_id", "at"], unique=False)
    op.create_table(
        "revoked_session",
        sa.Column("sid", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
        ),
        sa.PrimaryKeyConstraint("sid"),
    )
    op.add_column("event", sa.Column("reporter_id_number", sa.String(length=32), nullable=True))
    op.add_column("event", sa.Column("reporter_address", sa.String(length=500), nullable=True))
    op.add_column("event", sa.Column("reporter_township_code", sa.String(length=32), nullable=True))
    op.create_index(
        "event_unplaced_reporter_idx",
        "event",
        ["reporter_township_code"],
        unique=False,
        postgresql_where=sa.text("township_code IS NULL"),
    )
    op.add_column(
        "user_account",
        sa.Column("token_version", sa.Integer(), server_default=sa.text("0"), nullable=False),
    )
    op.add_column(
        "user_account",
        sa.Column(
            "must_change_password", sa.Boolean(), server_default=sa.text("false"), nullable=False
        ),
    )
    op.add_column(
        "user_account", sa.Column("password_changed_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.add_column(
        "user_account", sa.Column("last_sign_in_at", sa.DateTime(timezone=True), nullable=True)
    )
    # Events already stored: the township of the reporter's unit, as intake records it now.
    op.execute(
        "UPDATE event e SET reporter_township_code = n.township_code "
        "FROM user_account u JOIN unit n ON n.id = u.unit_id WHERE u.id = e.reported_by_id"
    )
    # The audit log is append-only, like the timeline: not even psql may edit or delete it.
    op.execute(
        """
        CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'the audit log is append-only: % is not allowed', TG_OP
                USING ERRCODE = 'restrict_violation';
        END $$;
        CREATE TRIGGER audit_log_append_only
            BEFORE UPDATE OR DELETE ON audit_log
            FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
        """
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER audit_log_append_only ON audit_log")
    op.execute("DROP FUNCTION audit_log_append_only()")
    op.drop_column("user_account", "last_sign_in_at")
    op.drop_column("user_account", "password_changed_at")
    op.drop_column("user_account", "must_change_password")
    op.drop_column("user_account", "token_version")
    op.drop_index(
        "event_unplaced_reporter_idx",
        table_name="event",
        postgresql_where=sa.text("township_code IS NULL"),
    )
    op.drop_column("event", "reporter_township_code")
    op.drop_column("event", "reporter_address")
    op.drop_column("event", "reporter_id_number")
    op.drop_table("revoked_session")
    op.drop_index("audit_log_user_at_idx", table_name="audit_log")
    op.drop_index("audit_log_at_idx", table_name="audit_log")
    op.drop_index("audit_log_action_at_idx", table_name="audit_log")
    op.drop_table("audit_log")
    op.drop_table("sign_in_failure")
