"""Updates of one user in arrival order; different users at the same time.

A user who taps three buttons quickly must get three answers in order, computed one
after the other: the second press is judged against the state the first one left. The
service's per-user lock serialises the state changes, but not the *sending* of replies,
and asyncio locks do not promise who goes first. So ordering is decided here, once, when
python-telegram-bot hands us an update:

python-telegram-bot creates one task per update, in queue order, and calls
:meth:`OrderedUpdateProcessor.do_process_update` from it. Its own semaphore is made large
enough never to block, so that call happens synchronously in creation order; we then chain
each update behind the previous one of the same user (a future per user), and bound the
real concurrency with our own semaphore *after* the chaining, where its fairness no longer
matters for order.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Hashable
from typing import Any, Final

from telegram import Update
from telegram.ext import BaseUpdateProcessor

log = logging.getLogger(__name__)

CONCURRENT_USERS: Final = 32
"""Updates of different users handled at once; each mostly waits on SQLite or Telegram."""
_NEVER_BLOCK: Final = 1_000_000


def ordering_key(update: object) -> Hashable:
    """Who an update belongs to: the user, else the chat, else nobody in particular."""
    if isinstance(update, Update):
        if update.effective_user is not None:
            return ("user", update.effective_user.id)
        if update.effective_chat is not None:
            return ("chat", update.effective_chat.id)
    return ("other",)


class OrderedUpdateProcessor(BaseUpdateProcessor):
    """Per-user FIFO, bounded concurrency across users."""

    def __init__(self, concurrency: int = CONCURRENT_USERS) -> None:
        super().__init__(_NEVER_BLOCK)
        self._slots = asyncio.BoundedSemaphore(concurrency)
        self._tails: dict[Hashable, asyncio.Future[None]] = {}
        self._running: set[asyncio.Task[Any]] = set()

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = ordering_key(update)
        previous = self._tails.get(key)
        mine: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._tails[key] = mine
        task = asyncio.current_task()
        if task is not None:
            self._running.add(task)
        try:
            if previous is not None:
                await asyncio.shield(previous)
            async with self._slots:
                await coroutine
        finally:
            mine.set_result(None)
            if self._tails.get(key) is mine:
                del self._tails[key]
            if task is not None:
                self._running.discard(task)
            if asyncio.iscoroutine(coroutine):
                coroutine.close()  # never awaited if we were cancelled while waiting

    def cancel_all(self) -> int:
        """Cancel updates still in progress (shutdown took too long); returns how many."""
        for task in self._running:
            task.cancel()
        return len(self._running)

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to free."""
