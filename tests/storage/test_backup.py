"""The backups of docs/deploy.md, actually run: ``pg_dump``/``pg_restore`` (the binaries
pgserver ships) and SQLite's online backup API (what ``sqlite3 DB ".backup FILE"`` uses);
the restored database is opened by the bot's store and holds the same conversation."""

from __future__ import annotations

import asyncio
import datetime as dt
import sqlite3
import subprocess
from pathlib import Path

from bot.storage.base import Counter, Store
from bot.storage.postgres import PostgresStore
from bot.storage.sqlite import SqliteStore
from tests.pg_harness import PgServer

NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)
RETENTION = dt.timedelta(days=30)


async def _seed(store: Store) -> None:
    await store.open()
    async with store.turn("u", 42, NOW) as tx:
        tx.save('{"node": "entraide.debut"}')
        tx.count("entraide", "debut")
        tx.send("sealed", "bonjour")
    await store.close()


async def _same_as_seeded(store: Store) -> None:
    await store.open()
    try:
        assert await store.load("u") == '{"node": "entraide.debut"}'
        assert await store.counters(NOW.date()) == [
            Counter(NOW.date().isoformat(), "entraide", "debut", 1)
        ]
        assert [e.payload for e in await store.claim("o", NOW, dt.timedelta(seconds=30), 9)] == [
            "bonjour"
        ]
        async with store.turn("u", 42, NOW) as tx:  # the handled id came back too
            assert tx.duplicate
    finally:
        await store.close()


def test_pg_dump_and_pg_restore_give_back_the_database(
    pg_server: PgServer, tmp_path: Path
) -> None:
    source = pg_server.create_database("prod")
    asyncio.run(_seed(PostgresStore(source, RETENTION)))
    dump = tmp_path / "entraide.dump"
    subprocess.run(
        [pg_server.bin_dir / "pg_dump", "--format=custom", "--no-owner", f"--file={dump}",
         f"--dbname={source}"],
        check=True, capture_output=True,
    )
    target = pg_server.create_database("restored")
    subprocess.run(
        [pg_server.bin_dir / "pg_restore", "--no-owner", "--exit-on-error",
         f"--dbname={target}", dump],
        check=True, capture_output=True,
    )
    asyncio.run(_same_as_seeded(PostgresStore(target, RETENTION)))


async def test_sqlite_online_backup_gives_back_the_database(tmp_path: Path) -> None:
    live = tmp_path / "entraide.db"
    await _seed(SqliteStore(str(live), RETENTION))
    copy = tmp_path / "backup" / "entraide.db"
    copy.parent.mkdir()
    with sqlite3.connect(live) as src, sqlite3.connect(copy) as dst:
        src.backup(dst)
    src.close()
    dst.close()
    live.unlink()
    await _same_as_seeded(SqliteStore(str(copy), RETENTION))
