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

__all__ = ["FAKE_TOKEN", "fake_bot_api"]


@pytest.fixture
async def fake_bot_api() -> AsyncIterator[FakeBotApi]:
    """A started fake Telegram Bot API on a free 127.0.0.1 port, stopped after the test."""
    async with FakeBotApi(FAKE_TOKEN) as api:
        yield api
