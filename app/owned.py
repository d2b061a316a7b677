"""What the stores of a user's rows (logs, check-ins, assessments, programmes) do alike.

Every such row belongs to one (tenant, user_id). Deleting one row, erasing a
user and paging newest first with a keyset cursor have the same shape for all
four tables, and the same duties: a write bumps the user's revision (so no
kept answer outlives it), an erasure forgets it. Each store keeps what differs:
its columns, which row a path names, what else a deletion forgets.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sqlalchemy import Table, and_, delete, exists, or_, select
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session

from app import revisions
from app.db import write_session

if TYPE_CHECKING:
    from app.logs.cursor import Cursor

Forget = Callable[[Session], object]


class Owned:
    """A table of users' rows; ``newest``: the column pages are ordered by (ties broken by id)."""

    def __init__(self, table: Table, newest: str | None = None) -> None:
        self.table = table
        self._newest = table.c[newest] if newest else None

    def of(self, tenant: str, user_id: str) -> Any:
        """The filter for one user's rows."""
        return and_(self.table.c.tenant == tenant, self.table.c.user_id == user_id)

    def has_any(self, connection: Connection, tenant: str, user_id: str) -> bool:
        return bool(connection.execute(select(exists().where(self.of(tenant, user_id)))).scalar())

    def delete_one(self, engine: Engine, tenant: str, user_id: str, which: Any, forget: Forget) -> bool:
        """Delete the user's row ``which`` picks, and what ``forget`` drops with it (the stored answer that
        created it), in one transaction; False if the user has no such row."""
        with write_session(engine) as session:
            deleted = session.exec(delete(self.table).where(self.of(tenant, user_id), which))
            if deleted.rowcount != 1:
                return False
            forget(session)
            revisions.bump(session.connection(), [(tenant, user_id)])
            session.commit()
        return True

    def erase(self, engine: Engine, tenant: str, user_id: str, forget: Forget | None = None) -> int:
        """Delete every row of a user (and what ``forget`` drops with them); returns how many rows."""
        with write_session(engine) as session:
            deleted = session.exec(delete(self.table).where(self.of(tenant, user_id)))
            if forget is not None:
                forget(session)
            revisions.forget(session.connection(), tenant, user_id)
            session.commit()
        return int(deleted.rowcount)

    def newest_first(self, statement: Any, after: Cursor | None, limit: int) -> Any:
        """``statement``'s rows newest first, from just after ``after``: one row more than ``limit``, so the
        caller can tell whether another page follows."""
        assert self._newest is not None, "this table is not paged by a keyset cursor"
        newest, row_id = self._newest, self.table.c.id
        if after is not None:
            statement = statement.where(
                or_(newest < after.performed_at, and_(newest == after.performed_at, row_id < after.id))
            )
        return statement.order_by(newest.desc(), row_id.desc()).limit(limit + 1)
