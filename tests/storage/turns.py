"""Shortcuts the storage tests share: one turn that saves a state, one that queues replies."""

from __future__ import annotations

import datetime as dt

from bot.storage.base import Store

NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)
LEASE = dt.timedelta(seconds=30)


async def save(store: Store, who: str, state: str, when: dt.datetime = NOW,
               update_id: int | None = None) -> None:
    async with store.turn(who, update_id, when) as tx:
        tx.save(state)


async def queue(store: Store, who: str, *payloads: str, when: dt.datetime = NOW) -> None:
    async with store.turn(who, None, when) as tx:
        for payload in payloads:
            tx.send(f"sealed-{who}", payload)
