"""The HTTPS endpoint Telegram posts updates to (``entraide run --webhook``), and health.

Our own small tornado server rather than python-telegram-bot's, because that one compares
the secret with ``!=`` (not in constant time), answers 200 *before* the update is
handled, and logs raw update bodies (the users' messages) at DEBUG. Here:

- a request without the right ``X-Telegram-Bot-Api-Secret-Token`` gets 403, compared with
  :func:`hmac.compare_digest`; the header's value is never logged;
- **200 only once the update's turn is committed** (its replies are in the outbox); if it
  cannot be committed within :data:`COMMIT_WITHIN` seconds, or the database is
  unreachable, 503, and Telegram sends the update again (its id makes that harmless);
- a button press is answered *in* the 200 (``{"method": "answerCallbackQuery", …}``, which
  the Bot API accepts as a webhook reply): no extra call;
- ``GET /healthz``: 200 and the content version when the database answers, 503 otherwise;
  nothing else (no secret, no figure about users). ``GET /`` answers ``ok``.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import re
import time
from collections.abc import Callable
from types import TracebackType
from typing import Any, Final

import tornado.web
from telegram import Bot, Update
from tornado.httpserver import HTTPServer

from bot.storage.base import Store

from .handlers import Handled
from .ordering import Ordered

log = logging.getLogger(__name__)

SECRET_HEADER: Final = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header name
MAX_BODY: Final = 1 << 20
"""An update is a few kilobytes; a megabyte is plenty, and bounds what a stranger can send."""
COMMIT_WITHIN: Final = 25.0
"""Seconds to commit a turn before answering 503 (Telegram gives up on a request at 60 s)."""
REJECTION_LOG_EVERY: Final = 60.0
"""Seconds between two log lines about rejected requests (a scan must not flood the logs)."""


class _Rejections:
    """Counts requests refused for a bad secret and logs them at a bounded rate."""

    def __init__(self) -> None:
        self.count = 0
        self._logged_at = -REJECTION_LOG_EVERY

    def add(self) -> None:
        self.count += 1
        now = time.monotonic()
        if now - self._logged_at >= REJECTION_LOG_EVERY:
            self._logged_at = now
            log.warning("webhook request refused: missing or wrong secret (%d so far)", self.count)


class UpdateHandler(tornado.web.RequestHandler):
    """One POST, one update, one committed turn."""

    def initialize(
        self, secret: str, ordered: Ordered[Handled], bot: Bot, rejections: _Rejections
    ) -> None:
        self.secret = secret.encode()
        self.ordered = ordered
        self.bot = bot
        self.rejections = rejections

    def check_xsrf_cookie(self) -> None:
        """Telegram sends no cookies: the secret header is the authentication."""

    async def post(self) -> None:
        given = self.request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, self.secret):
            self.rejections.add()
            self.set_status(403)
            return
        try:
            data: Any = json.loads(self.request.body)
            if not isinstance(data, dict):
                raise ValueError("not an object")
            update = Update.de_json(data, self.bot)
        except Exception as exc:  # malformed JSON or an update PTB cannot read
            log.warning("webhook body refused (%s)", type(exc).__name__)
            self.set_status(400)
            return
        # The turn goes on if we stop waiting: a retry of the update then finds it done.
        turn = asyncio.ensure_future(self.ordered.run(update))
        done, _ = await asyncio.wait({turn}, timeout=COMMIT_WITHIN)
        if not done or not turn.result().committed:
            log.warning("update not committed in time; answered 503 so Telegram retries")
            self.set_status(503)
            return
        self.set_status(200)
        query = turn.result().query
        if query is not None:
            self.set_header("Content-Type", "application/json")
            self.write(json.dumps({"method": "answerCallbackQuery", "callback_query_id": query}))

    def get(self) -> None:
        _ok(self)

    def log_exception(
        self,
        typ: type[BaseException] | None,
        value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Tornado would log the request; we log the error's type only."""
        log.error("webhook handler error (%s)", typ.__name__ if typ else "?")


class RootHandler(tornado.web.RequestHandler):
    """``GET /`` for hosts that only check that something listens."""

    def get(self) -> None:
        _ok(self)


class HealthHandler(tornado.web.RequestHandler):
    """``GET /healthz``: the database answers (200 + content version) or not (503)."""

    def initialize(self, store: Store, version: Callable[[], str]) -> None:
        self.store = store
        self.version = version

    async def get(self) -> None:
        self.set_header("Content-Type", "text/plain")
        self.set_header("Cache-Control", "no-store")
        if await self.store.healthy():
            self.write(f"ok {self.version()}")
        else:
            self.set_status(503)
            self.write("database unavailable")


def _ok(handler: tornado.web.RequestHandler) -> None:
    handler.set_status(200)
    handler.set_header("Content-Type", "text/plain")
    handler.write("ok")


def _quiet(handler: tornado.web.RequestHandler) -> None:
    """No access log: it would only say that Telegram called."""


class WebhookServer:
    """Listens on ``listen:port`` and serves ``path``, ``/healthz`` and ``/``."""

    def __init__(
        self, *, listen: str, port: int, path: str, secret: str, ordered: Ordered[Handled],
        bot: Bot, store: Store, version: Callable[[], str],
    ) -> None:
        self.rejections = _Rejections()
        app = tornado.web.Application(
            [
                (re.escape(path), UpdateHandler,
                 {"secret": secret, "ordered": ordered, "bot": bot,
                  "rejections": self.rejections}),
                (r"/healthz", HealthHandler, {"store": store, "version": version}),
                (r"/", RootHandler),
            ],
            log_function=_quiet,
        )
        self._server = HTTPServer(app, max_body_size=MAX_BODY, idle_connection_timeout=60)
        self.listen, self.port = listen, port

    async def start(self) -> None:
        self._server.listen(self.port, address=self.listen)
        log.info("webhook server listening on port %d", self.port)

    async def stop(self) -> None:
        """Refuse new connections, then close the open ones."""
        self._server.stop()
        await self._server.close_all_connections()
