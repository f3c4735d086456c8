"""``entraide run [--webhook]``: check everything, serve, and stop cleanly on SIGTERM.

Start: settings (clear message if the token is missing or malformed), then the content
(refused with the French problems of ``entraide check``), then the bot (``getMe`` proves
the token), the store, the command menu, and the update source: long polling, or our
webhook server plus ``setWebhook`` with a secret token.

Stop (SIGTERM or SIGINT): no new updates are taken; updates already received are handled
to the end (each turn's state is committed before its replies are sent); if that takes more
than :data:`DRAIN_TIMEOUT`, what is left is cancelled; then the store is closed and the
process exits. Heroku-like hosts kill 30 s after SIGTERM; we are done well before.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import signal
import sqlite3
import sys
import time
from typing import Final

from telegram.error import Conflict, InvalidToken, TelegramError

from bot.config import ConfigError, Settings
from bot.storage.base import StorageError
from bot.validation import load_or_report

from .app import ALLOWED_UPDATES, AnyApplication, build_application
from .ordering import OrderedUpdateProcessor
from .settings import TelegramSettings
from .webhook import WebhookServer

log = logging.getLogger(__name__)

DRAIN_TIMEOUT: Final = 20.0
"""Seconds given to updates in progress at shutdown."""
POLL_TIMEOUT: Final = dt.timedelta(seconds=10)
"""Long-polling wait: an update arrives at once; an idle bot asks six times a minute."""
BOOTSTRAP_RETRIES: Final = 3
MAX_WEBHOOK_CONNECTIONS: Final = 40
CONFLICT_LOG_EVERY: Final = 300.0


class Runtime:
    """Runs a built application in polling or webhook mode; ``start`` then ``stop``."""

    def __init__(
        self, application: AnyApplication, settings: TelegramSettings, *, webhook: bool
    ) -> None:
        self.application = application
        self.settings = settings
        self.webhook = webhook
        self.server: WebhookServer | None = None
        self._conflict_logged_at = -CONFLICT_LOG_EVERY
        self._initialized = False

    async def start(self) -> None:
        """Initialise, open the store, and start receiving updates."""
        app = self.application
        try:
            await app.initialize()
        except BaseException:
            await app.bot.shutdown()  # getMe failed: close the HTTP clients it opened
            raise
        self._initialized = True
        try:
            if app.post_init is not None:
                await app.post_init(app)
            await app.start()
            if self.webhook:
                await self._start_webhook()
            else:
                await self._start_polling()
        except BaseException:
            await self.stop()
            raise
        log.info("bot started (%s)", "webhook" if self.webhook else "polling")

    async def _start_polling(self) -> None:
        updater = self.application.updater
        assert updater is not None
        await updater.start_polling(
            timeout=POLL_TIMEOUT,
            bootstrap_retries=BOOTSTRAP_RETRIES,
            allowed_updates=list(ALLOWED_UPDATES),
            drop_pending_updates=False,
            error_callback=self._polling_error,
        )

    async def _start_webhook(self) -> None:
        settings = self.settings
        assert settings.webhook_url is not None
        self.server = WebhookServer(
            listen=settings.listen, port=settings.port, path=settings.webhook_path,
            secret=settings.webhook_secret, queue=self.application.update_queue,
            bot=self.application.bot,
        )
        await self.server.start()
        await self.application.bot.set_webhook(
            url=settings.webhook_url,
            secret_token=settings.webhook_secret,
            allowed_updates=list(ALLOWED_UPDATES),
            max_connections=MAX_WEBHOOK_CONNECTIONS,
            drop_pending_updates=False,
        )

    def _polling_error(self, error: TelegramError) -> None:
        """Polling keeps retrying by itself; we only keep the logs readable."""
        if isinstance(error, Conflict):
            now = time.monotonic()
            if now - self._conflict_logged_at >= CONFLICT_LOG_EVERY:
                self._conflict_logged_at = now
                log.error("another process is polling with this token (409 Conflict): run "
                          "one worker only; retrying")
            return
        log.warning("polling failed (%s); retrying", type(error).__name__)

    async def stop(self) -> None:
        """Stop taking updates, finish those in progress, close everything. Idempotent."""
        app = self.application
        if self.server is not None:
            await self.server.stop()
            self.server = None
        if app.updater is not None and app.updater.running:
            await app.updater.stop()
        if app.running:
            await self._drain()
            if app.post_stop is not None:
                await app.post_stop(app)
        if self._initialized:
            self._initialized = False
            await app.shutdown()
            if app.post_shutdown is not None:
                await app.post_shutdown(app)
        log.info("bot stopped")

    async def _drain(self) -> None:
        stopping = asyncio.ensure_future(self.application.stop())
        done, _ = await asyncio.wait({stopping}, timeout=DRAIN_TIMEOUT)
        if not done:
            processor = self.application.update_processor
            cancelled = (
                processor.cancel_all() if isinstance(processor, OrderedUpdateProcessor) else 0
            )
            log.error("shutdown: %d update(s) still in progress after %.1f s were cancelled",
                      cancelled, DRAIN_TIMEOUT)
        await stopping


async def serve(settings: TelegramSettings, webhook: bool, stop: asyncio.Event) -> int:
    """Load content, build, run until ``stop`` is set; the exit code."""
    result = load_or_report(settings.base)
    if result.bundle is None:
        sys.stderr.write("The bot does not start until the content above is fixed.\n")
        return 1
    runtime = Runtime(build_application(settings, result.bundle), settings, webhook=webhook)
    try:
        await runtime.start()
    except InvalidToken:
        sys.stderr.write("Telegram refused TELEGRAM_BOT_TOKEN (revoked or mistyped?): get the "
                         "current token from @BotFather.\n")
        return 2
    except TelegramError as exc:
        sys.stderr.write(f"Telegram could not be reached at start ({type(exc).__name__}); "
                         "check the network or TELEGRAM_API_BASE_URL, then start again.\n")
        return 1
    except (StorageError, sqlite3.Error, OSError) as exc:
        sys.stderr.write(f"The database {settings.base.db_path} cannot be used "
                         f"({type(exc).__name__}: {exc}); check ENTRAIDE_DB and the disk.\n")
        return 1
    await stop.wait()
    log.info("stop requested; finishing updates in progress")
    await runtime.stop()
    return 0


def run(settings: Settings, webhook: bool) -> int:
    """Entry point of ``entraide run``."""
    try:
        telegram_settings = TelegramSettings.from_env(settings, webhook=webhook)
    except ConfigError as exc:
        sys.stderr.write(f"Configuration error: {exc}\n")
        return 2

    async def main() -> int:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        return await serve(telegram_settings, webhook, stop)

    return asyncio.run(main())
