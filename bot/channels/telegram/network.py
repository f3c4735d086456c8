"""Outgoing calls within Telegram's limits, and patient with its hiccups.

python-telegram-bot's ``AIORateLimiter`` keeps the global rate (30 messages/s, 20/min per
group) and, on a 429, halts *all* calls for ``retry_after`` seconds then retries; its
``max_retries`` defaults to 0, so we set it. It does not retry server errors (5xx) or
network failures: :class:`PatientRateLimiter` adds that, with a short backoff, for every
Bot API method except ``getUpdates`` (the updater has its own loop).

Never retried: 400 (our request is wrong: retrying cannot help), 403 (the user blocked the
bot), 401/404 (bad token). A retried send may, rarely, duplicate a message whose answer
was lost; for people looking for help a duplicate is better than silence.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine, Sequence
from typing import Any, Final

from telegram.error import BadRequest, NetworkError
from telegram.ext import AIORateLimiter

log = logging.getLogger(__name__)

RETRY_AFTER_RETRIES: Final = 3
"""Attempts after a 429; each waits the ``retry_after`` Telegram asked for."""
NETWORK_BACKOFF: Final = (0.5, 1.0, 2.0, 4.0)
"""Waits between attempts after a 5xx or a network error (7.5 s in all, then give up)."""

JSONish = bool | dict[str, Any] | list[dict[str, Any]]


class PatientRateLimiter(AIORateLimiter):
    """``AIORateLimiter`` with 429 retries switched on, plus retries on 5xx/network errors."""

    def __init__(
        self,
        *,
        max_retries: int = RETRY_AFTER_RETRIES,
        backoff: Sequence[float] = NETWORK_BACKOFF,
    ) -> None:
        super().__init__(max_retries=max_retries)
        self.backoff = tuple(backoff)

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, JSONish]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> JSONish:
        for attempt, delay in enumerate((*self.backoff, None)):
            try:
                return await super().process_request(
                    callback, args, kwargs, endpoint, data, rate_limit_args
                )
            except BadRequest:
                raise
            except NetworkError as exc:  # 5xx, 502 from the proxy, timeouts, connection errors
                if delay is None:
                    log.warning("%s failed %d times (%s); giving up", endpoint, attempt + 1,
                                type(exc).__name__)
                    raise
                log.info("%s failed (%s); retrying in %.1f s", endpoint, type(exc).__name__, delay)
                await asyncio.sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover
