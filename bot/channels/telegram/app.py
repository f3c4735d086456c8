"""Build the Telegram bot: one function for ``entraide run`` and the tests.

What is wired here, and why:

- a python-telegram-bot :class:`~telegram.Bot` for the Bot API calls (no ``Application``:
  updates come from our own :mod:`.polling` or :mod:`.webhook`, which confirm an update to
  Telegram only once its turn is committed, something PTB's ``Updater`` cannot promise;
  no ``AIORateLimiter``: :mod:`.delivery` paces and retries, chat by chat);
- :class:`~.handlers.TelegramChannel`: every update to one committed turn;
- :class:`~.delivery.Delivery`: the outbox worker;
- :class:`Lifecycle`: opens the store, purges expired data, delivers what is pending, and
  runs the maintenance task (the command menu first, then content edits every 30 s with
  the operators' alerts, purge every hour); closes everything at the end;
- :func:`make_bot`: PTB's two HTTP clients, sharing one TLS context.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import os
from dataclasses import dataclass
from typing import Final

import httpx
from telegram import Bot, BotCommand
from telegram.error import TelegramError
from telegram.request import HTTPXRequest

from bot.content.bundle import Bundle
from bot.content.source import ContentSource
from bot.service import utcnow
from bot.storage.base import Store
from bot.storage.factory import create_store, pseudonym_secret
from bot.validation import validate

from .delivery import Delivery
from .handlers import CHANNEL_COMMANDS, TelegramChannel
from .pacing import Pacer
from .redact import protect_logs
from .settings import TelegramSettings
from .staff_alerts import StaffAlerts

log = logging.getLogger(__name__)

ALLOWED_UPDATES: Final = ("message", "edited_message", "callback_query")
"""What we ask Telegram for; everything else is never even sent to us."""
CONTENT_CHECK_EVERY: Final = 30.0
"""Seconds between two looks at flows/ and knowledge/ for edits (valid edits go live)."""
PURGE_EVERY: Final = dt.timedelta(hours=1)
"""Expired conversations (``ENTRAIDE_RETENTION_DAYS``) go at start, then every hour."""


class Lifecycle:
    """Start and end of the process around the channel: store, commands, delivery, and a
    maintenance task that applies valid content edits (:class:`ContentSource`), tells the
    operators about refused ones, and purges expired data."""

    def __init__(self, channel: TelegramChannel, source: ContentSource, bot: Bot) -> None:
        self.channel = channel
        self.source = source
        self.bot = bot
        self.staff = StaffAlerts(channel.settings.admin_ids)
        self.pacer: Pacer | None = None
        """Telegram's limits by default; a test that is not about pacing may set a faster one."""
        self._maintenance: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """After ``getMe``: everything up to (not including) taking updates."""
        await self.channel.store.open()
        await self._purge()  # expired data is gone before anyone is served
        delivery = Delivery(self.channel.store, self.bot, self.channel.sealer, pacer=self.pacer)
        self.channel.attach(delivery)
        await delivery.start()  # pending replies go before any new update is fetched
        self._maintenance = asyncio.create_task(self._maintain(), name="entraide:maintenance")

    async def stop(self, drain: float) -> None:
        """Deliver what can be within ``drain`` seconds, then close the store."""
        if self._maintenance is not None:
            self._maintenance.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._maintenance
            self._maintenance = None
        with contextlib.suppress(RuntimeError):  # never attached: the start failed early
            await self.channel.delivery.stop(drain)
        await self.channel.store.close()
        log.info("store closed")

    async def _register_commands(self) -> None:
        """The ``/`` menu of Telegram's apps, described in French from interface.yaml."""
        commands = self.channel.bundle.interface.commands
        menu = [BotCommand(name, commands[name].description)
                for name in CHANNEL_COMMANDS if name in commands]
        try:
            await self.bot.set_my_commands(menu)
        except TelegramError as exc:  # the bot works without the menu; say so and go on
            log.warning("setMyCommands failed (%s); the command menu may be outdated",
                        type(exc).__name__)

    async def _maintain(self) -> None:
        # The command menu is not needed to answer anyone: registered while the first
        # updates are fetched rather than before (one Bot API round trip off the start).
        await self._register_commands()
        loop = asyncio.get_running_loop()
        next_purge = loop.time() + PURGE_EVERY.total_seconds()
        while True:
            await asyncio.sleep(CONTENT_CHECK_EVERY)
            await self.reload()
            if loop.time() >= next_purge:
                next_purge = loop.time() + PURGE_EVERY.total_seconds()
                await self._purge()

    async def reload(self) -> None:
        """Switch to edited content if it is entirely valid; a broken edit changes nothing
        (ContentSource logs its French problems once) and the operators are told, through
        the outbox like every other message."""
        try:
            reload = await asyncio.to_thread(self.source.reload_if_changed)
        except Exception as exc:
            log.error("content check failed: %s", type(exc).__name__)
            return
        if reload.applied:
            self.channel.conversations.bundle = self.source.bundle
            await self._register_commands()
        for alert in self.staff.after(reload, self.source.bundle):  # admins only
            try:
                await self.channel.tell(alert.chat_id, alert.messages)
            except Exception as exc:
                log.error("content alert not queued: %s", type(exc).__name__)

    async def _purge(self) -> None:
        try:
            await self.channel.store.purge(utcnow())
        except Exception as exc:
            log.error("purge of expired conversations failed: %s", type(exc).__name__)


@dataclass(frozen=True)
class TelegramBot:
    """The assembled bot, ready for :class:`~.runner.Runtime` (polling or webhook)."""

    bot: Bot
    channel: TelegramChannel
    lifecycle: Lifecycle


def build_bot(
    settings: TelegramSettings, bundle: Bundle, *, store: Store | None = None
) -> TelegramBot:
    """Everything ``entraide run`` runs, not started."""
    # python-telegram-bot 22 warns on every 429 (``RetryAfter``) until one opts in to the
    # timedelta durations of version 23; :mod:`.failures` reads either form.
    os.environ.setdefault("PTB_TIMEDELTA", "true")
    protect_logs(settings.token)
    bundle.warm_up()
    base = settings.base
    store = store or create_store(base)
    channel = TelegramChannel(settings, bundle, store, pseudonym_secret(base))
    source = ContentSource(base.flows_dir, base.knowledge_dir, bundle, validate)
    bot = make_bot(settings)
    return TelegramBot(bot, channel, Lifecycle(channel, source, bot))


def make_bot(settings: TelegramSettings) -> Bot:
    """python-telegram-bot's :class:`~telegram.Bot` with its two HTTP clients (updates, and
    everything else) as it builds them by default, except that they share one TLS context:
    loading the certificate authorities is the dearest step of a start (about 25 ms each,
    twice by default), and both clients verify Telegram's certificate the same way."""
    tls = {"verify": httpx.create_ssl_context()}
    request = HTTPXRequest(httpx_kwargs=tls)
    updates = HTTPXRequest(connection_pool_size=1, httpx_kwargs=tls)
    if settings.bot_url is not None and settings.file_url is not None:
        return Bot(settings.token, base_url=settings.bot_url, base_file_url=settings.file_url,
                   request=request, get_updates_request=updates)
    return Bot(settings.token, request=request, get_updates_request=updates)
