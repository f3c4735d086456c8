"""A throw-away PostgreSQL server for the tests, from the PyPI package ``pgserver``.

The wheel ships the server binaries (initdb, postgres, pg_dump, pg_restore, psql's
equivalents), so ``make test`` on a fresh machine and CI need nothing installed by hand.
One server per test session, in a temporary directory, reached over a Unix socket.
If it cannot start, the tests that need it FAIL with a clear message: the PostgreSQL half
of the suite is never skipped. Import the fixtures into any conftest.py::

    from tests.pg_harness import pg_server, pg_url  # noqa: F401
"""

from __future__ import annotations

import shutil
import uuid
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

TABLES = "conversations, handled_updates, recent_messages, counters, outbox, outbox_leases"


@dataclass
class PgServer:
    """A running server: ``url`` of its ``postgres`` database, and its binaries."""

    handle: Any
    url: str
    bin_dir: Path

    def url_of(self, database: str) -> str:
        return str(self.handle.get_uri(database))

    def create_database(self, prefix: str = "t") -> str:
        """A new empty database (for tests that need their own schema); returns its URL."""
        name = f"{prefix}_{uuid.uuid4().hex[:10]}"
        self.handle.psql(f"CREATE DATABASE {name};")
        return self.url_of(name)


def start(directory: Path) -> PgServer:
    """Start a server in ``directory``; raise RuntimeError saying why it cannot."""
    try:
        with warnings.catch_warnings():  # platformdirs: "XDG_RUNTIME_DIR is not set"
            warnings.simplefilter("ignore")
            import pgserver
            from pgserver._commands import POSTGRES_BIN_PATH
    except ImportError as exc:
        raise RuntimeError(
            "the PyPI package 'pgserver' is missing: install the dev dependencies "
            "(pip install -e '.[dev]' or make test)"
        ) from exc
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            handle = pgserver.get_server(directory, cleanup_mode="delete")
        return PgServer(handle, str(handle.get_uri()), Path(POSTGRES_BIN_PATH))
    except Exception as exc:
        log = directory / "log"
        tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
        raise RuntimeError(f"the throw-away PostgreSQL server did not start: {exc}\n{tail}") from exc


@pytest.fixture(scope="session")
def pg_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PgServer]:
    """One PostgreSQL server for the whole session; the suite fails if it cannot start."""
    directory = tmp_path_factory.mktemp("pgdata")
    try:
        server = start(directory)
    except RuntimeError as exc:
        pytest.fail(f"PostgreSQL tests cannot run: {exc}", pytrace=False)
    yield server
    server.handle.cleanup()
    shutil.rmtree(directory, ignore_errors=True)


def _truncate(url: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        exists = conn.execute("SELECT to_regclass('public.outbox_leases') IS NOT NULL").fetchone()
        if exists and exists[0]:
            conn.execute(f"TRUNCATE {TABLES} RESTART IDENTITY")


@pytest.fixture
def pg_url(pg_server: PgServer) -> str:
    """The session server's URL, its tables emptied first (faster than a new database per
    test; tests that need their own schema use ``pg_server.create_database()``)."""
    _truncate(pg_server.url)
    return pg_server.url
