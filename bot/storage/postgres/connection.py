"""The connection pool, and psycopg errors turned into the seam's error tree.

psycopg 3 (async) with psycopg_pool: see docs/deploy.md for why this driver. Connections are
in autocommit mode; every write runs in an explicit ``conn.transaction()`` block, so a
connection never goes back to the pool with a transaction open.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import urlsplit

import psycopg
import psycopg_pool

from ..base import StorageError, StorageUnavailable

log = logging.getLogger(__name__)

CONNECT_TIMEOUT = 5.0
"""Seconds to wait for a connection (new or from the pool) before StorageUnavailable."""

Connection = psycopg.AsyncConnection[tuple[object, ...]]


def describe(url: str) -> str:
    """``PostgreSQL host/database``, never the user's password (nor the user)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if not host:  # a Unix socket given as ?host=/path
        for pair in parts.query.split("&"):
            key, _, value = pair.partition("=")
            if key == "host":
                host = value
    if parts.port:
        host = f"{host}:{parts.port}"
    database = parts.path.lstrip("/") or "(default database)"
    return f"PostgreSQL {host or 'localhost'}/{database}"


def make_pool(
    url: str, max_size: int, timeout: float = CONNECT_TIMEOUT
) -> psycopg_pool.AsyncConnectionPool[Connection]:
    return psycopg_pool.AsyncConnectionPool(
        url,
        min_size=1,
        max_size=max_size,
        open=False,
        timeout=timeout,
        kwargs={"autocommit": True, "connect_timeout": max(1, round(timeout))},
        name="entraide",
    )


def translate(exc: BaseException, where: str) -> StorageError:
    """The seam's error for a driver error: unreachable → StorageUnavailable."""
    if isinstance(exc, psycopg_pool.PoolTimeout | psycopg.OperationalError):
        return StorageUnavailable(f"{where}: the PostgreSQL server cannot be reached: {exc}")
    return StorageError(f"{where}: {exc}")


@asynccontextmanager
async def connection(
    pool: psycopg_pool.AsyncConnectionPool[Connection] | None, where: str
) -> AsyncIterator[Connection]:
    """A connection from ``pool``; driver errors raised inside become StorageError."""
    if pool is None:
        raise StorageError("the store is not open")
    try:
        async with pool.connection() as conn:
            yield conn
    except (psycopg.Error, psycopg_pool.PoolTimeout) as exc:
        raise translate(exc, where) from exc
