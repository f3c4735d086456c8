"""When the next message may go: Telegram's limits, kept by us rather than discovered by 429s.

Telegram asks bots for about one message per second in one chat (a short burst is
tolerated) and about thirty per second in all. Each limit is a GCRA bucket (the "virtual
scheduling" form of a token bucket): a chat may send :data:`CHAT_BURST` messages at once,
then one per :data:`CHAT_INTERVAL`; all chats together one per :data:`GLOBAL_INTERVAL`
after a burst of :data:`GLOBAL_BURST`.

:meth:`Pacer.reserve` books the chat's next slot and returns how long to wait for it; once
that wait is over, :meth:`Pacer.overall` books a global slot (at once, unless thirty
messages went in the last second). Booking in two steps keeps a chat waiting its turn from
holding global slots that other chats could use meanwhile. Pure
arithmetic on a monotonic clock: no task, no lock, no I/O. A 429 is not handled here: the
chat's entries are deferred in the store until ``retry_after`` (:mod:`.delivery`), and
only that chat waits.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

CHAT_BURST: Final = 3
CHAT_INTERVAL: Final = 1.0
GLOBAL_BURST: Final = 30
GLOBAL_INTERVAL: Final = 1 / 30
FORGET_ABOVE: Final = 10_000
"""Chats tracked before idle ones (whose bucket is full again) are forgotten."""


@dataclass
class Bucket:
    """One GCRA limit: ``burst`` at once, then one per ``interval`` seconds."""

    interval: float
    burst: int
    tat: float = 0.0
    """Theoretical arrival time: when the bucket is empty of debt."""

    def earliest(self, now: float) -> float:
        return max(now, self.tat - (self.burst - 1) * self.interval)

    def book(self, at: float) -> None:
        self.tat = max(self.tat, at) + self.interval


class Pacer:
    """Per-chat and global pacing for one process."""

    def __init__(
        self, *, chat_interval: float = CHAT_INTERVAL, chat_burst: int = CHAT_BURST,
        global_interval: float = GLOBAL_INTERVAL, global_burst: int = GLOBAL_BURST,
    ) -> None:
        self._chat = (chat_interval, chat_burst)
        self._global = Bucket(global_interval, global_burst)
        self._chats: dict[str, Bucket] = {}

    def reserve(self, chat: str, now: float) -> float:
        """Book the next message of ``chat``; the seconds to wait for the chat's limit."""
        bucket = self._chats.get(chat)
        if bucket is None:
            if len(self._chats) >= FORGET_ABOVE:
                self._forget_idle(now)
            bucket = self._chats[chat] = Bucket(*self._chat)
        at = bucket.earliest(now)
        bucket.book(at)
        return at - now

    def overall(self, now: float) -> float:
        """Book a slot of the global limit; the seconds to wait for it."""
        at = self._global.earliest(now)
        self._global.book(at)
        return at - now

    def _forget_idle(self, now: float) -> None:
        self._chats = {k: b for k, b in self._chats.items() if b.tat > now}
