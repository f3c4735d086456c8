"""One conversation turn with storage around the pure engine; shared by all channels.

Loads the state, runs :func:`bot.engine.engine.step`, saves the state together
with the handled update id and the anonymous counters, and carries out the
``oubli`` action. Turns of one user are serialised by a per-user lock; different
users run concurrently.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import secrets
import weakref
from collections.abc import Callable
from dataclasses import dataclass

from bot.content.bundle import Bundle
from bot.engine.engine import step
from bot.engine.events import Event
from bot.engine.replies import Action, Reply
from bot.engine.state import State
from bot.storage.pseudonym import pseudonym
from bot.storage.sqlite import Store

log = logging.getLogger(__name__)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class Turn:
    """What a channel must send and do after one event."""

    replies: tuple[Reply, ...]
    user: str
    duplicate: bool = False

    @property
    def actions(self) -> tuple[Action, ...]:
        return tuple(r for r in self.replies if isinstance(r, Action))


class Conversations:
    """The engine plus storage, for any channel."""

    def __init__(
        self,
        bundle: Bundle,
        store: Store,
        secret: bytes,
        clock: Callable[[], dt.datetime] = utcnow,
    ) -> None:
        self.bundle = bundle
        self.store = store
        self.secret = secret
        self.clock = clock
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()

    def user(self, channel: str, user_id: int | str) -> str:
        """The pseudonym under which this user's data is stored."""
        return pseudonym(self.secret, channel, user_id)

    def lock(self, user: str) -> asyncio.Lock:
        lock = self._locks.get(user)
        if lock is None:
            lock = asyncio.Lock()
            self._locks[user] = lock
        return lock

    async def handle(self, user: str, event: Event, *, update_id: int | None = None) -> Turn:
        """Run one event for one user; a re-delivered update gives no replies."""
        async with self.lock(user):
            if update_id is not None and await self.store.already_handled(user, update_id):
                log.info("update %d already handled; ignored", update_id)
                return Turn((), user, duplicate=True)
            state = State.from_json(await self.store.load(user), secrets.token_hex(3))
            result = step(self.bundle, state, event)
            counters = [(o.flow, o.kind) for o in result.outcomes]
            now = self.clock()
            if Action.FORGET in result.replies:
                await self.store.forget(user)
                await self.store.save(user, None, now, counters=counters)
                log.info("user data erased on request")
            else:
                await self.store.save(
                    user, result.state.to_json(), now, update_id=update_id, counters=counters
                )
            return Turn(result.replies, user)
