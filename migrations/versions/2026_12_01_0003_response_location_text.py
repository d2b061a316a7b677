"""idempotency_keys.response_location becomes text

A log's Location holds the user id percent-encoded: a 128-character id of
multi-byte letters is up to 1,152 bytes there, past the old varchar(512), and
Postgres refused it (SQLite never enforced the length).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("idempotency_keys") as batch:
        batch.alter_column("response_location", existing_type=sa.String(512), type_=sa.Text(), existing_nullable=True)


def downgrade() -> None:
    with op.batch_alter_table("idempotency_keys") as batch:
        batch.alter_column("response_location", existing_type=sa.Text(), type_=sa.String(512), existing_nullable=True)
