"""``PostgresStore``: :class:`bot.storage.base.Store` on a PostgreSQL database.

How it runs: a pool of connections (psycopg 3 async). A turn holds one connection for its
whole transaction (advisory lock, update id claim, state read, writes); in this process,
turns of one pseudonym also wait on an asyncio lock first, so they do not each hold a
connection while queueing for the same advisory lock. Open turns are limited to a few
less than the pool size, so reads made inside a turn (``recent_messages``) and delivery
always find a connection.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import TYPE_CHECKING

import psycopg
import psycopg_pool

from ..base import Counter, OutboxEntry, Purged, StorageError
from ..buffered import PseudonymLocks
from . import maintenance, outbox, schema, turn
from .connection import (
    CONNECT_TIMEOUT,
    Connection,
    connection,
    describe,
    make_pool,
    translate,
)

if TYPE_CHECKING:
    from ..base import Store, TurnTransaction

log = logging.getLogger(__name__)

POOL_SIZE = 10
RESERVED = 3
"""Connections kept free of turns: in-turn reads, delivery, purge, health checks."""
HEALTH_TIMEOUT = 2.0


class PostgresStore:
    """:class:`~bot.storage.base.Store` on the database at ``url`` (``postgresql://…``)."""

    def __init__(
        self,
        url: str,
        retention: dt.timedelta,
        *,
        pool_size: int = POOL_SIZE,
        timeout: float = CONNECT_TIMEOUT,
    ) -> None:
        self.url = url
        self.timeout = timeout
        self.retention = retention
        self.pool_size = max(pool_size, RESERVED + 1)
        self._pool: psycopg_pool.AsyncConnectionPool[Connection] | None = None
        self._turns = asyncio.Semaphore(self.pool_size - RESERVED)
        self._lock = PseudonymLocks()

    def describe(self) -> str:
        return describe(self.url)

    async def open(self) -> None:
        """Connect, check, migrate (under the migration lock)."""
        if self._pool is not None:
            return
        pool = make_pool(self.url, self.pool_size, self.timeout)
        try:
            # One direct connection first: a server that cannot be reached says why at
            # once, where the pool would retry quietly until its timeout.
            async with await psycopg.AsyncConnection.connect(
                self.url, autocommit=True, connect_timeout=max(1, round(self.timeout))
            ) as conn:
                await schema.migrate(conn)
            await pool.open(wait=True, timeout=self.timeout)
        except (psycopg.Error, psycopg_pool.PoolTimeout) as exc:
            await pool.close()
            raise translate(exc, f"cannot open {self.describe()}") from exc
        except BaseException:
            await pool.close()
            raise
        self._pool = pool

    async def close(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            await pool.close()

    async def healthy(self) -> bool:
        try:
            async with asyncio.timeout(HEALTH_TIMEOUT), self._conn("health check") as conn:
                row = await (await conn.execute("SELECT 1")).fetchone()
                return row is not None
        except (StorageError, TimeoutError):
            return False

    def _conn(self, where: str) -> AbstractAsyncContextManager[Connection]:
        return connection(self._pool, f"{self.describe()}: {where}")

    # -- turns ------------------------------------------------------------------------

    @asynccontextmanager
    async def turn(
        self, pseudonym: str, update_id: int | None, now: dt.datetime
    ) -> AsyncIterator[TurnTransaction]:
        async with self._lock(pseudonym), self._turns, self._conn("turn") as conn:
            async with conn.transaction():
                tx = await turn.begin(conn, pseudonym, update_id, now)
                yield tx
                if not tx.duplicate and tx.ops:
                    await turn.apply(conn, pseudonym, now, tx.ops)
            if tx.duplicate:
                log.info("update %s already handled; ignored", update_id)

    async def load(self, pseudonym: str) -> str | None:
        async with self._conn("load") as conn:
            row = await (
                await conn.execute(
                    "SELECT state FROM conversations WHERE pseudonym = %s", (pseudonym,)
                )
            ).fetchone()
        return str(row[0]) if row else None

    # -- delivery ---------------------------------------------------------------------

    async def claim(
        self, owner: str, now: dt.datetime, lease: dt.timedelta, limit: int
    ) -> list[OutboxEntry]:
        async with self._conn("claim") as conn:
            return await outbox.claim(conn, owner, now, lease, limit)

    async def delivered(
        self, entry: OutboxEntry, message_id: int | None, now: dt.datetime, *,
        release: str | None = None,
    ) -> None:
        async with self._conn("delivered") as conn:
            await outbox.delivered(conn, entry, message_id, now, release)

    async def failed(self, entry: OutboxEntry, retry_at: dt.datetime) -> None:
        async with self._conn("failed") as conn:
            await outbox.failed(conn, entry.id, retry_at)

    async def drop(self, entry: OutboxEntry) -> None:
        async with self._conn("drop") as conn:
            await outbox.drop(conn, entry.id)

    async def drop_chat(self, chat: str) -> int:
        async with self._conn("drop_chat") as conn:
            return await outbox.drop_chat(conn, chat)

    async def release(self, owner: str, chats: Sequence[str]) -> None:
        async with self._conn("release") as conn:
            await outbox.release(conn, owner, chats)

    # -- the rest -----------------------------------------------------------------------

    async def recent_messages(self, pseudonym: str, now: dt.datetime) -> list[int]:
        async with self._conn("recent_messages") as conn:
            return await maintenance.recent_messages(conn, pseudonym, now)

    async def purge(self, now: dt.datetime) -> Purged:
        async with self._conn("purge") as conn:
            purged = await maintenance.purge(conn, now, self.retention)
        if purged.conversations:
            log.info("expired %d inactive conversation(s)", purged.conversations)
        return purged

    async def counters(self, since: dt.date) -> list[Counter]:
        async with self._conn("counters") as conn:
            return await maintenance.counters(conn, since)


if TYPE_CHECKING:

    def _conforms(url: str) -> Store:
        """mypy proves here that PostgresStore implements the seam."""
        return PostgresStore(url, dt.timedelta(days=1))
