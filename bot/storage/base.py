"""The storage seam: everything the service and the channels need from a database.

Two implementations stand behind it and must behave the same, as the contract tests of
``tests/storage`` prove on both: :mod:`bot.storage.sqlite` (embedded, one machine, the
default) and :mod:`bot.storage.postgres` (hosted, several processes). Nothing above this
module knows which one runs.

What is stored, and why it is the minimum:

- ``conversations``: a pseudonym (keyed hash, never the Telegram id) and the engine state
  (node names and structured answers, never message text); expires after the retention
  period of inactivity;
- ``handled_updates``: update ids alone, linked to nobody, for 48 h, so that an update
  Telegram delivers again is processed once, even after ``/oubli``;
- ``outbox``: the replies of a turn not yet accepted by Telegram (rendered content text,
  never the user's text) and an *sealed* address to send them to (see
  :class:`OutboxEntry`); removed once sent, expired after 48 h;
- ``recent_messages``: ids of messages of the last 48 h, so ``/effacer`` can delete them;
- ``counters``: day, flow, outcome, count; linked to nobody.

Errors (documented here, where they are defined, as httpx does)::

    StorageError            the database cannot be used; the message says what to do
    └── StorageUnavailable  it cannot be reached right now (server down, busy too long):
                            the operation may succeed later; nothing was written
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Protocol

HANDLED_UPDATES_KEPT = dt.timedelta(days=2)
"""Telegram keeps undelivered updates 24 h; remembering 48 h is enough to dedupe."""
RECENT_MESSAGES_KEPT = dt.timedelta(hours=48)
"""The Bot API lets a bot delete messages of a private chat for 48 h."""
OUTBOX_KEPT = dt.timedelta(hours=48)
"""A reply that could not be delivered in 48 h is dropped: it would answer a stale question."""


class StorageError(Exception):
    """The database cannot be used; the message says what to do."""


class StorageUnavailable(StorageError):
    """The database cannot be reached right now; nothing was written, try again later."""


@dataclass(frozen=True)
class Counter:
    """One anonymous statistic."""

    day: str
    flow: str
    outcome: str
    count: int


@dataclass(frozen=True)
class OutboxEntry:
    """One message waiting to be accepted by Telegram.

    ``chat`` is the pseudonym of the conversation: entries of one chat are delivered in
    ``id`` order, one at a time. ``address`` tells the channel where to send; the channel
    seals it (encrypts it with a key kept outside the database) so that the database never
    holds a raw Telegram id. ``payload`` is the channel's rendering of one message.
    """

    id: int
    chat: str
    address: str
    payload: str
    created_at: dt.datetime
    attempts: int = 0


@dataclass(frozen=True)
class Purged:
    """What one retention pass removed."""

    conversations: int = 0
    handled_updates: int = 0
    outbox: int = 0
    recent_messages: int = 0


class TurnTransaction(Protocol):
    """One update, atomically: claim its id, read the state, write what the turn decided.

    Obtained from :meth:`Store.turn`; everything written through it is committed together
    when the ``async with`` block ends normally, and nothing is if it raises. While it is
    open no other turn of the same pseudonym runs, in this process or any other.
    """

    @property
    def duplicate(self) -> bool:
        """The update id was already processed: write nothing, send nothing."""
        ...

    async def load(self) -> str | None:
        """The stored state of the conversation, or None."""
        ...

    def save(self, state: str) -> None:
        """Keep this state (it replaces the stored one)."""
        ...

    def forget(self) -> None:
        """Erase everything stored about this pseudonym: state, pending outbox entries and
        remembered message ids. The update id stays claimed, linked to nothing."""
        ...

    def count(self, flow: str, outcome: str) -> None:
        """Add one to an anonymous counter of today."""
        ...

    def send(self, address: str, payload: str) -> None:
        """Queue a message to this pseudonym's chat, after those already queued."""
        ...

    def remember(self, message_ids: Sequence[int]) -> None:
        """Keep ids of messages the user sent, for ``/effacer``."""
        ...


class Store(Protocol):
    """A database of conversations, handled updates, outbox, message ids and counters."""

    async def open(self) -> None:
        """Connect, check, migrate to the current schema; raise :class:`StorageError`."""
        ...

    async def close(self) -> None:
        """Release connections; idempotent."""
        ...

    async def healthy(self) -> bool:
        """The database answers a trivial query now (for ``GET /healthz``)."""
        ...

    def describe(self) -> str:
        """Which database, for the start-up log line: never a password."""
        ...

    def turn(
        self, pseudonym: str, update_id: int | None, now: dt.datetime
    ) -> AbstractAsyncContextManager[TurnTransaction]:
        """Open the transaction of one update (``update_id`` None: not deduplicated)."""
        ...

    async def load(self, pseudonym: str) -> str | None:
        """The stored state, outside any turn (the console resumes with it)."""
        ...

    # -- delivery ----------------------------------------------------------------------

    async def claim(
        self, owner: str, now: dt.datetime, lease: dt.timedelta, limit: int
    ) -> list[OutboxEntry]:
        """Entries ready to send, of chats no other live ``owner`` is delivering.

        Every chat returned is leased to ``owner`` until ``now + lease``; its entries come
        in ``id`` order. A chat whose lease ran out (its process died) can be claimed again.
        """
        ...

    async def delivered(
        self, entry: OutboxEntry, message_id: int | None, now: dt.datetime, *,
        release: str | None = None,
    ) -> None:
        """Telegram accepted ``entry``: remove it, and remember ``message_id`` for
        ``/effacer`` (unless the chat was forgotten meanwhile, or the entry was queued
        after ``forget`` in its turn). ``message_id`` None: the payload made no message
        (a deletion, say). ``release``: an owner whose lease on the entry's chat ends in
        the same transaction (it was the last entry of its delivery run; one commit
        instead of two per turn), as :meth:`release` would end it."""
        ...

    async def failed(self, entry: OutboxEntry, retry_at: dt.datetime) -> None:
        """Keep ``entry`` for a later attempt (429, 5xx, network), counted in ``attempts``;
        nothing of its chat is claimable before ``retry_at``."""
        ...

    async def drop(self, entry: OutboxEntry) -> None:
        """Give ``entry`` up (400: Telegram will never accept it)."""
        ...

    async def drop_chat(self, chat: str) -> int:
        """Give up every pending entry of ``chat`` (403: the user blocked the bot)."""
        ...

    async def release(self, owner: str, chats: Sequence[str]) -> None:
        """End ``owner``'s lease on ``chats`` (delivery of them stopped or finished)."""
        ...

    # -- the rest ----------------------------------------------------------------------

    async def recent_messages(self, pseudonym: str, now: dt.datetime) -> list[int]:
        """Ids of messages of the last 48 h in this chat, sent or received."""
        ...

    async def purge(self, now: dt.datetime) -> Purged:
        """Remove expired conversations, handled ids, outbox entries and message ids, so
        that nothing removed can be read back from the database files."""
        ...

    async def counters(self, since: dt.date) -> list[Counter]:
        """Anonymous counters from ``since`` on, by day, flow and outcome."""
        ...
