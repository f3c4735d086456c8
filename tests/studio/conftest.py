"""Fixtures of the studio tests: copies of the real content, the fake Bot API."""

from __future__ import annotations

import shutil
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.fakes.fake_bot_api import FAKE_TOKEN, FakeBotApi  # noqa: E402


@pytest.fixture
def content(tmp_path: Path) -> Path:
    """A writable copy of the real content: tmp/flows and tmp/knowledge."""
    shutil.copytree(ROOT / "flows", tmp_path / "flows")
    shutil.copytree(ROOT / "knowledge", tmp_path / "knowledge")
    return tmp_path


@pytest.fixture
async def fake_bot_api() -> AsyncIterator[FakeBotApi]:
    async with FakeBotApi(FAKE_TOKEN) as api:
        yield api
