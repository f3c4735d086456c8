"""Fixtures for tests that run python-telegram-bot against the fake Bot API server.

No ``__init__.py`` here on purpose: a ``tests/telegram`` *package* could shadow the real
``telegram`` package whenever ``tests/`` lands on ``sys.path``.
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

# The repository root must be importable for ``tests.fakes`` (the project only installs ``bot``).
_REPO_ROOT = str(Path(__file__).resolve().parents[2])
if _REPO_ROOT not in sys.path:
    sys.path.insert(0, _REPO_ROOT)

from tests.fakes.fake_bot_api import FAKE_TOKEN, FakeBotApi  # noqa: E402
from tests.pg_harness import pg_server, pg_url  # noqa: E402, F401  (fixtures)

__all__ = ["FAKE_TOKEN", "database", "fake_bot_api"]


@pytest.fixture
async def fake_bot_api() -> AsyncIterator[FakeBotApi]:
    """A started fake Telegram Bot API on a free 127.0.0.1 port, stopped after the test."""
    async with FakeBotApi(FAKE_TOKEN) as api:
        yield api


@pytest.fixture(params=["sqlite", "postgres"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Path | str:
    """Each backend in turn: a SQLite file, or an emptied database on the throw-away
    PostgreSQL server (tests/pg_harness.py; the run fails if it cannot start)."""
    if request.param == "postgres":
        return str(request.getfixturevalue("pg_url"))
    return tmp_path / "bot.db"
