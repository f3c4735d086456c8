"""The service on a real SQLite store: one transaction per update, replies in the outbox,
``/oubli`` and ``/effacer`` erase, each counted once."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

import pytest

from bot.content.bundle import Bundle
from bot.engine.events import Command, Start, Text
from bot.engine.replies import Action, Message
from bot.service import Conversations, Turn
from bot.storage.sqlite import SqliteStore

NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)
LEASE = dt.timedelta(seconds=30)


class Screens:
    """A recipient rendering each message's text as one payload."""

    address = "sealed:42"

    def render(self, turn: Turn) -> Sequence[str]:
        deletions = [f"delete {turn.erase}"] if turn.erase else []
        return [*deletions, *(r.text for r in turn.replies if isinstance(r, Message))]


@pytest.fixture
async def conv(tmp_path: Path, fixture_bundle: Bundle):  # type: ignore[no-untyped-def]
    store = SqliteStore(str(tmp_path / "e.db"), dt.timedelta(days=30))
    await store.open()
    yield Conversations(fixture_bundle, store, b"k" * 32, clock=lambda: NOW)
    await store.close()


async def outbox(conv: Conversations) -> list[str]:
    return [e.payload for e in await conv.store.claim("test", NOW, LEASE, 100)]


async def counted(conv: Conversations, flow: str) -> dict[str, int]:
    return {c.outcome: c.count for c in await conv.store.counters(NOW.date()) if c.flow == flow}


async def test_replies_are_queued_with_the_turn_and_a_redelivery_adds_none(
    conv: Conversations,
) -> None:
    user = conv.user("telegram", 1)
    turn = await conv.handle(user, Start(), update_id=10, recipient=Screens())
    queued = await outbox(conv)
    assert queued and queued == [r.text for r in turn.replies if isinstance(r, Message)]
    again = await conv.handle(user, Start(), update_id=10, recipient=Screens())
    assert again.duplicate and again.replies == ()
    assert await outbox(conv) == queued


async def test_effacer_counts_once_forgets_and_hands_over_the_ids(conv: Conversations) -> None:
    user = conv.user("telegram", 2)
    await conv.handle(user, Start("entraide"), update_id=1, incoming=[11])
    await conv.remember(user, [12])
    before = await conv.store.load(user)
    turn = await conv.handle(user, Command("effacer"), update_id=2, incoming=[13],
                             recipient=Screens())
    assert Action.ERASE_CHAT in turn.actions
    assert set(turn.erase) == {11, 12, 13}
    assert await counted(conv, "effacer") == {"debut": 1, "fin": 1}
    after = await conv.store.load(user)
    assert after is not None and after != before and '"history":[]' in after
    assert await conv.store.recent_messages(user, NOW) == []
    queued = await outbox(conv)
    assert queued[0].startswith("delete") and len(queued) > 1, "deletion first, then the screen"


async def test_oubli_keeps_only_the_confirmation_and_the_update_id(conv: Conversations) -> None:
    user = conv.user("telegram", 3)
    await conv.handle(user, Start(), update_id=1, recipient=Screens())
    await conv.handle(user, Command("oubli"), update_id=2, recipient=Screens())
    turn = await conv.handle(user, Text("Oui, tout effacer"), update_id=3, recipient=Screens())
    assert Action.FORGET in turn.actions
    assert await conv.store.load(user) is None
    confirmation = [r.text for r in turn.replies if isinstance(r, Message)]
    entries = await conv.store.claim("test", NOW, LEASE, 100)
    assert [e.payload for e in entries] == confirmation, "earlier pending replies erased"
    for entry in entries:
        await conv.store.delivered(entry, 900 + entry.id, NOW)
    assert await conv.store.recent_messages(user, NOW) == []
    assert (await conv.handle(user, Text("Oui, tout effacer"), update_id=3)).duplicate


async def test_claim_dedupes_updates_without_an_engine_event(conv: Conversations) -> None:
    user = conv.user("telegram", 4)
    assert await conv.claim(user, 50, incoming=[7], address="sealed:4", payloads=["texte"])
    assert not await conv.claim(user, 50, incoming=[7], address="sealed:4", payloads=["texte"])
    assert await outbox(conv) == ["texte"]
    assert await conv.store.recent_messages(user, NOW) == [7]
