"""programmes: a user's multi-week plans, and the programme session a log fulfils

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "programmes",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("tenant", sa.String(64), nullable=False),
        sa.Column("user_id", sa.String(128), nullable=False),
        sa.Column("goal", sa.String(32), nullable=False),
        sa.Column("open_goal", sa.String(32), nullable=True),
        sa.Column("parameters", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("paused", sa.JSON(), nullable=False),
        sa.Column("ended", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_programmes")),
    )
    op.create_index(
        "ix_programmes_tenant_user_id_created_at_id", "programmes", ["tenant", "user_id", "created_at", "id"]
    )
    op.create_index(
        "ix_programmes_tenant_user_id_open_goal", "programmes", ["tenant", "user_id", "open_goal"], unique=True
    )
    # The programme session a log fulfils ({id, week, day}); null for most logs. Read with the logs' rows.
    with op.batch_alter_table("logs") as batch:
        batch.add_column(sa.Column("programme", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("logs") as batch:
        batch.drop_column("programme")
    op.drop_index("ix_programmes_tenant_user_id_open_goal", table_name="programmes")
    op.drop_index("ix_programmes_tenant_user_id_created_at_id", table_name="programmes")
    op.drop_table("programmes")
