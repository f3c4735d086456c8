"""SQLite storage (the default backend): one file beside the bot, one process.

What is stored and why is described in :mod:`bot.storage.base`; the schema and its
migrations are in :mod:`bot.storage.sqlite_schema`, the functions that run in the database
thread in :mod:`bot.storage.sqlite_queries`.

How it runs: one ``sqlite3`` connection owned by one dedicated worker thread. Every
operation is a single function run in that thread (one hop from the event loop), and every
write is one ``BEGIN IMMEDIATE`` transaction inside that function, so transactions never
interleave. A turn costs two hops: one to read (is the update new? the state), one to write
everything the turn decided. (aiosqlite, used before, costs one hop per statement and per
fetch: about eight per turn.)

Erasure: ``secure_delete`` makes SQLite overwrite deleted content with zeros, and after an
erasure (``forget``, ``purge``) a ``wal_checkpoint(TRUNCATE)`` copies the zeroed pages into
the main file and empties the ``-wal``, so nothing erased can be read back from any file.
The database, ``-wal`` and ``-shm`` files are created with mode 0600.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import sqlite3
from collections.abc import AsyncIterator, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from . import sqlite_queries as queries
from .base import (
    RECENT_MESSAGES_KEPT,
    Counter,
    OutboxEntry,
    Purged,
    StorageError,
    StorageUnavailable,
)
from .buffered import BufferedTurn, PseudonymLocks

if TYPE_CHECKING:
    from .base import Store, TurnTransaction

__all__ = ["Counter", "SqliteStore", "StorageError", "StorageUnavailable"]

log = logging.getLogger(__name__)

R = TypeVar("R")


class SqliteStore:
    """:class:`~bot.storage.base.Store` on one SQLite file (or ``:memory:``)."""

    def __init__(self, path: str, retention: dt.timedelta) -> None:
        self.path = path
        self.retention = retention
        self._db: sqlite3.Connection | None = None
        self._thread: ThreadPoolExecutor | None = None
        self._lock = PseudonymLocks()

    def describe(self) -> str:
        return f"SQLite {self.path}"

    # -- the database thread --------------------------------------------------------

    async def _call(self, function: Callable[..., R], *args: Any) -> R:
        """Run ``function(db, *args)`` in the database thread; sqlite errors → StorageError."""
        if self._db is None or self._thread is None:
            raise StorageError("the store is not open")
        db = self._db
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._thread, function, db, *args)
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc) or "busy" in str(exc):
                raise StorageUnavailable(f"the database {self.path} is busy: {exc}") from exc
            raise StorageError(f"database {self.path}: {exc}") from exc
        except sqlite3.Error as exc:
            raise StorageError(f"database {self.path}: {exc}") from exc

    async def open(self) -> None:
        """Open, check integrity, migrate. A corrupt file is moved aside, never deleted.

        Only a file that is not, or no longer, a valid database is moved aside; a path
        that cannot be opened at all (missing permission, a directory) is an error to fix.
        """
        if self._db is not None:
            return
        thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite")
        loop = asyncio.get_running_loop()
        try:
            try:
                db = await loop.run_in_executor(thread, queries.connect, self.path)
            except (sqlite3.DatabaseError, OSError) as exc:
                if self.path == ":memory:" or not queries.is_corruption(exc):
                    raise StorageError(f"cannot open the database {self.path}: {exc}") from exc
                aside = self._move_aside()
                log.error(
                    "database %s is unreadable (%s); moved to %s and starting with a new one",
                    self.path, exc, aside,
                )
                db = await loop.run_in_executor(thread, queries.connect, self.path)
        except BaseException:
            thread.shutdown(wait=False)
            raise
        self._db, self._thread = db, thread

    def _move_aside(self) -> str:
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S")
        aside = f"{self.path}.corrupt-{stamp}"
        for suffix in ("", "-wal", "-shm"):
            source = Path(self.path + suffix)
            if source.exists():
                source.rename(aside + suffix)
        return aside

    async def close(self) -> None:
        db, thread = self._db, self._thread
        self._db = self._thread = None
        if db is not None and thread is not None:
            await asyncio.get_running_loop().run_in_executor(thread, db.close)
            thread.shutdown(wait=True)

    async def healthy(self) -> bool:
        try:
            return bool(await self._call(lambda db: db.execute("SELECT 1").fetchone()))
        except StorageError:
            return False

    # -- turns ------------------------------------------------------------------------

    @asynccontextmanager
    async def turn(
        self, pseudonym: str, update_id: int | None, now: dt.datetime
    ) -> AsyncIterator[TurnTransaction]:
        async with self._lock(pseudonym):
            duplicate, state = await self._call(queries.begin, pseudonym, update_id)
            tx = BufferedTurn(duplicate, state)
            yield tx
            if duplicate or (not tx.ops and update_id is None):
                return
            try:
                ops = queries.mark_forgotten_sends(tx.ops)
                await self._call(queries.commit, pseudonym, update_id, now, ops)
            except queries.AlreadyClaimed:
                log.warning("update %d was claimed by another turn meanwhile; ignored", update_id)

    async def load(self, pseudonym: str) -> str | None:
        _, state = await self._call(queries.begin, pseudonym, None)
        return state

    # -- delivery ---------------------------------------------------------------------

    async def claim(
        self, owner: str, now: dt.datetime, lease: dt.timedelta, limit: int
    ) -> list[OutboxEntry]:
        return await self._call(queries.claim, owner, now, lease, limit)

    async def delivered(
        self, entry: OutboxEntry, message_id: int | None, now: dt.datetime, *,
        release: str | None = None,
    ) -> None:
        await self._call(queries.delivered, entry, message_id, now, release)

    async def failed(self, entry: OutboxEntry, retry_at: dt.datetime) -> None:
        def run(db: sqlite3.Connection) -> None:
            with queries.Write(db):
                db.execute(
                    "UPDATE outbox SET attempts = attempts + 1, not_before = ? WHERE id = ?",
                    (queries.iso(retry_at), entry.id),
                )

        await self._call(run)

    async def drop(self, entry: OutboxEntry) -> None:
        def run(db: sqlite3.Connection) -> None:
            with queries.Write(db):
                db.execute("DELETE FROM outbox WHERE id = ?", (entry.id,))

        await self._call(run)

    async def drop_chat(self, chat: str) -> int:
        def run(db: sqlite3.Connection) -> int:
            with queries.Write(db):
                return int(db.execute("DELETE FROM outbox WHERE chat = ?", (chat,)).rowcount)

        return await self._call(run)

    async def release(self, owner: str, chats: Sequence[str]) -> None:
        def run(db: sqlite3.Connection) -> None:
            with queries.Write(db, durable=False):
                db.executemany(
                    "DELETE FROM outbox_leases WHERE owner = ? AND chat = ?",
                    [(owner, chat) for chat in chats],
                )

        await self._call(run)

    # -- the rest -----------------------------------------------------------------------

    async def recent_messages(self, pseudonym: str, now: dt.datetime) -> list[int]:
        def run(db: sqlite3.Connection) -> list[int]:
            rows = db.execute(
                "SELECT message_id FROM recent_messages WHERE pseudonym = ? AND sent_at >= ? "
                "ORDER BY message_id",
                (pseudonym, queries.iso(now - RECENT_MESSAGES_KEPT)),
            ).fetchall()
            return [int(r[0]) for r in rows]

        return await self._call(run)

    async def purge(self, now: dt.datetime) -> Purged:
        purged = await self._call(queries.purge, now, self.retention)
        if purged.conversations:
            log.info("expired %d inactive conversation(s)", purged.conversations)
        return purged

    async def counters(self, since: dt.date) -> list[Counter]:
        def run(db: sqlite3.Connection) -> list[Counter]:
            rows = db.execute(
                "SELECT day, flow, outcome, count FROM counters WHERE day >= ? "
                "ORDER BY day, flow, outcome",
                (since.isoformat(),),
            ).fetchall()
            return [Counter(str(r[0]), str(r[1]), str(r[2]), int(r[3])) for r in rows]

        return await self._call(run)


if TYPE_CHECKING:

    def _conforms(path: str) -> Store:
        """mypy proves here that SqliteStore implements the seam."""
        return SqliteStore(path, dt.timedelta(days=1))
