"""The outbox's delivery worker: sends what turns queued, in order per chat, chats in parallel.

Turns never send: they queue rendered payloads (:mod:`.payload`) in the same transaction
as the new state and the handled update id (:mod:`bot.storage.base`). This worker, one
asyncio task per process, claims ready entries from the store under a random ``owner``
id, with a lease of :data:`LEASE` renewed every :data:`SWEEP_EVERY` while it works; each
chat it holds is delivered by its own task, one entry after the other, paced
(:mod:`.pacing`); an entry is removed (``delivered``) only once Telegram accepted it.
Errors follow :mod:`.failures`; a 429 or a backoff defers that chat alone, in the store,
so another process or the next start honours it too.

It wakes when a turn commits (:meth:`Delivery.wake`), and otherwise every
:data:`SWEEP_EVERY` seconds, to pick up deferred entries whose time has come and chats whose
lease ran out (their process died). At start, :meth:`Delivery.start` delivers what is
ready before the caller fetches any update.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import secrets
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from telegram import Bot
from telegram.error import TelegramError

from bot.storage.base import OutboxEntry, Store

from . import payload
from .address import Sealer, SealError
from .failures import GIVE_UP_AFTER, Verdict, backoff, judge, retry_after
from .pacing import Pacer

log = logging.getLogger(__name__)

LEASE: Final = dt.timedelta(seconds=3)
"""How long a claimed chat stays ours without renewal: a dead process's chats are taken
over after this."""
SWEEP_EVERY: Final = 1.0
"""Seconds between two claims when nothing wakes the worker (renews leases, too)."""
CLAIM_LIMIT: Final = 200
CLOCK_MARGIN: Final = 0.02
FINISHED_KEPT: Final = 120.0
"""Seconds an entry id stays known as done, so a claim read before its removal cannot
send it twice."""


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


async def call_api(bot: Bot, method: str, params: dict[str, Any]) -> Any:
    """One raw Bot API call, answered as JSON.

    ``Bot._post`` is what every python-telegram-bot method calls; using it directly skips
    building and parsing objects we would only turn back into JSON (the public
    ``do_api_request`` warns for methods the library knows). Errors are PTB's own.
    """
    return await bot._post(method, api_kwargs=params)


@dataclass(frozen=True, slots=True)
class _Sent:
    """Telegram accepted an entry; ``message_id`` of what it made, if anything."""

    message_id: int | None


class Delivery:
    """Claims, paces, sends and settles outbox entries for this process."""

    def __init__(
        self, store: Store, bot: Bot, sealer: Sealer, *,
        clock: Callable[[], dt.datetime] = utcnow, pacer: Pacer | None = None,
        give_up_after: float | None = None,
    ) -> None:
        self.store, self.bot, self.sealer, self.clock = store, bot, sealer, clock
        self.pacer = pacer or Pacer()
        self.give_up_after = GIVE_UP_AFTER if give_up_after is None else give_up_after
        self.owner = secrets.token_hex(8)
        self._runs: dict[str, tuple[asyncio.Task[None], deque[OutboxEntry]]] = {}
        self._known: set[int] = set()
        self._finished: dict[int, float] = {}
        self._deferred: dict[str, float] = {}
        self._blocked: dict[str, float] = {}
        """Chats whose entries were dropped on a 403, and when: a claim that began before
        read rows that no longer exist, and must not send them."""
        self._leases = asyncio.Lock()
        """Held by a claim and by a chat's run while it ends: a claim cannot renew the lease
        of a chat whose run is forgetting it and then see that lease ended (another process
        would then take the chat while this one still sends what it claimed)."""
        self._woken = asyncio.Event()
        self._idle = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    # -- lifecycle -------------------------------------------------------------

    async def start(self) -> None:
        """Deliver what is ready now (before any update is fetched), then keep going."""
        await self._claim()
        runs = [task for task, _ in self._runs.values()]
        if runs:
            log.info("delivering %d pending chat(s) before taking updates", len(runs))
            await asyncio.wait(runs)
        self._task = asyncio.create_task(self._loop(), name="entraide:delivery")

    async def stop(self, drain: float) -> None:
        """Finish what can be finished within ``drain`` seconds; the rest stays queued in
        the store for the next start."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(drain):
                await self.idle()
        tasks = [t for t in (self._task, *(t for t, _ in self._runs.values())) if t]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._task = None
        if self._runs or self._deferred:
            log.info("stopped with entries still queued; they go at the next start")

    def wake(self) -> None:
        """A turn committed entries: claim them now."""
        self._idle.clear()
        self._woken.set()

    async def idle(self) -> None:
        """Return once nothing is queued, in flight or deferred (tests, shutdown)."""
        await self._idle.wait()

    # -- claiming --------------------------------------------------------------

    async def _loop(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(SWEEP_EVERY):
                    await self._woken.wait()
            try:
                await self._claim()
            except Exception as exc:  # the store is down: try again at the next sweep
                log.warning("outbox claim failed (%s)", type(exc).__name__)

    async def _claim(self) -> None:
        async with self._leases:
            await self._claim_held()

    async def _claim_held(self) -> None:
        self._woken.clear()
        started = time.monotonic()
        entries = await self.store.claim(self.owner, self.clock(), LEASE, CLAIM_LIMIT)
        self._forget_finished(started)
        self._deferred = {c: t for c, t in self._deferred.items() if t > started}
        for entry in entries:
            if entry.id in self._known or entry.id in self._finished:
                continue  # in flight here, or done after the claim read it
            if entry.chat in self._deferred:
                continue  # read before its deferral was written
            if self._blocked.get(entry.chat, -1.0) >= started:
                continue  # read before the chat's entries were dropped (403)
            self._known.add(entry.id)
            run = self._runs.get(entry.chat)
            if run is not None:
                run[1].append(entry)
            else:
                queue = deque([entry])
                task = asyncio.create_task(self._run(entry.chat, queue))
                self._runs[entry.chat] = (task, queue)
        self._update_idle()

    def _forget_finished(self, now: float) -> None:
        if self._finished:
            self._finished = {i: t for i, t in self._finished.items()
                              if now - t < FINISHED_KEPT}
        if self._blocked:
            self._blocked = {c: t for c, t in self._blocked.items() if now - t < FINISHED_KEPT}

    def _update_idle(self) -> None:
        if not self._runs and not self._deferred and not self._woken.is_set():
            self._idle.set()
        else:
            self._idle.clear()

    def _defer(self, chat: str, seconds: float) -> None:
        self._deferred[chat] = time.monotonic() + seconds
        # A little late rather than early: the store compares wall-clock times.
        asyncio.get_running_loop().call_later(seconds + CLOCK_MARGIN, self._woken.set)

    # -- one chat ----------------------------------------------------------------

    async def _run(self, chat: str, queue: deque[OutboxEntry]) -> None:
        ended = False
        try:
            while queue and not ended:
                entry = queue.popleft()
                outcome = await self._deliver(entry)
                if isinstance(outcome, _Sent):
                    ended = await self._settle(chat, queue, entry, outcome.message_id)
                self._known.discard(entry.id)
                if outcome is False:
                    break
        except Exception as exc:  # the store failed: the entries stay, a sweep retries
            log.warning("delivery to %s interrupted (%s)", chat[:8], type(exc).__name__)
            self._defer(chat, SWEEP_EVERY)
        finally:
            if not ended:
                await self._end(chat, queue)

    async def _settle(
        self, chat: str, queue: deque[OutboxEntry], entry: OutboxEntry, message_id: int | None
    ) -> bool:
        """Record that Telegram accepted ``entry``; whether that ended the chat's run.

        The usual turn is one message: its ``delivered`` also ends the lease, so a turn
        costs one commit to send, not two. Under ``_leases``, as :meth:`_end`: a claim
        cannot add to the queue between the check and the release."""
        if not queue:
            async with self._leases:
                if not queue:
                    await self.store.delivered(
                        entry, message_id, self.clock(), release=self.owner
                    )
                    self._finished[entry.id] = time.monotonic()
                    del self._runs[chat]
                    ended = True
                else:
                    ended = False
            if ended:
                self._update_idle()
                return True
        await self.store.delivered(entry, message_id, self.clock())
        self._finished[entry.id] = time.monotonic()
        return False

    async def _end(self, chat: str, queue: deque[OutboxEntry]) -> None:
        """Forget the chat's run and end its lease (after a deferral, a failure, or an
        entry that was not sent)."""
        async with self._leases:
            if queue:  # claimed while this run was ending: left queued for the next claim
                self._woken.set()
            for entry in queue:
                self._known.discard(entry.id)
            del self._runs[chat]
            with contextlib.suppress(Exception):
                await self.store.release(self.owner, [chat])
        self._update_idle()

    async def _deliver(self, entry: OutboxEntry) -> _Sent | bool:
        """Send one entry: what Telegram answered (to settle), or, when it was not sent,
        whether the chat's next entry may go now."""
        try:
            call = payload.parse(entry.payload)
            chat_id = self.sealer.open(entry.address)
        except (ValueError, SealError) as exc:
            log.error("outbox entry of %s unreadable (%s); dropped", entry.chat[:8], exc)
            await self._drop(entry)
            return True
        wait = self.pacer.reserve(entry.chat, time.monotonic())
        if wait > 0:
            await asyncio.sleep(wait)
        wait = self.pacer.overall(time.monotonic())
        if wait > 0:
            await asyncio.sleep(wait)
        params = {"chat_id": chat_id, **call.params}
        try:
            result = await call_api(self.bot, call.method, params)
        except TelegramError as error:
            if judge(error) is not Verdict.HTML_REFUSED or call.plain is None:
                return await self._failed(entry, call.method, error)
            log.error("%s refused our HTML (%s); sending it as plain text", call.method,
                      error.message[:200])
            params = {k: v for k, v in params.items() if k != "parse_mode"}
            params["text"] = call.plain
            try:
                result = await call_api(self.bot, call.method, params)
            except TelegramError as second:
                return await self._failed(entry, call.method, second)
        sent = result.get("message_id") if isinstance(result, dict) else None
        return _Sent(sent if isinstance(sent, int) else None)

    async def _drop(self, entry: OutboxEntry) -> None:
        await self.store.drop(entry)
        self._finished[entry.id] = time.monotonic()

    async def _failed(self, entry: OutboxEntry, method: str, error: TelegramError) -> bool:
        verdict = judge(error)
        chat = entry.chat[:8]
        if verdict is Verdict.WAIT:
            seconds = retry_after(error)
            log.info("%s to %s: 429, this chat waits %.0f s", method, chat, seconds)
            await self.store.failed(entry, self.clock() + dt.timedelta(seconds=seconds))
            self._defer(entry.chat, seconds)
            return False
        if verdict is Verdict.BLOCKED:
            dropped = await self.store.drop_chat(entry.chat)
            self._blocked[entry.chat] = time.monotonic()
            log.info("%s to %s: 403 (%s); %d pending entr(ies) dropped", method, chat,
                     error.message[:200], dropped)
            return False
        if verdict in (Verdict.REFUSED, Verdict.HTML_REFUSED):
            log.warning("%s to %s refused (400: %s); entry dropped", method, chat,
                        error.message[:200])
            await self._drop(entry)
            return True
        delay = backoff(entry.attempts + 1, self.give_up_after)
        if delay is None:
            log.error("%s to %s still failing after %.0f s (%s); entry dropped", method, chat,
                      self.give_up_after, type(error).__name__)
            await self._drop(entry)
            return True
        log.info("%s to %s failed (%s); retrying in %.1f s", method, chat,
                 type(error).__name__, delay)
        await self.store.failed(entry, self.clock() + dt.timedelta(seconds=delay))
        self._defer(entry.chat, delay)
        return False
