"""assessments: a user's range-of-motion test sessions (modified Thomas test and the like)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "assessments",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("tenant", sa.String(64), nullable=False),
        sa.Column("user_id", sa.String(128), nullable=False),
        sa.Column("test", sa.String(64), nullable=False),
        sa.Column("performed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("method", sa.String(32), nullable=False),
        sa.Column("rater", sa.String(16), nullable=False),
        sa.Column("controls", sa.JSON(), nullable=False),
        sa.Column("pain", sa.Integer(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("trials", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assessments")),
    )
    op.create_index(
        "ix_assessments_tenant_user_id_performed_at_id", "assessments", ["tenant", "user_id", "performed_at", "id"]
    )
    op.create_index(
        "ix_assessments_tenant_user_id_test_performed_at", "assessments", ["tenant", "user_id", "test", "performed_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_assessments_tenant_user_id_test_performed_at", table_name="assessments")
    op.drop_index("ix_assessments_tenant_user_id_performed_at_id", table_name="assessments")
    op.drop_table("assessments")
