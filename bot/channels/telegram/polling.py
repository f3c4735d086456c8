"""Long polling that confirms an update to Telegram only once its turn is committed.

``getUpdates`` confirms everything below the ``offset`` it is given. python-telegram-bot's
``Updater`` moves the offset as soon as an update is *fetched*, so a process killed
before the turn commits loses that update for good. Here a batch is fetched, every update
of it is handled (:class:`~.ordering.Ordered`: one user in order, users in parallel), and
the next ``getUpdates`` confirms only the committed ones: the offset stops at the first
update whose turn could not be committed (database unreachable), which Telegram then
sends again, after a pause. Kill the process at any point: what was not committed comes
back, and what was committed is recognised by its update id (no double answer).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import time
from collections.abc import Callable, Coroutine, Sequence
from typing import Any, Final

from telegram import Bot, Update
from telegram.error import Conflict, InvalidToken, TelegramError

from .handlers import Handled
from .ordering import Ordered

log = logging.getLogger(__name__)

POLL_TIMEOUT: Final = dt.timedelta(seconds=10)
"""Long-polling wait: an update arrives at once; an idle bot asks six times a minute."""
RETRY_PAUSE: Final = (0.5, 1.0, 2.0, 5.0, 10.0)
"""Pauses after consecutive failed polls (network, 5xx, uncommitted turns)."""
CONFLICT_LOG_EVERY: Final = 300.0


class Poller:
    """Fetches, hands over, and confirms updates until :meth:`stop`."""

    def __init__(
        self, bot: Bot, ordered: Ordered[Handled], *, allowed_updates: Sequence[str],
        answer: Callable[[str], Coroutine[Any, Any, None]],
    ) -> None:
        self.bot = bot
        self.ordered = ordered
        self.allowed_updates = list(allowed_updates)
        self.answer = answer
        self.offset = 0
        self._stopping = False
        self._stopped = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._fetching: asyncio.Task[tuple[Update, ...]] | None = None
        self._failures = 0
        self._conflict_logged_at = -CONFLICT_LOG_EVERY
        self._answers: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        """Forget a webhook left registered (``getUpdates`` fails while one is set), then poll."""
        await self.bot.delete_webhook(drop_pending_updates=False)
        self._task = asyncio.create_task(self._run(), name="entraide:polling")

    async def stop(self) -> None:
        """Finish the batch in hand, confirm it to Telegram, stop."""
        self._stopping = True
        self._stopped.set()
        if self._fetching is not None:
            self._fetching.cancel()
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self.offset:
            with contextlib.suppress(TelegramError):  # next start dedupes them anyway
                await self.bot.get_updates(offset=self.offset, limit=1, timeout=0)
        if self._answers:
            await asyncio.gather(*self._answers, return_exceptions=True)

    async def _run(self) -> None:
        while not self._stopping:
            try:
                self._fetching = asyncio.ensure_future(self.bot.get_updates(
                    offset=self.offset, timeout=POLL_TIMEOUT,
                    allowed_updates=self.allowed_updates,
                ))
                updates = await self._fetching
            except asyncio.CancelledError:
                if self._stopping:
                    return
                raise
            except InvalidToken:
                log.error("Telegram refused the token while polling (revoked?); retrying")
                await self._pause()
                continue
            except TelegramError as error:
                self._log_failure(error)
                await self._pause()
                continue
            finally:
                self._fetching = None
            if updates:
                await self._handle(updates)

    async def _handle(self, updates: Sequence[Update]) -> None:
        results = await asyncio.gather(*(self.ordered.run(u) for u in updates))
        uncommitted = [u.update_id for u, r in zip(updates, results, strict=True)
                       if not r.committed]
        self.offset = min(uncommitted) if uncommitted else updates[-1].update_id + 1
        for result in results:
            if result.query is not None:
                task = asyncio.create_task(self.answer(result.query))
                self._answers.add(task)
                task.add_done_callback(self._answers.discard)
        if uncommitted:
            await self._pause()
        else:
            self._failures = 0

    async def _pause(self) -> None:
        wait = RETRY_PAUSE[min(self._failures, len(RETRY_PAUSE) - 1)]
        self._failures += 1
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(wait):
                await self._stopped.wait()

    def _log_failure(self, error: TelegramError) -> None:
        if isinstance(error, Conflict):
            now = time.monotonic()
            if now - self._conflict_logged_at >= CONFLICT_LOG_EVERY:
                self._conflict_logged_at = now
                log.error("another process is polling with this token (409 Conflict): run "
                          "one worker only; retrying")
            return
        log.warning("polling failed (%s); retrying", type(error).__name__)
