"""PostgreSQL only: several processes on one database (two pools stand for two processes),
migrations under a lock and killed halfway, an unreachable server."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

import psycopg
import pytest

from bot.storage.base import StorageError, StorageUnavailable
from bot.storage.postgres import PostgresStore
from bot.storage.postgres import schema as pg_schema
from tests.pg_harness import PgServer

NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)
RETENTION = dt.timedelta(days=30)
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
async def two(pg_url: str):  # type: ignore[no-untyped-def]
    """Two stores (two pools) on one database, as two bot processes would be."""
    a, b = PostgresStore(pg_url, RETENTION), PostgresStore(pg_url, RETENTION)
    await asyncio.gather(a.open(), b.open())
    yield a, b
    await asyncio.gather(a.close(), b.close())


async def test_turns_of_one_pseudonym_in_two_processes_are_serialised(two) -> None:  # type: ignore[no-untyped-def]
    async def increment(store: PostgresStore) -> None:
        async with store.turn("u", None, NOW) as tx:
            value = int(await tx.load() or "0")
            await asyncio.sleep(0.01)  # another process would read the same value here
            tx.save(str(value + 1))

    await asyncio.gather(*(increment(two[i % 2]) for i in range(10)))
    assert await two[0].load("u") == "10"


async def test_an_update_received_by_two_processes_is_processed_once(two) -> None:  # type: ignore[no-untyped-def]
    async def receive(store: PostgresStore, update_id: int) -> bool:
        async with store.turn(f"user{update_id % 5}", update_id, NOW) as tx:
            if tx.duplicate:
                return False
            tx.count("flow", "seen")
            tx.send("addr", f"reply to {update_id}")
            return True

    results = await asyncio.gather(*(receive(store, u) for u in range(20) for store in two))
    assert sum(results) == 20
    [counter] = await two[0].counters(NOW.date())
    assert counter.count == 20
    replies = await two[1].claim("o", NOW, dt.timedelta(seconds=30), 100)
    assert sorted(e.payload for e in replies) == sorted(f"reply to {u}" for u in range(20))


async def test_two_processes_claiming_at_once_never_share_a_chat(two) -> None:  # type: ignore[no-untyped-def]
    for chat in range(10):
        async with two[0].turn(f"c{chat}", None, NOW) as tx:
            tx.send("addr", f"{chat}-1")
            tx.send("addr", f"{chat}-2")
    lease = dt.timedelta(seconds=30)
    got = await asyncio.gather(*(s.claim(f"owner{i}", NOW, lease, 100) for i, s in enumerate(two)))
    chats = [{e.chat for e in entries} for entries in got]
    assert not chats[0] & chats[1]
    assert len(chats[0] | chats[1]) == 10
    assert sum(map(len, got)) == 20


async def test_two_processes_starting_at_once_migrate_once(pg_server: PgServer) -> None:
    url = pg_server.create_database("race")
    stores = [PostgresStore(url, RETENTION) for _ in range(3)]
    await asyncio.gather(*(s.open() for s in stores))
    async with await psycopg.AsyncConnection.connect(url) as conn:
        rows = await (await conn.execute("SELECT version FROM schema_version")).fetchall()
    assert [r[0] for r in rows] == list(range(1, pg_schema.VERSION + 1))
    await asyncio.gather(*(s.close() for s in stores))


async def test_a_migration_killed_halfway_leaves_the_database_usable_and_is_completed(
    pg_server: PgServer,
) -> None:
    url = pg_server.create_database("half")
    store = PostgresStore(url, RETENTION)
    await store.open()  # version 1
    async with store.turn("u", 1, NOW) as tx:
        tx.save("kept")
    await store.close()
    broken = [*pg_schema.MIGRATIONS, ["CREATE TABLE extra (x INTEGER)", "SELECT 1/0"]]
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        with pytest.raises(psycopg.errors.DivisionByZero):
            await pg_schema.migrate(conn, broken)
        assert await pg_schema.current_version(conn) == pg_schema.VERSION
        leftover = await (await conn.execute("SELECT to_regclass('extra')")).fetchone()
        assert leftover == (None,)  # its first statement was rolled back with it
    store = PostgresStore(url, RETENTION)
    await store.open()  # still usable at the previous version
    assert await store.load("u") == "kept"
    await store.close()
    fixed = [*pg_schema.MIGRATIONS, ["CREATE TABLE extra (x INTEGER)", "SELECT 1"]]
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        assert await pg_schema.migrate(conn, fixed) == pg_schema.VERSION
        assert await pg_schema.current_version(conn) == pg_schema.VERSION + 1


async def test_a_database_newer_than_the_program_is_refused(pg_server: PgServer) -> None:
    url = pg_server.create_database("newer")
    store = PostgresStore(url, RETENTION)
    await store.open()
    await store.close()
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        await conn.execute("INSERT INTO schema_version (version) VALUES (99)")
    with pytest.raises(StorageError, match="newer"):
        await PostgresStore(url, RETENTION).open()


async def test_an_unreachable_server_is_storage_unavailable(tmp_path) -> None:  # type: ignore[no-untyped-def]
    url = f"postgresql://nobody:secret-pw@/entraide?host={tmp_path}"
    store = PostgresStore(url, RETENTION)
    with pytest.raises(StorageUnavailable) as caught:
        await store.open()
    assert "secret-pw" not in str(caught.value)
    assert not await store.healthy()


def test_describe_names_host_and_database_never_the_password() -> None:
    store = PostgresStore("postgresql://bot:hunter2@db.example.org:5433/entraide", RETENTION)
    assert store.describe() == "PostgreSQL db.example.org:5433/entraide"


CHILD = """
import asyncio, sys
import psycopg
from bot.storage.postgres import schema

async def main():
    async with await psycopg.AsyncConnection.connect(sys.argv[1], autocommit=True) as conn:
        # the server notices a dead client within 100 ms, even in the middle of a statement
        await conn.execute("SET client_connection_check_interval = '100ms'")
        slow = [[*schema.MIGRATIONS[0], "SELECT pg_sleep(60)"], *schema.MIGRATIONS[1:]]
        await schema.migrate(conn, slow)

asyncio.run(main())
"""


async def test_a_process_killed_mid_migration_leaves_a_usable_database(
    pg_server: PgServer,
) -> None:
    """A real process, SIGKILLed while its first migration runs: the next start migrates."""
    import signal
    import sys

    url = pg_server.create_database("killed")
    child = await asyncio.create_subprocess_exec(sys.executable, "-c", CHILD, url, cwd=ROOT)
    try:
        async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
            for _ in range(600):  # until the child is inside its migration's transaction
                row = await (await conn.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(60)'"
                )).fetchone()
                if row and row[0]:
                    break
                await asyncio.sleep(0.05)
            else:
                pytest.fail("the migrating process never reached its migration")
    finally:
        child.send_signal(signal.SIGKILL)
        await child.wait()
    assert child.returncode == -signal.SIGKILL
    store = PostgresStore(url, RETENTION)
    await store.open()  # waits for the dead session's lock, then migrates from the start
    async with store.turn("u", 1, NOW) as tx:
        tx.save("after the crash")
    assert await store.load("u") == "after the crash"
    await store.close()
    async with await psycopg.AsyncConnection.connect(url) as conn:
        assert await pg_schema.current_version(conn) == pg_schema.VERSION


async def test_a_server_that_goes_away_makes_storage_unavailable_not_a_crash(
    tmp_path: Path,
) -> None:
    """Its own server (the session's must stay up): stopped under a running store."""
    from tests.pg_harness import start

    server = start(tmp_path / "doomed")
    store = PostgresStore(server.url, RETENTION, timeout=0.5)
    await store.open()
    assert await store.healthy()
    server.handle.cleanup()
    assert not await store.healthy()
    with pytest.raises(StorageUnavailable):
        async with store.turn("u", 1, NOW) as tx:
            tx.save("lost")
    with pytest.raises(StorageUnavailable):
        await store.claim("o", NOW, dt.timedelta(seconds=30), 10)
    await store.close()


async def test_an_entry_delivered_by_another_process_during_a_claim_is_not_claimed(
    two, pg_url: str  # type: ignore[no-untyped-def]
) -> None:
    """B's claim reads a chat's entry; before B takes the chat's lease, A claims the chat,
    sends the entry, removes it and releases the lease. B must not get the entry: the
    person would read it twice. (A's delivery is one transaction here, so that B's lease
    insert waits for it at exactly that point.)"""
    a, b = two
    async with a.turn("c", None, NOW) as tx:
        tx.send("addr", "once")
    lease = dt.timedelta(seconds=30)
    async with await psycopg.AsyncConnection.connect(pg_url) as process_a:
        await process_a.execute(
            "INSERT INTO outbox_leases (chat, owner, until) VALUES ('c', 'A', %s)", (NOW + lease,)
        )
        claim = asyncio.create_task(b.claim("B", NOW, lease, 100))
        async with await psycopg.AsyncConnection.connect(pg_url, autocommit=True) as watch:
            for _ in range(500):  # B has read the entry and waits for A's lease row
                row = await (await watch.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                    "AND datname = current_database()"
                )).fetchone()
                if row and row[0]:
                    break
                await asyncio.sleep(0.01)
            else:
                raise AssertionError("B's claim never waited for A's lease")
        await process_a.execute("DELETE FROM outbox WHERE chat = 'c'")  # sent, then removed
        await process_a.execute("DELETE FROM outbox_leases WHERE chat = 'c'")  # released
        await process_a.commit()
    assert await claim == []
