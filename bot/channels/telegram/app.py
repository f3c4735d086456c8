"""Build the python-telegram-bot ``Application``: one function for ``entraide run`` and tests.

What is wired here, and why:

- :class:`~.network.PatientRateLimiter`: global rate limits, 429 waits, 5xx/network retries.
- :class:`~.ordering.OrderedUpdateProcessor`: one user's updates in order, users in parallel.
- one ``TypeHandler`` for every update (:class:`~.handlers.TelegramChannel`), plus an error
  handler that logs types and frames only.
- ``post_init`` opens the SQLite store (an aiosqlite connection left open keeps the process
  alive, so it is opened and closed by the application's own lifecycle), purges expired
  conversations, registers the commands with their French descriptions, and starts the
  maintenance task (content edits every 30 s, purge every hour: a timer task, as the JobQueue
  extra is not installed); ``post_shutdown`` stops that task and closes the store.
- no PicklePersistence and no JobQueue: the state lives in our SQLite store, written in the
  same transaction as the handled update id.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import os
from typing import Any, Final

from telegram import BotCommand, Update
from telegram.error import TelegramError
from telegram.ext import Application, ApplicationBuilder, TypeHandler

from bot.content.bundle import Bundle
from bot.content.source import ContentSource
from bot.service import utcnow
from bot.storage.base import Store
from bot.storage.pseudonym import load_secret
from bot.storage.sqlite import SqliteStore
from bot.validation import validate

from .handlers import CHANNEL_COMMANDS, TelegramChannel
from .network import PatientRateLimiter
from .ordering import OrderedUpdateProcessor
from .redact import protect_logs
from .sender import Sender
from .settings import TelegramSettings
from .staff_alerts import StaffAlerts

log = logging.getLogger(__name__)

AnyApplication = Application[Any, Any, Any, Any, Any, Any]

ALLOWED_UPDATES: Final = ("message", "edited_message", "callback_query")
"""What we ask Telegram for; everything else is never even sent to us."""
CONTENT_CHECK_EVERY: Final = 30.0
"""Seconds between two looks at flows/ and knowledge/ for edits (valid edits go live)."""
PURGE_EVERY: Final = dt.timedelta(hours=1)
"""Expired conversations (``ENTRAIDE_RETENTION_DAYS``) go at start, then every hour."""


class Lifecycle:
    """``post_init`` / ``post_shutdown``: the store, the commands, and a maintenance task
    that applies valid content edits (:class:`ContentSource`) and purges expired data."""

    def __init__(self, channel: TelegramChannel, source: ContentSource) -> None:
        self.channel = channel
        self.source = source
        self.staff = StaffAlerts(channel.settings.admin_ids)
        self._maintenance: asyncio.Task[None] | None = None

    async def post_init(self, application: AnyApplication) -> None:
        self.channel.attach(Sender(application.bot))
        await self.channel.store.open()
        await self._purge()
        await self._register_commands(application)
        self._maintenance = asyncio.create_task(
            self._maintain(application), name="entraide:maintenance"
        )

    async def post_shutdown(self, application: AnyApplication) -> None:
        if self._maintenance is not None:
            self._maintenance.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._maintenance
            self._maintenance = None
        await self.channel.store.close()
        log.info("store closed")

    async def _register_commands(self, application: AnyApplication) -> None:
        """The ``/`` menu of Telegram's apps, described in French from interface.yaml."""
        commands = self.channel.bundle.interface.commands
        menu = [BotCommand(name, commands[name].description)
                for name in CHANNEL_COMMANDS if name in commands]
        try:
            await application.bot.set_my_commands(menu)
        except TelegramError as exc:  # the bot works without the menu; say so and go on
            log.warning("setMyCommands failed (%s); the command menu may be outdated",
                        type(exc).__name__)

    async def _maintain(self, application: AnyApplication) -> None:
        loop = asyncio.get_running_loop()
        next_purge = loop.time() + PURGE_EVERY.total_seconds()
        while True:
            await asyncio.sleep(CONTENT_CHECK_EVERY)
            await self._reload(application)
            if loop.time() >= next_purge:
                next_purge = loop.time() + PURGE_EVERY.total_seconds()
                await self._purge()

    async def _reload(self, application: AnyApplication) -> None:
        """Switch to edited content if it is entirely valid; a broken edit changes nothing
        (ContentSource logs its French problems once)."""
        try:
            reload = await asyncio.to_thread(self.source.reload_if_changed)
        except Exception as exc:
            log.error("content check failed: %s", type(exc).__name__)
            return
        if reload.applied:
            self.channel.conversations.bundle = self.source.bundle
            await self._register_commands(application)
        for alert in self.staff.after(reload, self.source.bundle):  # admins only
            await self.channel.sender.send(alert.chat_id, alert.messages)

    async def _purge(self) -> None:
        try:
            await self.channel.store.purge(utcnow())
        except Exception as exc:
            log.error("purge of expired conversations failed: %s", type(exc).__name__)


def build_application(
    settings: TelegramSettings, bundle: Bundle, *, store: Store | None = None
) -> AnyApplication:
    """The bot, ready for :class:`~.runner.Runtime` (polling or webhook)."""
    # python-telegram-bot 22 warns on every 429 (``RetryAfter``) until one opts in to the
    # timedelta durations of version 23; we read none of those values, so opt in.
    os.environ.setdefault("PTB_TIMEDELTA", "true")
    protect_logs(settings.token)
    bundle.warm_up()
    base = settings.base
    store = store or SqliteStore(base.db_path, base.retention)
    channel = TelegramChannel(settings, bundle, store, load_secret(base.db_path, base.secret))
    source = ContentSource(base.flows_dir, base.knowledge_dir, bundle, validate)
    lifecycle = Lifecycle(channel, source)
    builder = (
        ApplicationBuilder()
        .token(settings.token)
        .rate_limiter(PatientRateLimiter())
        .concurrent_updates(OrderedUpdateProcessor())
        .post_init(lifecycle.post_init)
        .post_shutdown(lifecycle.post_shutdown)
    )
    if settings.bot_url is not None and settings.file_url is not None:
        builder = builder.base_url(settings.bot_url).base_file_url(settings.file_url)
    application: AnyApplication = builder.build()
    application.add_handler(TypeHandler(Update, channel.on_update))
    application.add_error_handler(channel.on_error)
    return application
