"""SQLite storage (the default backend): one file beside the bot, one process.

What is stored and why is described in :mod:`bot.storage.base`; the schema and its
migrations are in :mod:`bot.storage.sqlite_schema`.

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
import os
import sqlite3
import weakref
from collections.abc import AsyncIterator, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from .base import (
    HANDLED_UPDATES_KEPT,
    OUTBOX_KEPT,
    RECENT_MESSAGES_KEPT,
    Counter,
    OutboxEntry,
    Purged,
    StorageError,
    StorageUnavailable,
)
from .sqlite_schema import migrate

if TYPE_CHECKING:
    from .base import Store, TurnTransaction

__all__ = ["Counter", "SqliteStore", "StorageError", "StorageUnavailable"]

log = logging.getLogger(__name__)

R = TypeVar("R")
Op = tuple[Any, ...]
"""A write buffered by a turn: ``("save", state)``, ``("forget",)``, ``("count", flow,
outcome)``, ``("send", address, payload, keep_ids)``, ``("remember", ids)``."""

FILE_MODE = 0o600
BUSY_TIMEOUT_MS = 10_000


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat(timespec="microseconds")


def _is_corruption(exc: BaseException) -> bool:
    """A damaged or foreign file, as opposed to a path that cannot be opened."""
    text = str(exc).lower()
    return "not a database" in text or "malformed" in text or "corrupt" in text


def _private_files(path: str) -> None:
    """Database, WAL and SHM readable by the owner only (SQLite gives -wal and -shm the
    mode of the database file, so creating that one 0600 is what matters)."""
    for suffix in ("", "-wal", "-shm"):
        target = Path(path + suffix)
        if target.exists():
            target.chmod(FILE_MODE)


def _connect(path: str) -> sqlite3.Connection:
    """Create (0600) or open the file, check it, switch to WAL, migrate."""
    if path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        old_umask = os.umask(0o077)
        try:
            os.close(os.open(path, os.O_RDWR | os.O_CREAT, FILE_MODE))
        finally:
            os.umask(old_umask)
        _private_files(path)
    db = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
    try:
        db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        row = db.execute("PRAGMA quick_check").fetchone()
        if row is None or row[0] != "ok":
            raise sqlite3.DatabaseError(
                f"integrity check failed (corrupt): {row[0] if row else 'no answer'}"
            )
        db.execute("PRAGMA secure_delete = ON")
        db.execute("PRAGMA journal_mode = WAL")
        db.execute("PRAGMA synchronous = FULL")
        migrate(db)
    except BaseException:
        db.close()
        raise
    if path != ":memory:":
        _private_files(path)
    return db


class _Write:
    """``with _Write(db):`` one ``BEGIN IMMEDIATE`` … ``COMMIT`` (``ROLLBACK`` on error)."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def __enter__(self) -> sqlite3.Connection:
        self.db.execute("BEGIN IMMEDIATE")
        return self.db

    def __exit__(self, kind: object, value: object, traceback: object) -> None:
        self.db.execute("COMMIT" if kind is None else "ROLLBACK")


def _checkpoint(db: sqlite3.Connection) -> None:
    """Copy the (zeroed) pages into the main file and empty the WAL."""
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()


class _Turn:
    """The :class:`~bot.storage.base.TurnTransaction` of SQLite: writes are buffered here
    and applied by one function in the database thread when the turn ends."""

    def __init__(self, duplicate: bool, state: str | None) -> None:
        self._duplicate = duplicate
        self._state = state
        self.ops: list[Op] = []

    @property
    def duplicate(self) -> bool:
        return self._duplicate

    async def load(self) -> str | None:
        return self._state

    def save(self, state: str) -> None:
        self.ops.append(("save", state))

    def forget(self) -> None:
        self.ops.append(("forget",))

    def count(self, flow: str, outcome: str) -> None:
        self.ops.append(("count", flow, outcome))

    def send(self, address: str, payload: str) -> None:
        self.ops.append(("send", address, payload))

    def remember(self, message_ids: Sequence[int]) -> None:
        self.ops.append(("remember", tuple(message_ids)))


def _mark_forgotten_sends(ops: list[Op]) -> list[Op]:
    """Entries queued after a ``forget`` keep no message id, unless the turn saved a new
    conversation after it (``/effacer`` starts a fresh one; ``/oubli`` keeps nothing)."""
    keep = True
    for op in ops:
        if op[0] == "forget":
            keep = False
        elif op[0] == "save":
            keep = True
    marked: list[Op] = []
    forgotten = False
    for op in ops:
        if op[0] == "forget":
            forgotten = True
        if op[0] == "send":
            marked.append((*op, keep or not forgotten))
        else:
            marked.append(op)
    return marked


def _begin(
    db: sqlite3.Connection, pseudonym: str, update_id: int | None
) -> tuple[bool, str | None]:
    if update_id is not None and db.execute(
        "SELECT 1 FROM handled_updates WHERE update_id = ?", (update_id,)
    ).fetchone():
        return True, None
    row = db.execute("SELECT state FROM conversations WHERE pseudonym = ?", (pseudonym,)).fetchone()
    return False, (str(row[0]) if row else None)


def _commit(
    db: sqlite3.Connection, pseudonym: str, update_id: int | None, now: dt.datetime, ops: list[Op]
) -> bool:
    """Apply one turn; False (nothing written) if its update id was claimed meanwhile."""
    stamp, day = _iso(now), now.astimezone(dt.UTC).date().isoformat()
    erased = False
    with _Write(db):
        if update_id is not None:
            claimed = db.execute(
                "INSERT OR IGNORE INTO handled_updates (update_id, handled_at) VALUES (?, ?)",
                (update_id, stamp),
            )
            if claimed.rowcount == 0:
                raise _AlreadyClaimed
        for op in ops:
            kind = op[0]
            if kind == "save":
                db.execute(
                    "INSERT INTO conversations (pseudonym, state, updated_at) VALUES (?, ?, ?) "
                    "ON CONFLICT(pseudonym) DO UPDATE SET state = excluded.state, "
                    "updated_at = excluded.updated_at",
                    (pseudonym, op[1], stamp),
                )
            elif kind == "forget":
                _erase(db, pseudonym)
                erased = True
            elif kind == "count":
                db.execute(
                    "INSERT INTO counters (day, flow, outcome, count) VALUES (?, ?, ?, 1) "
                    "ON CONFLICT(day, flow, outcome) DO UPDATE SET count = count + 1",
                    (day, op[1], op[2]),
                )
            elif kind == "send":
                db.execute(
                    "INSERT INTO outbox (chat, address, payload, created_at, keep_ids) "
                    "VALUES (?, ?, ?, ?, ?)",
                    (pseudonym, op[1], op[2], stamp, int(op[3])),
                )
            elif kind == "remember":
                db.executemany(
                    "INSERT OR IGNORE INTO recent_messages (pseudonym, message_id, sent_at) "
                    "VALUES (?, ?, ?)",
                    [(pseudonym, i, stamp) for i in op[1]],
                )
    if erased:
        _checkpoint(db)
    return True


class _AlreadyClaimed(Exception):
    """Internal: the update id was claimed between the read and the write of a turn."""


def _erase(db: sqlite3.Connection, pseudonym: str) -> None:
    db.execute("DELETE FROM conversations WHERE pseudonym = ?", (pseudonym,))
    db.execute("DELETE FROM outbox WHERE chat = ?", (pseudonym,))
    db.execute("DELETE FROM outbox_leases WHERE chat = ?", (pseudonym,))
    db.execute("DELETE FROM recent_messages WHERE pseudonym = ?", (pseudonym,))


def _entry(row: sqlite3.Row | tuple[Any, ...]) -> OutboxEntry:
    return OutboxEntry(
        id=int(row[0]),
        chat=str(row[1]),
        address=str(row[2]),
        payload=str(row[3]),
        created_at=dt.datetime.fromisoformat(str(row[4])),
        attempts=int(row[5]),
    )


def _claim(
    db: sqlite3.Connection, owner: str, now: dt.datetime, lease: dt.timedelta, limit: int
) -> list[OutboxEntry]:
    stamp = _iso(now)
    with _Write(db):
        rows = db.execute(
            "SELECT o.id, o.chat, o.address, o.payload, o.created_at, o.attempts FROM outbox o "
            "LEFT JOIN outbox_leases l ON l.chat = o.chat "
            "WHERE (l.chat IS NULL OR l.owner = ? OR l.until <= ?) "
            "AND o.chat NOT IN (SELECT chat FROM outbox WHERE not_before > ?) "
            "ORDER BY o.id LIMIT ?",
            (owner, stamp, stamp, limit),
        ).fetchall()
        entries = [_entry(r) for r in rows]
        until = _iso(now + lease)
        db.executemany(
            "INSERT INTO outbox_leases (chat, owner, until) VALUES (?, ?, ?) "
            "ON CONFLICT(chat) DO UPDATE SET owner = excluded.owner, until = excluded.until",
            [(chat, owner, until) for chat in dict.fromkeys(e.chat for e in entries)],
        )
    return entries


def _delivered(
    db: sqlite3.Connection, entry_id: int, message_id: int | None, now: dt.datetime
) -> None:
    with _Write(db):
        row = db.execute("SELECT chat, keep_ids FROM outbox WHERE id = ?", (entry_id,)).fetchone()
        if row is None:  # forgotten (or dropped) while it was being sent: keep nothing
            return
        chat, keep = str(row[0]), bool(row[1])
        db.execute("DELETE FROM outbox WHERE id = ?", (entry_id,))
        if keep and message_id is not None:
            db.execute(
                "INSERT OR IGNORE INTO recent_messages (pseudonym, message_id, sent_at) "
                "VALUES (?, ?, ?)",
                (chat, message_id, _iso(now)),
            )
        last = keep or db.execute("SELECT 1 FROM outbox WHERE chat = ?", (chat,)).fetchone()
        if not last:  # the forgotten chat's last word is out: leave no trace of it
            db.execute("DELETE FROM outbox_leases WHERE chat = ?", (chat,))
    if not keep:
        _checkpoint(db)


def _purge(db: sqlite3.Connection, now: dt.datetime, retention: dt.timedelta) -> Purged:
    with _Write(db):
        purged = Purged(
            conversations=db.execute(
                "DELETE FROM conversations WHERE updated_at < ?", (_iso(now - retention),)
            ).rowcount,
            handled_updates=db.execute(
                "DELETE FROM handled_updates WHERE handled_at < ?",
                (_iso(now - HANDLED_UPDATES_KEPT),),
            ).rowcount,
            outbox=db.execute(
                "DELETE FROM outbox WHERE created_at < ?", (_iso(now - OUTBOX_KEPT),)
            ).rowcount,
            recent_messages=db.execute(
                "DELETE FROM recent_messages WHERE sent_at < ?",
                (_iso(now - RECENT_MESSAGES_KEPT),),
            ).rowcount,
        )
        db.execute(
            "DELETE FROM outbox_leases WHERE until < ? AND chat NOT IN (SELECT chat FROM outbox)",
            (_iso(now),),
        )
    _checkpoint(db)
    return purged


class SqliteStore:
    """:class:`~bot.storage.base.Store` on one SQLite file (or ``:memory:``)."""

    def __init__(self, path: str, retention: dt.timedelta) -> None:
        self.path = path
        self.retention = retention
        self._db: sqlite3.Connection | None = None
        self._thread: ThreadPoolExecutor | None = None
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()

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
                db = await loop.run_in_executor(thread, _connect, self.path)
            except (sqlite3.DatabaseError, OSError) as exc:
                if self.path == ":memory:" or not _is_corruption(exc):
                    raise StorageError(f"cannot open the database {self.path}: {exc}") from exc
                aside = self._move_aside()
                log.error(
                    "database %s is unreadable (%s); moved to %s and starting with a new one",
                    self.path, exc, aside,
                )
                db = await loop.run_in_executor(thread, _connect, self.path)
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

    def _lock(self, pseudonym: str) -> asyncio.Lock:
        lock = self._locks.get(pseudonym)
        if lock is None:
            lock = asyncio.Lock()
            self._locks[pseudonym] = lock
        return lock

    def turn(
        self, pseudonym: str, update_id: int | None, now: dt.datetime
    ) -> AbstractAsyncContextManager[TurnTransaction]:
        return self._turn(pseudonym, update_id, now)

    @asynccontextmanager
    async def _turn(
        self, pseudonym: str, update_id: int | None, now: dt.datetime
    ) -> AsyncIterator[TurnTransaction]:
        async with self._lock(pseudonym):
            duplicate, state = await self._call(_begin, pseudonym, update_id)
            tx = _Turn(duplicate, state)
            yield tx
            if duplicate or (not tx.ops and update_id is None):
                return
            try:
                await self._call(_commit, pseudonym, update_id, now, _mark_forgotten_sends(tx.ops))
            except _AlreadyClaimed:
                log.warning("update %d was claimed by another turn meanwhile; ignored", update_id)

    async def load(self, pseudonym: str) -> str | None:
        _, state = await self._call(_begin, pseudonym, None)
        return state

    # -- delivery ---------------------------------------------------------------------

    async def claim(
        self, owner: str, now: dt.datetime, lease: dt.timedelta, limit: int
    ) -> list[OutboxEntry]:
        return await self._call(_claim, owner, now, lease, limit)

    async def delivered(
        self, entry: OutboxEntry, message_id: int | None, now: dt.datetime
    ) -> None:
        await self._call(_delivered, entry.id, message_id, now)

    async def failed(self, entry: OutboxEntry, retry_at: dt.datetime) -> None:
        def run(db: sqlite3.Connection) -> None:
            with _Write(db):
                db.execute(
                    "UPDATE outbox SET attempts = attempts + 1, not_before = ? WHERE id = ?",
                    (_iso(retry_at), entry.id),
                )

        await self._call(run)

    async def drop(self, entry: OutboxEntry) -> None:
        def run(db: sqlite3.Connection) -> None:
            with _Write(db):
                db.execute("DELETE FROM outbox WHERE id = ?", (entry.id,))

        await self._call(run)

    async def drop_chat(self, chat: str) -> int:
        def run(db: sqlite3.Connection) -> int:
            with _Write(db):
                return int(db.execute("DELETE FROM outbox WHERE chat = ?", (chat,)).rowcount)

        return await self._call(run)

    async def release(self, owner: str, chats: Sequence[str]) -> None:
        def run(db: sqlite3.Connection) -> None:
            with _Write(db):
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
                (pseudonym, _iso(now - RECENT_MESSAGES_KEPT)),
            ).fetchall()
            return [int(r[0]) for r in rows]

        return await self._call(run)

    async def purge(self, now: dt.datetime) -> Purged:
        purged = await self._call(_purge, now, self.retention)
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
