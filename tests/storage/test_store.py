"""SQLite storage: durability, deduplication, erasure, expiry, privacy, corruption."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import pytest

from bot.content.bundle import Bundle
from bot.engine.events import Start, Text
from bot.engine.replies import Action
from bot.service import Conversations
from bot.storage.pseudonym import load_secret, pseudonym
from bot.storage.sqlite import StorageError, Store

NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)
TELEGRAM_ID = 987654321


@pytest.fixture
async def store(tmp_path: Path):  # type: ignore[no-untyped-def]
    s = Store(str(tmp_path / "e.db"), dt.timedelta(days=30))
    await s.open()
    yield s
    await s.close()


def dump(path: Path) -> str:
    """Everything in the database file, as text."""
    with sqlite3.connect(path) as db:
        return "\n".join(db.iterdump())


async def test_database_uses_wal_and_state_survives_reopening(tmp_path: Path, fixture_bundle: Bundle) -> None:
    path = tmp_path / "e.db"
    store = Store(str(path), dt.timedelta(days=30))
    await store.open()
    conv = Conversations(fixture_bundle, store, b"k" * 32, clock=lambda: NOW)
    user = conv.user("telegram", TELEGRAM_ID)
    await conv.handle(user, Start())
    await conv.handle(user, Text("liberal"))
    mode = await (await store.db.execute("PRAGMA journal_mode")).fetchone()
    assert mode is not None and mode[0] == "wal"
    await store.close()

    store = Store(str(path), dt.timedelta(days=30))
    await store.open()
    conv = Conversations(fixture_bundle, store, b"k" * 32, clock=lambda: NOW)
    turn = await conv.handle(user, Text("2"))
    assert any("pas une assurance" in getattr(r, "text", "") for r in turn.replies)
    await store.close()


async def test_no_raw_id_and_no_message_text_is_stored(tmp_path: Path, fixture_bundle: Bundle) -> None:
    path = tmp_path / "e.db"
    store = Store(str(path), dt.timedelta(days=30))
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


async def test_a_redelivered_update_is_processed_once(store: Store, fixture_bundle: Bundle) -> None:
    conv = Conversations(fixture_bundle, store, b"k" * 32, clock=lambda: NOW)
    user = conv.user("telegram", 1)
    await conv.handle(user, Start(), update_id=10)
    first = await conv.handle(user, Text("liberal"), update_id=11)
    again = await conv.handle(user, Text("liberal"), update_id=11)
    assert first.replies and not first.duplicate
    assert again.duplicate and again.replies == ()


async def test_forget_erases_everything_about_the_user(tmp_path: Path, fixture_bundle: Bundle) -> None:
    path = tmp_path / "e.db"
    store = Store(str(path), dt.timedelta(days=30))
    await store.open()
    conv = Conversations(fixture_bundle, store, b"k" * 32, clock=lambda: NOW)
    user = conv.user("telegram", 5)
    other = conv.user("telegram", 6)
    await conv.handle(other, Start(), update_id=1)
    await conv.handle(user, Start(), update_id=2)
    await store.remember_messages(user, [100, 101], NOW)
    await conv.handle(user, Text("/oubli"), update_id=3)
    turn = await conv.handle(user, Text("Oui, tout effacer"), update_id=4)
    assert Action.FORGET in turn.actions
    await store.close()
    content = dump(path)
    assert user not in content
    assert other in content
    assert "'oubli'" in content, "anonymous counters remain"


async def test_inactive_conversations_expire(store: Store) -> None:
    await store.save("old", "{}", NOW - dt.timedelta(days=31), update_id=1)
    await store.save("recent", "{}", NOW - dt.timedelta(days=29), update_id=2)
    removed = await store.purge(NOW)
    assert removed == 1
    assert await store.load("old") is None
    assert await store.load("recent") == "{}"
    assert not await store.already_handled("old", 1)


async def test_recent_message_ids_are_kept_48_hours(store: Store) -> None:
    await store.remember_messages("u", [1, 2], NOW - dt.timedelta(hours=49))
    await store.remember_messages("u", [3], NOW - dt.timedelta(hours=1))
    assert await store.recent_messages("u", NOW) == [3]


async def test_counters_are_aggregated_per_day_flow_outcome(store: Store) -> None:
    await store.save("a", "{}", NOW, counters=[("entraide", "debut")])
    await store.save("b", "{}", NOW, counters=[("entraide", "debut"), ("entraide", "fin")])
    counters = {(c.flow, c.outcome): c.count for c in await store.counters(NOW.date())}
    assert counters == {("entraide", "debut"): 2, ("entraide", "fin"): 1}


async def test_corrupt_database_is_moved_aside_not_lost(tmp_path: Path) -> None:
    path = tmp_path / "e.db"
    garbage = b"this is not a database" * 100
    path.write_bytes(garbage)
    store = Store(str(path), dt.timedelta(days=30))
    await store.open()
    await store.save("u", "{}", NOW)
    await store.close()
    aside = list(tmp_path.glob("e.db.corrupt-*"))
    assert len(aside) == 1 and aside[0].read_bytes() == garbage


def test_pseudonym_is_keyed_and_secret_is_created_once(tmp_path: Path) -> None:
    db = str(tmp_path / "e.db")
    first = load_secret(db, None)
    assert load_secret(db, None) == first
    key_file = tmp_path / "e.db.key"
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"
    assert pseudonym(first, "telegram", 1) != pseudonym(b"other", "telegram", 1)
    assert pseudonym(first, "telegram", 1) != pseudonym(first, "console", 1)
    assert load_secret(db, "from-env") == b"from-env"


async def test_unopenable_path_is_an_error_and_nothing_is_renamed(tmp_path: Path) -> None:
    folder = tmp_path / "a_directory"
    folder.mkdir()
    store = Store(str(folder), dt.timedelta(days=30))
    with pytest.raises(StorageError, match="cannot open the database"):
        await store.open()
    assert folder.is_dir()
    assert not list(tmp_path.glob("*.corrupt-*"))
