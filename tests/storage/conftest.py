"""Storage fixtures: the throw-away PostgreSQL server (tests/pg_harness.py) and a ``store``
of each backend, so that tests/storage/test_contract.py runs on both."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.storage.base import Store
from bot.storage.postgres import PostgresStore
from bot.storage.sqlite import SqliteStore
from tests.pg_harness import pg_server, pg_url  # noqa: F401  (fixtures)

BACKENDS = ("postgres", "sqlite")
RETENTION = dt.timedelta(days=30)


@pytest.fixture(params=BACKENDS)
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    """An open, empty store of each backend."""
    s: Store
    if request.param == "postgres":
        s = PostgresStore(request.getfixturevalue("pg_url"), RETENTION)
    else:
        s = SqliteStore(str(tmp_path / "e.db"), RETENTION)
    await s.open()
    yield s
    await s.close()
