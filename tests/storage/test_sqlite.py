"""SQLite storage: one transaction per turn, dedupe, outbox, erasure down to the bytes,
file modes, expiry, migrations, corruption. (Backend-neutral contract: test_contract.py.)"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import sqlite3
import sys
import textwrap
from pathlib import Path

import pytest

from bot.content.bundle import Bundle
from bot.engine.events import Start, Text
from bot.engine.replies import Action
from bot.service import Conversations
from bot.storage.base import OutboxEntry, StorageError
from bot.storage.pseudonym import load_secret, pseudonym
from bot.storage.sqlite import SqliteStore
from bot.storage.sqlite_queries import Write as queries_write
from bot.storage.sqlite_schema import MIGRATIONS, VERSION
from tests.storage.turns import LEASE, NOW, queue, save

TELEGRAM_ID = 987654321
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
async def store(tmp_path: Path):  # type: ignore[no-untyped-def]
    s = SqliteStore(str(tmp_path / "e.db"), dt.timedelta(days=30))
    await s.open()
    yield s
    await s.close()


def dump(path: Path) -> str:
    """Everything in the database, as SQL text."""
    with sqlite3.connect(path) as db:
        return "\n".join(db.iterdump())


def raw_bytes(path: Path) -> bytes:
    """The database file, its WAL and its SHM, byte for byte (what a thief would copy)."""
    return b"".join(
        Path(f"{path}{suffix}").read_bytes()
        for suffix in ("", "-wal", "-shm")
        if Path(f"{path}{suffix}").exists()
    )


# The seam's behaviour (one transaction per turn, dedupe, outbox order and leases, expiry)
# is tested on both backends in test_contract.py; here, what is SQLite's own.


async def test_recent_message_ids_are_kept_48_hours(store: SqliteStore) -> None:
    async with store.turn("u", None, NOW - dt.timedelta(hours=49)) as tx:
        tx.remember([1, 2])
    async with store.turn("u", None, NOW - dt.timedelta(hours=1)) as tx:
        tx.remember([3])
    assert await store.recent_messages("u", NOW) == [3]


async def test_counters_are_aggregated_per_day_flow_outcome(store: SqliteStore) -> None:
    for who, outcomes in (("a", ["debut"]), ("b", ["debut", "fin"])):
        async with store.turn(who, None, NOW) as tx:
            for outcome in outcomes:
                tx.count("entraide", outcome)
    counters = {(c.flow, c.outcome): c.count for c in await store.counters(NOW.date())}
    assert counters == {("entraide", "debut"): 2, ("entraide", "fin"): 1}


# -- erasure down to the bytes, file modes ----------------------------------------------


async def test_forget_leaves_no_byte_of_the_user_in_any_file(tmp_path: Path) -> None:
    path = tmp_path / "e.db"
    store = SqliteStore(str(path), dt.timedelta(days=30))
    await store.open()
    try:
        await save(store, "other", '{"who": "someone else"}', update_id=1)
        async with store.turn("user-pseudonym-1", 2, NOW) as tx:
            tx.save('{"answer": "MARKER-STATE-4242"}')
            tx.send("sealed-address", "MARKER-PAYLOAD-4242")
            tx.remember([123])
        for update_id in range(3, 6):  # later turns: older versions of the row pile up
            async with store.turn("user-pseudonym-1", update_id, NOW) as tx:
                tx.save(f'{{"answer": "MARKER-STATE-4242", "turn": {update_id}}}')
        before = raw_bytes(path)
        assert b"MARKER-STATE-4242" in before and b"MARKER-PAYLOAD-4242" in before
        async with store.turn("user-pseudonym-1", 6, NOW) as tx:
            tx.forget()
        after = raw_bytes(path)
        for marker in (b"MARKER-STATE-4242", b"MARKER-PAYLOAD-4242", b"user-pseudonym-1",
                       b"sealed-address"):
            assert marker not in after, marker
        assert b"someone else" in after, "the others' data is intact"
    finally:
        await store.close()


async def test_purge_leaves_no_byte_of_what_expired(tmp_path: Path) -> None:
    path = tmp_path / "e.db"
    store = SqliteStore(str(path), dt.timedelta(days=30))
    await store.open()
    try:
        async with store.turn("expired-pseudonym", 1, NOW - dt.timedelta(days=31)) as tx:
            tx.save('{"answer": "MARKER-OLD-STATE"}')
            tx.send("old-address", "MARKER-OLD-PAYLOAD")
        assert b"MARKER-OLD-STATE" in raw_bytes(path)
        await store.purge(NOW)
        after = raw_bytes(path)
        for marker in (b"MARKER-OLD-STATE", b"MARKER-OLD-PAYLOAD", b"expired-pseudonym"):
            assert marker not in after, marker
    finally:
        await store.close()


async def test_database_wal_shm_and_key_are_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "e.db"
    old_umask = os.umask(0o022)
    try:
        store = SqliteStore(str(path), dt.timedelta(days=30))
        await store.open()
        await save(store, "u", "{}")
        load_secret(str(path), None)
        files = [path, Path(f"{path}-wal"), Path(f"{path}-shm"), tmp_path / "e.db.key"]
        assert all(f.exists() for f in files)
        assert {f.name: oct(f.stat().st_mode & 0o777) for f in files} == {
            f.name: "0o600" for f in files}
        await store.close()
    finally:
        os.umask(old_umask)


async def test_an_existing_world_readable_database_is_made_private(tmp_path: Path) -> None:
    path = tmp_path / "e.db"
    sqlite3.connect(path).close()
    path.chmod(0o644)
    store = SqliteStore(str(path), dt.timedelta(days=30))
    await store.open()
    await store.close()
    assert oct(path.stat().st_mode & 0o777) == "0o600"


# -- the service on SQLite: privacy of what a real conversation stores -----------------


async def test_database_uses_wal_and_state_survives_reopening(
    tmp_path: Path, fixture_bundle: Bundle
) -> None:
    path = tmp_path / "e.db"
    store = SqliteStore(str(path), dt.timedelta(days=30))
    await store.open()
    conv = Conversations(fixture_bundle, store, b"k" * 32, clock=lambda: NOW)
    user = conv.user("telegram", TELEGRAM_ID)
    await conv.handle(user, Start())
    await conv.handle(user, Text("liberal"))
    await store.close()
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    store = SqliteStore(str(path), dt.timedelta(days=30))
    await store.open()
    conv = Conversations(fixture_bundle, store, b"k" * 32, clock=lambda: NOW)
    turn = await conv.handle(user, Text("2"))
    assert any("pas une assurance" in getattr(r, "text", "") for r in turn.replies)
    await store.close()


async def test_no_raw_id_and_no_message_text_is_stored(
    tmp_path: Path, fixture_bundle: Bundle
) -> None:
    path = tmp_path / "e.db"
    store = SqliteStore(str(path), dt.timedelta(days=30))
    await store.open()
    conv = Conversations(fixture_bundle, store, b"k" * 32, clock=lambda: NOW)
    user = conv.user("telegram", TELEGRAM_ID)
    await conv.handle(user, Start(), update_id=1)
    await conv.handle(user, Text("Je m'appelle Camille Dupont et je suis à bout"), update_id=2)
    await store.close()
    content = dump(path)
    assert str(TELEGRAM_ID) not in content
    assert "Camille" not in content and "bout" not in content
    assert user in content


async def test_oubli_erases_everything_about_the_user(
    tmp_path: Path, fixture_bundle: Bundle
) -> None:
    path = tmp_path / "e.db"
    store = SqliteStore(str(path), dt.timedelta(days=30))
    await store.open()
    conv = Conversations(fixture_bundle, store, b"k" * 32, clock=lambda: NOW)
    user, other = conv.user("telegram", 5), conv.user("telegram", 6)
    await conv.handle(other, Start(), update_id=1)
    await conv.handle(user, Start(), update_id=2, incoming=[100, 101])
    await conv.handle(user, Text("/oubli"), update_id=3)
    turn = await conv.handle(user, Text("Oui, tout effacer"), update_id=4)
    assert Action.FORGET in turn.actions
    assert (await conv.handle(user, Text("Oui, tout effacer"), update_id=4)).duplicate
    await store.close()
    content = dump(path)
    assert user not in content
    assert other in content
    assert "'oubli'" in content, "anonymous counters remain"
    assert user.encode() not in raw_bytes(path)


# -- opening: migrations, corruption, errors ---------------------------------------------


def v1_database(path: Path) -> None:
    """A database as the first release left it."""
    with sqlite3.connect(path) as db:
        for statement in MIGRATIONS[0]:
            db.execute(statement)
        db.execute("PRAGMA user_version = 1")
        db.execute("INSERT INTO conversations VALUES ('u', '{\"v\": 1}', ?)", (NOW.isoformat(),))
        db.executemany("INSERT INTO handled_updates VALUES (?, ?, ?)",
                       [("u", 5, NOW.isoformat()), ("w", 5, NOW.isoformat()),
                        ("u", 6, NOW.isoformat())])
        db.execute("INSERT INTO recent_messages VALUES ('u', 9, ?)", (NOW.isoformat(),))
        db.execute("INSERT INTO counters VALUES ('2026-11-23', 'entraide', 'debut', 3)")


def user_version(path: Path) -> int:
    with sqlite3.connect(path) as db:
        return int(db.execute("PRAGMA user_version").fetchone()[0])


async def test_a_v1_database_is_migrated_in_place(tmp_path: Path) -> None:
    path = tmp_path / "e.db"
    v1_database(path)
    store = SqliteStore(str(path), dt.timedelta(days=30))
    await store.open()
    try:
        assert user_version(path) == VERSION
        assert await store.load("u") == '{"v": 1}'
        assert await store.recent_messages("u", NOW) == [9]
        assert [c.count for c in await store.counters(NOW.date())] == [3]
        for update_id in (5, 6):
            async with store.turn("anyone", update_id, NOW) as tx:
                assert tx.duplicate, "handled ids survive, linked to nobody"
        await queue(store, "u", "works")
        assert len(await store.claim("o", NOW, LEASE, 10)) == 1
    finally:
        await store.close()


KILLED_MIGRATION = """
import asyncio, datetime as dt, os, signal, sqlite3, sys
import bot.storage.sqlite as backend
from bot.storage import sqlite_schema

# Die (SIGKILL, no cleanup) in the middle of migration 2, after its first statements ran.
steps = sqlite_schema.MIGRATIONS[1]
sqlite_schema.MIGRATIONS[1] = [*steps[:4], "SELECT die()", *steps[4:]]
connect = sqlite3.connect
def connect_with_die(*args, **kwargs):
    db = connect(*args, **kwargs)
    db.create_function("die", 0, lambda: os.kill(os.getpid(), signal.SIGKILL))
    return db
backend.sqlite3.connect = connect_with_die
asyncio.run(backend.SqliteStore(sys.argv[1], dt.timedelta(days=30)).open())
"""


async def test_a_migration_killed_halfway_is_completed_at_the_next_open(tmp_path: Path) -> None:
    path = tmp_path / "e.db"
    v1_database(path)
    killed = await asyncio.create_subprocess_exec(
        sys.executable, "-c", textwrap.dedent(KILLED_MIGRATION), str(path),
        cwd=ROOT, stderr=asyncio.subprocess.PIPE,
    )
    _, err = await asyncio.wait_for(killed.communicate(), timeout=60)
    assert killed.returncode == -9, err.decode()
    assert Path(f"{path}-wal").exists(), "the kill left an unfinished transaction behind"
    assert user_version(path) == 1
    with sqlite3.connect(path) as db:  # still the intact v1 database
        assert db.execute("SELECT count(*) FROM handled_updates WHERE pseudonym = 'u'"
                          ).fetchone()[0] == 2
    store = SqliteStore(str(path), dt.timedelta(days=30))
    await store.open()
    try:
        assert user_version(path) == VERSION
        assert await store.load("u") == '{"v": 1}'
        async with store.turn("anyone", 5, NOW) as tx:
            assert tx.duplicate
    finally:
        await store.close()


async def test_corrupt_database_is_moved_aside_not_lost(tmp_path: Path) -> None:
    path = tmp_path / "e.db"
    garbage = b"this is not a database" * 100
    path.write_bytes(garbage)
    store = SqliteStore(str(path), dt.timedelta(days=30))
    await store.open()
    await save(store, "u", "{}")
    assert await store.healthy()
    await store.close()
    aside = list(tmp_path.glob("e.db.corrupt-*"))
    assert len(aside) == 1 and aside[0].read_bytes() == garbage


async def test_unopenable_path_is_an_error_and_nothing_is_renamed(tmp_path: Path) -> None:
    folder = tmp_path / "a_directory"
    folder.mkdir()
    store = SqliteStore(str(folder), dt.timedelta(days=30))
    with pytest.raises(StorageError, match="cannot open the database"):
        await store.open()
    assert folder.is_dir()
    assert not list(tmp_path.glob("*.corrupt-*"))


async def test_a_closed_store_says_so(tmp_path: Path) -> None:
    store = SqliteStore(str(tmp_path / "e.db"), dt.timedelta(days=30))
    with pytest.raises(StorageError, match="not open"):
        await store.load("u")
    assert not await store.healthy()
    assert "e.db" in store.describe()
    entry = OutboxEntry(1, "u", "a", "p", NOW)
    with pytest.raises(StorageError):
        await store.drop(entry)


def test_pseudonym_is_keyed_and_secret_is_created_once(tmp_path: Path) -> None:
    db = str(tmp_path / "e.db")
    first = load_secret(db, None)
    assert load_secret(db, None) == first
    key_file = tmp_path / "e.db.key"
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"
    assert pseudonym(first, "telegram", 1) != pseudonym(b"other", "telegram", 1)
    assert pseudonym(first, "telegram", 1) != pseudonym(first, "console", 1)
    assert load_secret(db, "from-env") == b"from-env"


async def test_turns_still_wait_for_the_disk_after_lease_bookkeeping(store: SqliteStore) -> None:
    """Claims and releases commit without an fsync (leases mean nothing after a reboot);
    the connection must be back to ``synchronous = FULL`` for the next turn, even when the
    lease transaction failed."""

    def synchronous(db: sqlite3.Connection) -> int:
        return int(db.execute("PRAGMA synchronous").fetchone()[0])

    full = 2
    await queue(store, "u", "p")
    await store.claim("o", NOW, LEASE, 10)
    assert await store._call(synchronous) == full
    await store.release("o", ["u"])
    assert await store._call(synchronous) == full

    def failing(db: sqlite3.Connection) -> None:
        with queries_write(db, durable=False):
            raise sqlite3.OperationalError("disk I/O error")

    with pytest.raises(StorageError):
        await store._call(failing)
    assert await store._call(synchronous) == full

    def cannot_begin(db: sqlite3.Connection) -> None:
        other = sqlite3.connect(store.path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")  # another writer: BEGIN IMMEDIATE itself fails
        db.execute("PRAGMA busy_timeout = 50")
        try:
            with queries_write(db, durable=False):
                pass
        finally:
            db.execute("PRAGMA busy_timeout = 10000")
            other.execute("ROLLBACK")
            other.close()

    with pytest.raises(StorageError):
        await store._call(cannot_begin)
    assert await store._call(synchronous) == full
