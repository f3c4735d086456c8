"""Updates of one user in arrival order; different users at the same time.

A user who taps three buttons quickly must get three answers in order, computed one
after the other: the second press is judged against the state the first one left. Both
update sources (:mod:`.polling`, :mod:`.webhook`) hand every update to
:meth:`Ordered.run` in the order Telegram gave them; the call chains it behind the
previous update of the same user (a future per user) *synchronously*, before its first
``await``, so the order is the call order. Real concurrency across users is bounded by a
semaphore taken *after* the chaining, where its fairness no longer matters for order.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from typing import Final, Generic, TypeVar

from telegram import Update

CONCURRENT_USERS: Final = 32
"""Updates of different users handled at once; each mostly waits on the database."""

T = TypeVar("T")


def ordering_key(update: Update) -> Hashable:
    """Who an update belongs to: the user, else the chat, else nobody in particular."""
    if update.effective_user is not None:
        return ("user", update.effective_user.id)
    if update.effective_chat is not None:
        return ("chat", update.effective_chat.id)
    return ("other",)


class Ordered(Generic[T]):
    """Runs ``handle(update)`` per user in FIFO order, users concurrently."""

    def __init__(
        self, handle: Callable[[Update], Awaitable[T]], concurrency: int = CONCURRENT_USERS
    ) -> None:
        self.handle = handle
        self._slots = asyncio.Semaphore(concurrency)
        self._tails: dict[Hashable, asyncio.Future[None]] = {}
        self._running = 0
        self._idle = asyncio.Event()
        self._idle.set()

    def run(self, update: Update) -> Awaitable[T]:
        """Chain ``update`` now; the awaitable gives ``handle``'s result once it ran."""
        key = ordering_key(update)
        previous = self._tails.get(key)
        mine: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._tails[key] = mine
        self._running += 1
        self._idle.clear()
        return self._after(key, previous, mine, update)

    async def _after(
        self, key: Hashable, previous: asyncio.Future[None] | None,
        mine: asyncio.Future[None], update: Update,
    ) -> T:
        try:
            if previous is not None:
                await asyncio.shield(previous)
            async with self._slots:
                return await self.handle(update)
        finally:
            mine.set_result(None)
            if self._tails.get(key) is mine:
                del self._tails[key]
            self._running -= 1
            if not self._running:
                self._idle.set()

    async def idle(self) -> None:
        """Return once no update is being handled (shutdown drains with it)."""
        await self._idle.wait()
