"""``entraide run [--webhook]``: check everything, serve, and stop cleanly on SIGTERM.

Start: settings (clear message if the token is missing or malformed), then the content
(refused with the French problems of ``entraide check``), then the bot (``getMe`` proves
the token), the store, the replies still pending in the outbox, and only then the update
source: long polling (:mod:`.polling`), or our webhook server plus ``setWebhook`` with a
secret token. The command menu is registered meanwhile (nobody needs it to be answered);
the webhook server is imported only in webhook mode.

Stop (SIGTERM or SIGINT): no new updates are taken; updates already received are committed;
pending replies are delivered while time remains (what is left stays in the outbox for the
next start); then the store is closed and the process exits, all within
:data:`DRAIN_TIMEOUT`. Heroku-like hosts kill 30 s after SIGTERM; we are done well before.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
import time
from typing import TYPE_CHECKING, Final

from telegram.error import InvalidToken, TelegramError

from bot.config import ConfigError, Settings
from bot.storage.base import StorageError
from bot.validation import load_or_report

from .app import ALLOWED_UPDATES, TelegramBot, build_bot
from .delivery import call_api
from .handlers import Handled
from .ordering import Ordered
from .polling import Poller
from .settings import TelegramSettings

if TYPE_CHECKING:  # imported when webhook mode starts: polling never loads tornado
    from .webhook import WebhookServer

log = logging.getLogger(__name__)

DRAIN_TIMEOUT: Final = 20.0
"""Seconds given to updates in progress, then to pending replies, at shutdown."""
MAX_WEBHOOK_CONNECTIONS: Final = 40


class Runtime:
    """Runs an assembled bot in polling or webhook mode; ``start`` then ``stop``."""

    def __init__(
        self, assembled: TelegramBot, settings: TelegramSettings, *, webhook: bool
    ) -> None:
        self.assembled = assembled
        self.settings = settings
        self.webhook = webhook
        self.ordered: Ordered[Handled] = Ordered(assembled.channel.on_update)
        self.server: WebhookServer | None = None
        self.poller: Poller | None = None
        self._initialized = False

    async def start(self) -> None:
        """``getMe``, the store, pending replies, then updates."""
        bot = self.assembled.bot
        try:
            await bot.initialize()
        except BaseException:
            await bot.shutdown()  # getMe failed: close the HTTP clients it opened
            raise
        self._initialized = True
        try:
            await self.assembled.lifecycle.start()
            if self.webhook:
                await self._start_webhook()
            else:
                self.poller = Poller(bot, self.ordered, allowed_updates=ALLOWED_UPDATES,
                                     answer=self._answer)
                await self.poller.start()
        except BaseException:
            await self.stop()
            raise
        channel = self.assembled.channel
        log.info("bot started: mode %s, store %s, content version %s",
                 "webhook" if self.webhook else "polling", channel.store.describe(),
                 channel.conversations.bundle.version)

    async def _answer(self, query_id: str) -> None:
        """Stop a button's spinner; a failure (query too old, redelivered) changes nothing."""
        try:
            await call_api(self.assembled.bot, "answerCallbackQuery",
                           {"callback_query_id": query_id})
        except TelegramError as exc:
            log.info("answerCallbackQuery failed (%s)", type(exc).__name__)

    async def _start_webhook(self) -> None:
        from .webhook import WebhookServer

        settings = self.settings
        assert settings.webhook_url is not None
        channel = self.assembled.channel
        self.server = WebhookServer(
            listen=settings.listen, port=settings.port, path=settings.webhook_path,
            secret=settings.webhook_secret, ordered=self.ordered, bot=self.assembled.bot,
            store=channel.store, version=lambda: channel.bundle.version,
        )
        await self.server.start()
        await self.assembled.bot.set_webhook(
            url=settings.webhook_url,
            secret_token=settings.webhook_secret,
            allowed_updates=list(ALLOWED_UPDATES),
            max_connections=MAX_WEBHOOK_CONNECTIONS,
            drop_pending_updates=False,
        )

    async def stop(self) -> None:
        """Stop taking updates, finish those in progress, deliver what can be, close.
        Idempotent."""
        if self.server is not None:
            await self.server.stop()
            self.server = None
        if self.poller is not None:
            await self.poller.stop()
            self.poller = None
        started = time.monotonic()
        try:
            async with asyncio.timeout(DRAIN_TIMEOUT / 2):
                await self.ordered.idle()
        except TimeoutError:
            log.error("shutdown: updates still in progress after %.1f s were abandoned "
                      "(uncommitted, Telegram sends them again)", DRAIN_TIMEOUT / 2)
        if self._initialized:
            self._initialized = False
            left = max(DRAIN_TIMEOUT - (time.monotonic() - started), 1.0)
            await self.assembled.lifecycle.stop(drain=left)
            await self.assembled.bot.shutdown()
        log.info("bot stopped")


async def serve(settings: TelegramSettings, webhook: bool, stop: asyncio.Event) -> int:
    """Load content, build, run until ``stop`` is set; the exit code."""
    result = load_or_report(settings.base)
    if result.bundle is None:
        sys.stderr.write("The bot does not start until the content above is fixed.\n")
        return 1
    runtime = Runtime(build_bot(settings, result.bundle), settings, webhook=webhook)
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
    except (StorageError, OSError) as exc:
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
