"""The storage contract (bot/storage/base.py), on every backend of ``BACKENDS``: what the
service and the channels rely on behaves the same on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest

from bot.content.bundle import Bundle
from bot.engine.events import Start, Text
from bot.engine.replies import Action
from bot.service import Conversations
from bot.storage.base import (
    HANDLED_UPDATES_KEPT,
    OUTBOX_KEPT,
    RECENT_MESSAGES_KEPT,
    Counter,
    Purged,
    Store,
)
from tests.storage.turns import LEASE, NOW, queue, save

SECOND = dt.timedelta(seconds=1)


def payloads(entries: list) -> list[str]:  # type: ignore[type-arg]
    return [e.payload for e in entries]


# -- turns -----------------------------------------------------------------------------


async def test_nothing_of_a_turn_is_written_if_it_raises(store: Store) -> None:
    with pytest.raises(RuntimeError):
        async with store.turn("u", 7, NOW) as tx:
            tx.save('{"a": 1}')
            tx.count("entraide", "debut")
            tx.send("addr", "reply")
            tx.remember([1])
            raise RuntimeError("the engine failed")
    assert await store.load("u") is None
    assert await store.counters(NOW.date()) == []
    assert await store.claim("o", NOW, LEASE, 10) == []
    assert await store.recent_messages("u", NOW) == []
    async with store.turn("u", 7, NOW) as tx:  # Telegram's retry is processed
        assert not tx.duplicate


async def test_a_turn_writes_everything_together_and_reads_its_state(store: Store) -> None:
    async with store.turn("u", 1, NOW) as tx:
        assert not tx.duplicate and await tx.load() is None
        tx.save('{"n": 1}')
        tx.count("entraide", "debut")
        tx.send("addr", "bonjour")
        tx.remember([41, 42])
    async with store.turn("u", 2, NOW) as tx:
        assert await tx.load() == '{"n": 1}'
    assert await store.load("u") == '{"n": 1}'
    assert await store.counters(NOW.date()) == [Counter(NOW.date().isoformat(), "entraide", "debut", 1)]
    assert payloads(await store.claim("o", NOW, LEASE, 10)) == ["bonjour"]
    assert await store.recent_messages("u", NOW) == [41, 42]


async def test_a_duplicate_update_writes_nothing(store: Store) -> None:
    await save(store, "u", "first", update_id=5)
    async with store.turn("u", 5, NOW) as tx:
        assert tx.duplicate
        tx.save("second")
        tx.count("x", "y")
    assert await store.load("u") == "first"
    assert await store.counters(NOW.date()) == []


async def test_an_update_id_stays_claimed_after_forget(store: Store) -> None:
    await save(store, "u", "state", update_id=9)
    async with store.turn("u", 10, NOW) as tx:
        tx.forget()
    assert await store.load("u") is None
    for update_id in (9, 10):
        async with store.turn("u", update_id, NOW) as tx:
            assert tx.duplicate


async def test_forget_then_save_keeps_the_new_state_only(store: Store) -> None:
    await save(store, "u", "old")
    async with store.turn("u", None, NOW) as tx:
        tx.send("a", "before")
        tx.forget()
        tx.save("fresh")
        tx.send("a", "after")
    assert await store.load("u") == "fresh"
    assert payloads(await store.claim("o", NOW, LEASE, 10)) == ["after"]


async def test_turns_of_one_user_are_serialised(store: Store) -> None:
    async def increment() -> None:
        async with store.turn("u", None, NOW) as tx:
            value = int(await tx.load() or "0")
            await asyncio.sleep(0.01)
            tx.save(str(value + 1))

    await asyncio.gather(*(increment() for _ in range(8)))
    assert await store.load("u") == "8"


# -- outbox ----------------------------------------------------------------------------


async def test_outbox_keeps_order_per_chat(store: Store) -> None:
    await queue(store, "a", "a1", "a2")
    await queue(store, "b", "b1")
    await queue(store, "a", "a3")
    entries = await store.claim("o", NOW, LEASE, 10)
    assert [e.payload for e in entries if e.chat == "a"] == ["a1", "a2", "a3"]
    assert [e.id for e in entries] == sorted(e.id for e in entries)
    assert {e.address for e in entries if e.chat == "b"} == {"sealed-b"}


async def test_a_leased_chat_goes_to_one_owner_until_its_lease_runs_out(store: Store) -> None:
    await queue(store, "a", "a1")
    await queue(store, "b", "b1")
    first = await store.claim("one", NOW, LEASE, 1)
    assert payloads(first) == ["a1"]
    second = await store.claim("two", NOW, LEASE, 10)
    assert payloads(second) == ["b1"]  # chat a is leased to "one"
    assert payloads(await store.claim("one", NOW, LEASE, 10)) == ["a1"]  # renewing its own
    # "one" dies: after its lease, "two" takes chat a over
    assert "a1" not in payloads(await store.claim("two", NOW + LEASE - SECOND, LEASE, 10))
    taken = await store.claim("two", NOW + LEASE + SECOND, LEASE, 10)
    assert "a1" in payloads(taken)
    assert await store.claim("one", NOW + LEASE + 2 * SECOND, LEASE, 10) == []


async def test_release_lets_another_owner_claim(store: Store) -> None:
    await queue(store, "a", "a1")
    await store.claim("one", NOW, LEASE, 10)
    assert await store.claim("two", NOW, LEASE, 10) == []
    await store.release("one", ["a"])
    assert payloads(await store.claim("two", NOW, LEASE, 10)) == ["a1"]


async def test_the_last_delivered_entry_can_end_the_lease_in_its_transaction(
    store: Store,
) -> None:
    await queue(store, "a", "a1")
    [a1] = await store.claim("one", NOW, LEASE, 10)
    await queue(store, "a", "a2")  # the user's next turn, queued meanwhile
    await store.delivered(a1, 501, NOW, release="one")
    assert payloads(await store.claim("two", NOW, LEASE, 10)) == ["a2"]  # no lease wait
    assert await store.recent_messages("a", NOW) == [501]


async def test_delivered_without_release_keeps_the_lease(store: Store) -> None:
    await queue(store, "a", "a1")
    [a1] = await store.claim("one", NOW, LEASE, 10)
    await queue(store, "a", "a2")
    await store.delivered(a1, 501, NOW)
    assert await store.claim("two", NOW, LEASE, 10) == []  # still leased to "one"


async def test_release_with_delivered_also_when_the_entry_was_already_gone(
    store: Store,
) -> None:
    await queue(store, "a", "a1")
    [a1] = await store.claim("one", NOW, LEASE, 10)
    await store.drop_chat("a")  # e.g. a 403 handled by another path meanwhile
    await queue(store, "a", "a2")
    await store.delivered(a1, 501, NOW, release="one")
    assert payloads(await store.claim("two", NOW, LEASE, 10)) == ["a2"]
    assert await store.recent_messages("a", NOW) == []


async def test_a_failed_entry_blocks_its_chat_until_retry_time(store: Store) -> None:
    await queue(store, "a", "a1", "a2")
    await queue(store, "b", "b1")
    [a1, *_] = await store.claim("o", NOW, LEASE, 10)
    await store.failed(a1, NOW + 10 * SECOND)
    assert payloads(await store.claim("o", NOW + SECOND, LEASE, 10)) == ["b1"]
    retried = await store.claim("o", NOW + 11 * SECOND, LEASE, 10)
    assert payloads(retried)[:2] == ["a1", "a2"]
    assert retried[0].attempts == 1


async def test_drop_and_drop_chat(store: Store) -> None:
    await queue(store, "a", "a1", "a2")
    await queue(store, "b", "b1", "b2")
    entries = await store.claim("o", NOW, LEASE, 10)
    await store.drop(entries[0])
    assert await store.drop_chat("b") == 2
    assert payloads(await store.claim("o", NOW, LEASE, 10)) == ["a2"]


async def test_delivered_removes_the_entry_and_remembers_its_message(store: Store) -> None:
    await queue(store, "a", "a1", "a2")
    a1, a2 = await store.claim("o", NOW, LEASE, 10)
    await store.delivered(a1, 501, NOW)
    await store.delivered(a2, None, NOW)  # e.g. a deletion: nothing to remember
    assert await store.claim("o", NOW, LEASE, 10) == []
    assert await store.recent_messages("a", NOW) == [501]


async def test_the_confirmation_after_forget_is_sent_but_leaves_nothing(store: Store) -> None:
    await save(store, "a", "state")
    async with store.turn("a", None, NOW) as tx:
        tx.forget()
        tx.send("addr", "vos données sont effacées")
    [confirmation] = await store.claim("o", NOW, LEASE, 10)
    await store.delivered(confirmation, 777, NOW)
    assert await store.recent_messages("a", NOW) == []
    assert await store.load("a") is None


async def test_an_entry_forgotten_while_in_flight_is_not_remembered(store: Store) -> None:
    await queue(store, "a", "a1")
    [a1] = await store.claim("o", NOW, LEASE, 10)
    async with store.turn("a", None, NOW) as tx:
        tx.forget()
    await store.delivered(a1, 900, NOW)
    assert await store.recent_messages("a", NOW) == []


# -- expiry, counters, health ------------------------------------------------------------


async def test_purge_expires_after_retention_and_48_hours(store: Store) -> None:
    old, recent = NOW - dt.timedelta(days=31), NOW - dt.timedelta(hours=1)
    await save(store, "old", "s", when=old, update_id=1)
    await save(store, "recent", "s", when=recent, update_id=2)
    await save(store, "mid", "s", when=NOW - HANDLED_UPDATES_KEPT - SECOND, update_id=3)
    await queue(store, "old", "stale", when=NOW - OUTBOX_KEPT - SECOND)
    await queue(store, "recent", "fresh", when=recent)
    async with store.turn("recent", None, NOW - RECENT_MESSAGES_KEPT - SECOND) as tx:
        tx.remember([1])
    async with store.turn("recent", None, recent) as tx:
        tx.remember([2])
    purged = await store.purge(NOW)
    assert purged == Purged(conversations=1, handled_updates=2, outbox=1, recent_messages=1)
    assert await store.load("old") is None
    assert await store.load("mid") == "s"  # 48 h of ids, but 30 days of conversation
    assert await store.load("recent") == "s"
    assert payloads(await store.claim("o", NOW, LEASE, 10)) == ["fresh"]
    assert await store.recent_messages("recent", NOW) == [2]
    async with store.turn("x", 1, NOW) as tx:  # an expired id is forgotten
        assert not tx.duplicate
    async with store.turn("x", 2, NOW) as tx:
        assert tx.duplicate
    assert await store.purge(NOW) == Purged()


async def test_counters_since_a_day(store: Store) -> None:
    for when, flow in ((NOW - dt.timedelta(days=2), "a"), (NOW, "a"), (NOW, "a"), (NOW, "b")):
        async with store.turn("u", None, when) as tx:
            tx.count(flow, "fin")
    today = NOW.date().isoformat()
    assert await store.counters(NOW.date()) == [Counter(today, "a", "fin", 2), Counter(today, "b", "fin", 1)]
    assert len(await store.counters(NOW.date() - dt.timedelta(days=2))) == 3


async def test_healthy_and_described_without_a_password(store: Store) -> None:
    assert await store.healthy()
    described = store.describe()
    assert described.startswith(("SQLite", "PostgreSQL"))
    assert "password" not in described.lower()
    await store.close()
    assert not await store.healthy()


# -- through the service -------------------------------------------------------------------


async def everything(store: Store) -> str:
    """Every row of every table, as text (what an operator with SQL access would see)."""
    from bot.storage.postgres import PostgresStore
    from bot.storage.sqlite import SqliteStore

    if isinstance(store, PostgresStore):
        import psycopg

        from bot.storage.postgres.schema import TABLES

        async with await psycopg.AsyncConnection.connect(store.url) as conn:
            rows = []
            for table in TABLES:
                found = await (await conn.execute(f"SELECT t::text FROM {table} t")).fetchall()
                rows.extend(str(r[0]) for r in found)
        return "\n".join(rows)
    assert isinstance(store, SqliteStore)
    import sqlite3

    with sqlite3.connect(store.path) as db:
        return "\n".join(db.iterdump())


async def test_oubli_through_the_service_leaves_nothing_of_the_user(
    store: Store, fixture_bundle: Bundle
) -> None:
    conv = Conversations(fixture_bundle, store, b"k" * 32, clock=lambda: NOW)
    user, other = conv.user("telegram", 5), conv.user("telegram", 6)
    await conv.handle(other, Start(), update_id=1)
    await conv.handle(user, Start(), update_id=2, incoming=[100, 101])
    await conv.handle(user, Text("Je m'appelle Camille et je suis à bout"), update_id=3)
    before = await everything(store)
    assert user in before and "Camille" not in before
    await conv.handle(user, Text("/oubli"), update_id=4)
    turn = await conv.handle(user, Text("Oui, tout effacer"), update_id=5)
    assert Action.FORGET in turn.actions
    assert (await conv.handle(user, Text("Oui, tout effacer"), update_id=5)).duplicate
    after = await everything(store)
    assert user not in after
    assert other in after
    assert "oubli" in after, "anonymous counters remain"
