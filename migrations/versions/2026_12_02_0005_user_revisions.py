"""user_revisions: a revision per user, changed with every change to their logs or check-ins

Filled for the users already stored (each with a random first revision, as
app.revisions gives one), so their answers can be cached from the first request.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "user_revisions",
        sa.Column("tenant", sa.String(64), nullable=False),
        sa.Column("user_id", sa.String(128), nullable=False),
        sa.Column("revision", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("tenant", "user_id", name=op.f("pk_user_revisions")),
    )
    owners = sa.union(
        sa.select(sa.column("tenant"), sa.column("user_id")).select_from(sa.table("logs")),
        sa.select(sa.column("tenant"), sa.column("user_id")).select_from(sa.table("checkins")),
    )
    revisions = sa.table("user_revisions", sa.column("tenant"), sa.column("user_id"), sa.column("revision"))
    connection = op.get_bind()
    # (the first revision as app.revisions.first_revision makes it; copied, so this migration never changes)
    rows = [
        {"tenant": tenant, "user_id": user_id, "revision": secrets.randbits(62)}
        for tenant, user_id in connection.execute(owners).all()
    ]
    for start in range(0, len(rows), 5000):
        connection.execute(sa.insert(revisions), rows[start : start + 5000])


def downgrade() -> None:
    op.drop_table("user_revisions")
