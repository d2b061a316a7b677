"""checkins: a user's rest or next-morning pain, one a date; log_sets: every logged set as a row

log_sets is filled from the logs already stored, so records and progress
cover them from the first request.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "checkins",
        sa.Column("tenant", sa.String(64), nullable=False),
        sa.Column("user_id", sa.String(128), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("pain", sa.Integer(), nullable=False),
        sa.Column("stiffness", sa.Integer(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tenant", "user_id", "date", name=op.f("pk_checkins")),
    )
    op.create_table(
        "log_sets",
        sa.Column("log_id", sa.String(36), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("tenant", sa.String(64), nullable=False),
        sa.Column("user_id", sa.String(128), nullable=False),
        sa.Column("performed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("pain_after", sa.Integer(), nullable=True),
        sa.Column("slug", sa.String(64), nullable=False),
        sa.Column("reps", sa.Integer(), nullable=True),
        sa.Column("hold_seconds", sa.Integer(), nullable=True),
        sa.Column("load_kg", sa.Float(), nullable=True),
        sa.Column("rpe", sa.Integer(), nullable=True),
        sa.Column("rir", sa.Integer(), nullable=True),
        sa.Column("completed", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["log_id"], ["logs.id"], name=op.f("fk_log_sets_log_id_logs"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("log_id", "position", name=op.f("pk_log_sets")),
    )
    op.create_index(
        "ix_log_sets_records",
        "log_sets",
        ["tenant", "user_id", "slug", "log_id",
         "performed_at", "pain_after", "completed", "reps", "hold_seconds", "load_kg"],
    )
    _fill_log_sets()


def _fill_log_sets() -> None:
    # (the rows as app.logs.writer.set_rows makes them; copied, so this migration never changes under us)
    owner = ("tenant", "user_id", "performed_at", "pain_after")
    logs = sa.table(
        "logs", sa.column("id", sa.String), *(sa.column(name) for name in owner), sa.column("entries", sa.JSON)
    )
    log_sets = sa.table(
        "log_sets",
        *(sa.column(name) for name in ("log_id", "position", *owner, "slug", "reps", "hold_seconds", "load_kg", "rpe")),
        sa.column("rir"),
        sa.column("completed", sa.Boolean),
    )
    connection = op.get_bind()
    rows = []
    for log in connection.execute(sa.select(logs)).mappings().all():
        for entry_index, entry in enumerate(log["entries"]):
            for set_index, one in enumerate(entry["sets"]):
                rows.append(
                    {
                        "log_id": log["id"],
                        "position": entry_index * 1000 + set_index,
                        **{k: log[k] for k in owner},
                        "slug": entry["exercise"],
                        **{k: one.get(k) for k in ("reps", "hold_seconds", "load_kg", "rpe", "rir")},
                        "completed": one.get("completed", True),
                    }
                )
        if len(rows) >= 5000:
            connection.execute(sa.insert(log_sets), rows)
            rows = []
    if rows:
        connection.execute(sa.insert(log_sets), rows)


def downgrade() -> None:
    op.drop_index("ix_log_sets_records", table_name="log_sets")
    op.drop_table("log_sets")
    op.drop_table("checkins")
