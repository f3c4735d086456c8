"""SQLite storage: conversation states, handled updates, anonymous counters.

What is stored, and why it is the minimum: a pseudonym (keyed hash), the
conversation state (node names and structured answers, never message text), the
ids of updates already handled (so a re-delivered update is processed once), the
ids of recent messages (so ``/effacer`` can delete them), and counters per day,
flow and outcome that are linked to nobody. Inactive conversations expire.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import logging
import sqlite3
from collections.abc import Callable, Coroutine, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar

import aiosqlite

log = logging.getLogger(__name__)

SCHEMA = [
    # version 1
    """
    CREATE TABLE conversations (
        pseudonym TEXT PRIMARY KEY,
        state TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE TABLE handled_updates (
        pseudonym TEXT NOT NULL,
        update_id INTEGER NOT NULL,
        handled_at TEXT NOT NULL,
        PRIMARY KEY (pseudonym, update_id)
    );
    CREATE TABLE recent_messages (
        pseudonym TEXT NOT NULL,
        message_id INTEGER NOT NULL,
        sent_at TEXT NOT NULL,
        PRIMARY KEY (pseudonym, message_id)
    );
    CREATE TABLE counters (
        day TEXT NOT NULL,
        flow TEXT NOT NULL,
        outcome TEXT NOT NULL,
        count INTEGER NOT NULL,
        PRIMARY KEY (day, flow, outcome)
    );
    """,
]

HANDLED_UPDATES_KEPT = dt.timedelta(days=2)
"""Telegram keeps undelivered updates 24 h; remembering 48 h is enough to dedupe."""
RECENT_MESSAGES_KEPT = dt.timedelta(hours=48)
"""The Bot API lets a bot delete messages of a private chat for 48 h."""


class StorageError(Exception):
    """The database cannot be used; the message says what to do."""


@dataclass(frozen=True)
class Counter:
    """One anonymous statistic."""

    day: str
    flow: str
    outcome: str
    count: int


def _is_corruption(exc: Exception) -> bool:
    """A damaged or foreign file, as opposed to a path that cannot be opened."""
    if isinstance(exc, StorageError):
        return True
    text = str(exc).lower()
    return "not a database" in text or "malformed" in text or "corrupt" in text


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat(timespec="seconds")


P = ParamSpec("P")
R = TypeVar("R")


def _one_writer(
    method: Callable[Concatenate[Store, P], Coroutine[Any, Any, R]],
) -> Callable[Concatenate[Store, P], Coroutine[Any, Any, R]]:
    """One transaction at a time on the shared connection.

    Concurrent users (the Telegram channel) would otherwise nest ``BEGIN`` on it ("cannot
    start a transaction within a transaction"), and the failing call's ``ROLLBACK`` would
    undo the other user's writes.
    """

    @functools.wraps(method)
    async def serialised(store: Store, /, *args: P.args, **kwargs: P.kwargs) -> R:
        async with store._writing:
            return await method(store, *args, **kwargs)

    return serialised


class Store:
    """One writer connection; every write in an explicit ``BEGIN IMMEDIATE`` transaction."""

    def __init__(self, path: str, retention: dt.timedelta) -> None:
        self.path = path
        self.retention = retention
        self._db: aiosqlite.Connection | None = None
        self._writing = asyncio.Lock()

    @property
    def db(self) -> aiosqlite.Connection:
        if self._db is None:
            raise StorageError("the store is not open")
        return self._db

    async def open(self) -> None:
        """Open, check integrity, migrate. A corrupt file is moved aside, never deleted.

        Only a file that is not, or no longer, a valid database is moved aside; a path
        that cannot be opened at all (missing permission, a directory) is an error to fix.
        """
        try:
            await self._connect()
        except (sqlite3.DatabaseError, StorageError) as exc:
            if self.path == ":memory:" or not _is_corruption(exc):
                raise StorageError(f"cannot open the database {self.path}: {exc}") from exc
            aside = self._move_aside()
            log.error(
                "database %s is unreadable (%s); moved to %s and starting with a new one",
                self.path,
                exc,
                aside,
            )
            await self._connect()

    async def _connect(self) -> None:
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        db = await aiosqlite.connect(self.path, timeout=10.0, isolation_level=None)
        try:
            await db.execute("PRAGMA busy_timeout = 10000")
            row = await (await db.execute("PRAGMA quick_check")).fetchone()
            if row is None or row[0] != "ok":
                raise StorageError(f"integrity check failed: {row[0] if row else 'no answer'}")
            await db.execute("PRAGMA journal_mode = WAL")
            await db.execute("PRAGMA synchronous = FULL")
            await self._migrate(db)
        except BaseException:
            await db.close()
            raise
        self._db = db

    def _move_aside(self) -> str:
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S")
        aside = f"{self.path}.corrupt-{stamp}"
        for suffix in ("", "-wal", "-shm"):
            source = Path(self.path + suffix)
            if source.exists():
                source.rename(aside + suffix)
        return aside

    @staticmethod
    async def _migrate(db: aiosqlite.Connection) -> None:
        row = await (await db.execute("PRAGMA user_version")).fetchone()
        version = int(row[0]) if row else 0
        for number, script in enumerate(SCHEMA[version:], start=version + 1):
            await db.execute("BEGIN IMMEDIATE")
            try:
                for statement in filter(str.strip, script.split(";")):
                    await db.execute(statement)
                await db.execute(f"PRAGMA user_version = {number}")
                await db.execute("COMMIT")
            except BaseException:
                await db.execute("ROLLBACK")
                raise

    async def close(self) -> None:
        if self._db is not None:
            await self._db.close()
            self._db = None

    # -- conversations -----------------------------------------------------

    async def load(self, pseudonym: str) -> str | None:
        """The stored state of a conversation, or None."""
        cursor = await self.db.execute(
            "SELECT state FROM conversations WHERE pseudonym = ?", (pseudonym,)
        )
        row = await cursor.fetchone()
        return str(row[0]) if row else None

    async def already_handled(self, pseudonym: str, update_id: int) -> bool:
        cursor = await self.db.execute(
            "SELECT 1 FROM handled_updates WHERE pseudonym = ? AND update_id = ?",
            (pseudonym, update_id),
        )
        return await cursor.fetchone() is not None

    @_one_writer
    async def save(
        self,
        pseudonym: str,
        state: str | None,
        now: dt.datetime,
        *,
        update_id: int | None = None,
        counters: Iterable[tuple[str, str]] = (),
    ) -> None:
        """Save a turn atomically: state, handled update id and counters together.

        ``state=None`` records the update and counters without keeping a conversation
        (after ``/oubli``).
        """
        day = now.astimezone(dt.UTC).date().isoformat()
        await self.db.execute("BEGIN IMMEDIATE")
        try:
            if state is not None:
                await self.db.execute(
                    "INSERT INTO conversations (pseudonym, state, updated_at) VALUES (?, ?, ?) "
                    "ON CONFLICT(pseudonym) DO UPDATE SET state = excluded.state, "
                    "updated_at = excluded.updated_at",
                    (pseudonym, state, _iso(now)),
                )
            if update_id is not None:
                await self.db.execute(
                    "INSERT OR IGNORE INTO handled_updates VALUES (?, ?, ?)",
                    (pseudonym, update_id, _iso(now)),
                )
            for flow, outcome in counters:
                await self.db.execute(
                    "INSERT INTO counters VALUES (?, ?, ?, 1) ON CONFLICT(day, flow, outcome) "
                    "DO UPDATE SET count = count + 1",
                    (day, flow, outcome),
                )
            await self.db.execute("COMMIT")
        except BaseException:
            await self.db.execute("ROLLBACK")
            raise

    @_one_writer
    async def forget(self, pseudonym: str) -> None:
        """Erase everything stored about one user (counters are linked to nobody)."""
        await self.db.execute("BEGIN IMMEDIATE")
        try:
            for table in ("conversations", "handled_updates", "recent_messages"):
                await self.db.execute(f"DELETE FROM {table} WHERE pseudonym = ?", (pseudonym,))  # noqa: S608
            await self.db.execute("COMMIT")
        except BaseException:
            await self.db.execute("ROLLBACK")
            raise

    @_one_writer
    async def purge(self, now: dt.datetime) -> int:
        """Delete expired conversations and old bookkeeping; returns conversations removed."""
        await self.db.execute("BEGIN IMMEDIATE")
        try:
            cursor = await self.db.execute(
                "DELETE FROM conversations WHERE updated_at < ?", (_iso(now - self.retention),)
            )
            removed = cursor.rowcount
            await self.db.execute(
                "DELETE FROM handled_updates WHERE handled_at < ?",
                (_iso(now - HANDLED_UPDATES_KEPT),),
            )
            await self.db.execute(
                "DELETE FROM recent_messages WHERE sent_at < ?", (_iso(now - RECENT_MESSAGES_KEPT),)
            )
            await self.db.execute("COMMIT")
        except BaseException:
            await self.db.execute("ROLLBACK")
            raise
        if removed:
            log.info("expired %d inactive conversation(s)", removed)
        return int(removed)

    # -- recent message ids (for /effacer) ------------------------------------

    @_one_writer
    async def remember_messages(self, pseudonym: str, ids: Iterable[int], now: dt.datetime) -> None:
        rows = [(pseudonym, i, _iso(now)) for i in ids]
        if not rows:
            return
        await self.db.execute("BEGIN IMMEDIATE")
        try:
            await self.db.executemany(
                "INSERT OR IGNORE INTO recent_messages VALUES (?, ?, ?)", rows
            )
            await self.db.execute("COMMIT")
        except BaseException:
            await self.db.execute("ROLLBACK")
            raise

    async def recent_messages(self, pseudonym: str, now: dt.datetime) -> list[int]:
        cursor = await self.db.execute(
            "SELECT message_id FROM recent_messages WHERE pseudonym = ? AND sent_at >= ? "
            "ORDER BY message_id",
            (pseudonym, _iso(now - RECENT_MESSAGES_KEPT)),
        )
        return [int(row[0]) for row in await cursor.fetchall()]

    # -- statistics ------------------------------------------------------------

    async def counters(self, since: dt.date) -> list[Counter]:
        cursor = await self.db.execute(
            "SELECT day, flow, outcome, count FROM counters WHERE day >= ? "
            "ORDER BY day, flow, outcome",
            (since.isoformat(),),
        )
        return [
            Counter(str(r[0]), str(r[1]), str(r[2]), int(r[3])) for r in await cursor.fetchall()
        ]
