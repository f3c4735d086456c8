"""What to do when Telegram does not accept an outbox entry, error by error.

=====================  ==========================================================
Telegram answers       What :mod:`.delivery` does
=====================  ==========================================================
429 ``retry_after``    that chat waits ``retry_after`` (stored: survives a crash);
                       other chats go on
5xx, network, timeout  retried after 0.5, 1, 2, 4… s (at most 60 s apart) for up to
                       :data:`GIVE_UP_AFTER` in all; then one ERROR line naming the
                       chat's pseudonym prefix and the method, and the entry is dropped
403                    the user blocked the bot: every pending entry of the chat is
                       dropped; the next message the user writes is answered again
400 HTML refused       sent again at once as plain text (the words matter more than bold)
400 other              logged once with Telegram's description; that entry is dropped,
                       the next one goes
=====================  ==========================================================

A timeout is retried like a 5xx although Telegram may have accepted the message before
the answer was lost: a rare double is better than a lost crisis answer.
"""

from __future__ import annotations

import enum
from typing import Final

from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError

BACKOFF_FIRST: Final = 0.5
BACKOFF_LONGEST: Final = 60.0
GIVE_UP_AFTER: Final = 600.0
"""Seconds of backoff, in all, before a 5xx/network failure gives the entry up."""


class Verdict(enum.Enum):
    WAIT = "429"
    BACKOFF = "5xx/network"
    BLOCKED = "403"
    HTML_REFUSED = "400 html"
    REFUSED = "400"


def judge(error: TelegramError) -> Verdict:
    """The rule that applies to ``error``."""
    if isinstance(error, RetryAfter):
        return Verdict.WAIT
    if isinstance(error, Forbidden):
        return Verdict.BLOCKED
    if isinstance(error, BadRequest):
        if "can't parse entities" in error.message.lower():
            return Verdict.HTML_REFUSED
        return Verdict.REFUSED
    return Verdict.BACKOFF  # NetworkError, TimedOut, 5xx, and anything unforeseen


def retry_after(error: TelegramError) -> float:
    """Seconds Telegram asked us to wait (429), else 0."""
    if isinstance(error, RetryAfter):
        wait = error.retry_after
        return float(wait.total_seconds() if hasattr(wait, "total_seconds") else wait)
    return 0.0


def backoff(failures: int, budget: float = GIVE_UP_AFTER) -> float | None:
    """The wait after the ``failures``-th failed attempt of an entry (1, 2, ...), or None
    once the waits would exceed ``budget`` seconds in all: give the entry up."""
    delays = [min(BACKOFF_FIRST * 2**n, BACKOFF_LONGEST) for n in range(max(failures, 1))]
    return delays[-1] if sum(delays) <= budget else None
