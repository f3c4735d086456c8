"""Running ``entraide run`` as a child process against the fake Bot API (shared by the
process and crash tests)."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import sqlite3
import sys
import time
from pathlib import Path

import pytest
from tg_harness import FLOWS, KNOWLEDGE, bot_env, load_bundle

from bot.scenarios import Driver
from tests.fakes.fake_bot_api import FakeBotApi

SECRET = "process-test"
"""``ENTRAIDE_SECRET`` of the bot processes (a test may compute a user's pseudonym)."""


def private_content(tmp_path: Path) -> Driver:
    """A private copy of the content, and the engine on it as the oracle: edits made in the
    working tree meanwhile must not change the version between two starts."""
    shutil.copytree(FLOWS, tmp_path / "content" / "flows")
    shutil.copytree(KNOWLEDGE, tmp_path / "content" / "knowledge")
    return Driver(load_bundle(tmp_path / "content" / "flows", tmp_path / "content" / "knowledge"))


async def start_bot(
    fake: FakeBotApi, tmp_path: Path, *, webhook: bool, database_url: str | None = None,
    extra_env: dict[str, str] | None = None,
) -> asyncio.subprocess.Process:
    """``entraide run [--webhook]`` on SQLite in ``tmp_path``, or on PostgreSQL at
    ``database_url`` (``DATABASE_URL``, as a host sets it); ``extra_env`` overrides."""
    env = {
        "PATH": os.environ.get("PATH", ""),
        "ENTRAIDE_FLOWS": str(tmp_path / "content" / "flows"),
        "ENTRAIDE_KNOWLEDGE": str(tmp_path / "content" / "knowledge"),
        "ENTRAIDE_DB": str(tmp_path / "entraide.db"),
        "ENTRAIDE_SECRET": SECRET,
        **bot_env(fake, webhook=webhook),
        **({"DATABASE_URL": database_url} if database_url else {}),
        **(extra_env or {}),
    }
    args = [sys.executable, "-m", "bot", "--log-level", "DEBUG", "run"]
    return await asyncio.create_subprocess_exec(
        *([*args, "--webhook"] if webhook else args), cwd=tmp_path, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )


async def stop_bot(process: asyncio.subprocess.Process) -> tuple[int, str, float]:
    """SIGTERM; returns the exit code, everything logged, and how long the exit took."""
    started = time.monotonic()
    process.send_signal(signal.SIGTERM)
    try:
        _, err = await asyncio.wait_for(process.communicate(), timeout=40)
    except TimeoutError:
        process.kill()
        await process.wait()
        pytest.fail("the bot did not exit after SIGTERM")
    assert process.returncode is not None
    return process.returncode, err.decode(), time.monotonic() - started


async def outbox_empty(db: Path | str) -> None:
    """Wait until the bot removed every outbox entry (Telegram accepted them all), in the
    SQLite file ``db`` or the PostgreSQL database at URL ``db``: nothing more can be sent."""
    for _ in range(500):
        if await _pending(db) == 0:
            return
        await asyncio.sleep(0.02)
    raise AssertionError("outbox entries still pending")


async def _pending(db: Path | str) -> int:
    if isinstance(db, Path):
        with sqlite3.connect(db) as conn:
            return int(conn.execute("SELECT count(*) FROM outbox").fetchone()[0])
    import psycopg

    async with await psycopg.AsyncConnection.connect(db, autocommit=True) as pg:
        row = await (await pg.execute("SELECT count(*) FROM outbox")).fetchone()
    return int(row[0]) if row else 0


async def kill(process: asyncio.subprocess.Process) -> str:
    """SIGKILL (no goodbye at all); returns everything the process logged."""
    process.kill()
    _, err = await process.communicate()
    return err.decode()


def without_one_repeat(got: list[str], expected: list[str]) -> bool:
    """``got`` is ``expected``, or ``expected`` with one message repeated right after itself:
    the one double the outbox allows, a kill between Telegram's acceptance of a message and
    the removal of its entry (docs/telegram.md)."""
    if got == expected:
        return True
    return any(got[:i] + got[i + 1:] == expected and got[i] == got[i - 1]
               for i in range(1, len(got)))
