"""``DATABASE_URL`` selects the backend; ``entraide purge`` and ``entraide stats`` run on
either (the real command line, in-process)."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

import pytest

from bot.cli import main
from bot.config import ConfigError, Settings
from bot.storage.factory import create_store, pseudonym_secret
from bot.storage.postgres import PostgresStore
from bot.storage.sqlite import SqliteStore

BACKENDS = ("postgres", "sqlite")
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    for name in ("DATABASE_URL", "ENTRAIDE_SECRET"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ENTRAIDE_DB", str(tmp_path / "e.db"))
    monkeypatch.chdir(tmp_path)
    return monkeypatch


def test_without_database_url_sqlite_at_entraide_db(env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    store = create_store(Settings.from_env())
    assert isinstance(store, SqliteStore)
    assert store.describe() == f"SQLite {tmp_path / 'e.db'}"


def test_database_url_selects_postgres_with_the_secret(env: pytest.MonkeyPatch) -> None:
    env.setenv("DATABASE_URL", "postgresql://bot:pw@db.example.org/entraide")
    env.setenv("ENTRAIDE_SECRET", "a-long-random-secret")
    settings = Settings.from_env()
    assert isinstance(create_store(settings), PostgresStore)
    assert pseudonym_secret(settings) == b"a-long-random-secret"


def test_database_url_without_secret_refuses_to_start_and_writes_no_key(
    env: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    env.setenv("DATABASE_URL", "postgresql://bot:pw@db.example.org/entraide")
    with pytest.raises(ConfigError, match="ENTRAIDE_SECRET is required"):
        pseudonym_secret(Settings.from_env())
    assert main(["purge"]) == 2
    assert "ENTRAIDE_SECRET is required with DATABASE_URL" in capsys.readouterr().err
    env.setenv("TELEGRAM_BOT_TOKEN", "123456789:" + "A" * 35)
    env.setenv("WEBHOOK_URL", "https://bot.example.org/telegram")
    env.setenv("ENTRAIDE_FLOWS", str(ROOT / "flows"))
    env.setenv("ENTRAIDE_KNOWLEDGE", str(ROOT / "knowledge"))
    assert main(["run", "--webhook"]) == 2  # the bot itself, before any network call
    assert "ENTRAIDE_SECRET is required with DATABASE_URL" in capsys.readouterr().err
    assert not list(tmp_path.glob("*.key"))


def test_a_database_url_of_another_kind_is_refused(env: pytest.MonkeyPatch) -> None:
    env.setenv("DATABASE_URL", "mysql://db/entraide")
    env.setenv("ENTRAIDE_SECRET", "s")
    with pytest.raises(ConfigError, match="postgresql://"):
        create_store(Settings.from_env())


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, env: pytest.MonkeyPatch) -> Settings:
    """The environment of one backend, and its settings."""
    if request.param == "postgres":
        env.setenv("DATABASE_URL", request.getfixturevalue("pg_url"))
        env.setenv("ENTRAIDE_SECRET", "test-secret")
    return Settings.from_env()


async def _seed(settings: Settings, now: dt.datetime) -> None:
    store = create_store(settings)
    await store.open()
    try:
        async with store.turn("old", 1, now - dt.timedelta(days=40)) as tx:
            tx.save("s")
            tx.count("entraide", "debut")
        for flow in ("entraide", "entraide", "soutien_psy"):
            async with store.turn("new", None, now) as tx:
                tx.save("s")
                tx.count(flow, "debut")
    finally:
        await store.close()


def test_purge_command_removes_what_expired_and_says_so(
    backend: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    asyncio.run(_seed(backend, dt.datetime.now(dt.UTC)))
    assert main(["purge"]) == 0
    out = capsys.readouterr().out
    assert "removed 1 expired conversation(s), 1 handled update id(s)" in out
    assert "pw" not in out
    assert main(["purge"]) == 0
    assert "removed 0 expired conversation(s)" in capsys.readouterr().out


def test_stats_command_prints_counters_as_csv_and_table(
    backend: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    now = dt.datetime.now(dt.UTC)
    asyncio.run(_seed(backend, now))
    today, old = now.date().isoformat(), (now - dt.timedelta(days=40)).date().isoformat()
    assert main(["stats", "--format", "csv"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "day,flow,outcome,count",
        f"{old},entraide,debut,1",
        f"{today},entraide,debut,2",
        f"{today},soutien_psy,debut,1",
    ]
    assert main(["stats", "--since", today]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].split() == ["day", "flow", "outcome", "count"]
    assert table[1].split() == [today, "entraide", "debut", "2"]
    assert table[-1] == "total: 3"


def test_stats_refuses_a_malformed_date(env: pytest.MonkeyPatch) -> None:
    with pytest.raises(SystemExit):
        main(["stats", "--since", "23/11/2026"])


def test_chat_keeps_the_conversation_in_the_configured_backend(
    backend: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO("bonjour\n"))
    root = Path(__file__).resolve().parents[2]
    monkeypatch.setenv("ENTRAIDE_FLOWS", str(root / "flows"))
    monkeypatch.setenv("ENTRAIDE_KNOWLEDGE", str(root / "knowledge"))
    assert main(["chat"]) == 0
    assert capsys.readouterr().out.strip()

    async def counted() -> int:
        store = create_store(Settings.from_env())
        await store.open()
        try:
            return len(await store.counters(dt.date(1970, 1, 1)))
        finally:
            await store.close()

    assert asyncio.run(counted()) >= 1  # the turn was written to this backend
