"""From a Telegram update to an engine turn and back: the whole channel logic.

One entry point, :meth:`TelegramChannel.on_update`, for every update, so that every
update gets exactly one well-defined treatment and nothing is silently dropped:

=====================================  ===============================================
Update                                 What happens
=====================================  ===============================================
text in a private chat                 ``/start x`` → Start(x); known ``/command`` →
                                       Command; unknown ones → the engine's "unknown
                                       command"; other text (or a caption) → Text
button press                           answered first (always), then Press(data)
sticker, photo, voice... (no caption)  a polite line (``texte_seulement``)
edited message                         a polite line (``message_modifie``)
anything in a group or channel         ``prive_seulement`` once per group, then silence
``/stats``, ``/version`` from an admin   the operator's figures (:mod:`.admin`)
anything else                          silence
=====================================  ===============================================

Turns go through :class:`bot.service.Conversations` with the update id, so a re-delivered
update is answered once. Message ids, incoming and sent, are remembered for ``/effacer``
(not after ``/oubli``: once forgotten, nothing about the person is stored again).

``/effacer`` (Action.ERASE_CHAT) deletes every remembered message younger than 48 h, then
*also forgets the stored conversation*: someone checking the phone afterwards must not be
able to type ``/retour`` or press an old button and land on what the person was reading.
The explanation is then produced by a fresh conversation, so its buttons lead nowhere back.
Showing that screen again (``/retour`` there, a stale button) erases again, which keeps what
it says true.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Sequence
from typing import Any, Final

from telegram import CallbackQuery, Chat, Message, Update
from telegram.constants import ChatType

from bot.content.bundle import Bundle
from bot.content.keys import COMMANDS
from bot.engine.events import Command, Event, Press, Start, Text
from bot.engine.replies import Action
from bot.engine.replies import Message as Reply
from bot.service import Conversations
from bot.storage.base import Store

from . import admin
from .render import Outgoing, render_replies
from .sender import Sender
from .settings import TelegramSettings

log = logging.getLogger(__name__)

CHANNEL: Final = "telegram"
GROUP_CHANNEL: Final = "telegram-group"
CHANNEL_COMMANDS: Final = tuple(c for c in COMMANDS if c != "quitter")
"""``/quitter`` ends a console session; on Telegram one just stops writing."""
UNKNOWN_COMMAND: Final = "?"
"""Passed to the engine for commands it must not act on: it answers "unknown command"."""
ERASE_COMMAND: Final = "effacer"
MAX_TEXT: Final = 4096
"""Telegram's own limit on what a user can send; anything longer is cut before the engine."""
MAX_PAYLOAD: Final = 64
"""Deep-link payloads are at most 64 characters."""
GROUPS_REMEMBERED: Final = 10_000
"""Groups told "private only", kept in memory (never stored); forgotten in bulk if full."""


def parse_command(text: str) -> tuple[str, str] | None:
    """``"/Menu@bot extra"`` → ``("menu", "extra")``; None when it is not a command."""
    if not text.startswith("/"):
        return None
    head, _, rest = text[1:].partition(" ")
    head, _, rest2 = head.partition("\n")
    name = head.split("@", 1)[0].strip().lower()
    return name, (rest or rest2).strip()


def event_for_text(text: str) -> Event:
    """What a typed message means to the engine."""
    command = parse_command(text)
    if command is None:
        return Text(text[:MAX_TEXT])
    name, argument = command
    if name == "start":
        return Start(argument[:MAX_PAYLOAD] or None)
    if name in CHANNEL_COMMANDS:
        return Command(name)
    return Command(UNKNOWN_COMMAND)


def _kind(update: Update) -> str:
    """The update's type, for logs (never its content)."""
    for kind in ("callback_query", "message", "edited_message"):
        if getattr(update, kind) is not None:
            return kind
    return "other"


class TelegramChannel:
    """Turns updates into engine events and engine replies into Telegram messages."""

    def __init__(
        self, settings: TelegramSettings, bundle: Bundle, store: Store, secret: bytes
    ) -> None:
        self.settings = settings
        self.store = store
        self.conversations = Conversations(bundle, store, secret)
        self._sender: Sender | None = None
        self._groups_told: set[str] = set()

    @property
    def bundle(self) -> Bundle:
        return self.conversations.bundle

    @property
    def sender(self) -> Sender:
        if self._sender is None:
            raise RuntimeError("the channel is not attached to a bot")
        return self._sender

    def attach(self, sender: Sender) -> None:
        """Give the channel its way out (done once the bot is initialised)."""
        self._sender = sender

    # -- entry points ----------------------------------------------------------

    async def on_update(self, update: Update, context: Any) -> None:
        """Handle any update; an unexpected failure is logged and the user still hears back."""
        try:
            await self._dispatch(update)
        except Exception as exc:
            frames = "".join(traceback.format_tb(exc.__traceback__))
            log.error("%s update failed: %s\n%s", _kind(update), type(exc).__name__, frames)
            await self._apologise(update)

    async def on_error(self, update: object, context: Any) -> None:
        """Errors python-telegram-bot caught outside :meth:`on_update`; type and frames only."""
        error = getattr(context, "error", None)
        if error is not None:
            frames = "".join(traceback.format_tb(error.__traceback__))
            log.error("unhandled error: %s\n%s", type(error).__name__, frames)

    async def _dispatch(self, update: Update) -> None:
        if update.callback_query is not None:
            await self._on_press(update, update.callback_query)
        elif update.message is not None:
            await self._on_message(update, update.message)
        elif update.edited_message is not None:
            await self._on_edited(update.edited_message)
        else:
            log.debug("update of another type ignored")

    # -- messages ----------------------------------------------------------------

    async def _on_message(self, update: Update, message: Message) -> None:
        chat = message.chat
        if chat.type != ChatType.PRIVATE:
            await self._tell_group_once(chat)
            return
        user = message.from_user
        if user is None or user.is_bot:
            return
        pseudo = self.conversations.user(CHANNEL, user.id)
        incoming = [message.message_id]
        text = message.text if message.text is not None else message.caption
        if text is None:
            if message.effective_attachment is not None:
                await self._say(chat.id, pseudo, "texte_seulement", incoming)
            return
        command = parse_command(text)
        if (
            command is not None
            and command[0] in admin.ADMIN_COMMANDS
            and user.id in self.settings.admin_ids
        ):
            await self._admin(chat.id, pseudo, command[0], incoming)
            return
        await self._turn(chat.id, pseudo, event_for_text(text), update.update_id, incoming)

    async def _on_press(self, update: Update, query: CallbackQuery) -> None:
        await self.sender.answer(query.id)
        message = query.message
        if message is None or message.chat.type != ChatType.PRIVATE:
            return
        pseudo = self.conversations.user(CHANNEL, query.from_user.id)
        await self._turn(message.chat.id, pseudo, Press(query.data or ""), update.update_id, [])

    async def _on_edited(self, message: Message) -> None:
        if message.chat.type != ChatType.PRIVATE or message.from_user is None:
            return
        pseudo = self.conversations.user(CHANNEL, message.from_user.id)
        await self._say(message.chat.id, pseudo, "message_modifie", [])

    async def _tell_group_once(self, chat: Chat) -> None:
        """Say "private chats only" once per group; the group is known by a pseudonym only."""
        if chat.type == ChatType.CHANNEL:
            return
        key = self.conversations.user(GROUP_CHANNEL, chat.id)
        if key in self._groups_told:
            return
        if len(self._groups_told) >= GROUPS_REMEMBERED:
            self._groups_told.clear()
        self._groups_told.add(key)
        log.info("message from a group: told once that only private chats are answered")
        await self.sender.send(chat.id, self._line("prive_seulement"))

    # -- turns -------------------------------------------------------------------

    async def _turn(
        self, chat_id: int, pseudo: str, event: Event, update_id: int, incoming: list[int]
    ) -> None:
        turn = await self.conversations.handle(
            pseudo, event, update_id=update_id, never_silent=True  # e.g. typed "au revoir"
        )
        if turn.duplicate:
            return
        if Action.ERASE_CHAT in turn.actions:
            await self._erase(chat_id, turn.erase, incoming)
            incoming = []
        delivery = await self.sender.send(chat_id, render_replies(turn.replies))
        if Action.FORGET not in turn.actions:  # after /oubli, keep nothing at all
            await self._remember(pseudo, [*incoming, *delivery.sent_ids])
        log.debug("turn %s for %s: %d message(s) sent", type(event).__name__, pseudo[:8],
                  len(delivery.sent_ids))

    async def _erase(self, chat_id: int, ids: Sequence[int], incoming: Sequence[int]) -> None:
        """Delete what Telegram lets us delete (the service already forgot the conversation)."""
        batches = await self.sender.delete(chat_id, [*ids, *incoming])
        log.info("chat erased on request: %d message(s) in %d batch(es)",
                 len(ids) + len(incoming), batches)

    async def _say(self, chat_id: int, pseudo: str, key: str, incoming: list[int]) -> None:
        """One interface line, outside any turn (the conversation does not move)."""
        delivery = await self.sender.send(chat_id, self._line(key))
        await self._remember(pseudo, [*incoming, *delivery.sent_ids])

    def _line(self, key: str) -> list[Outgoing]:
        return render_replies([Reply(text=self.bundle.message(key))])

    async def _admin(self, chat_id: int, pseudo: str, name: str, incoming: list[int]) -> None:
        now = self.conversations.clock()
        if name == "version":
            out = admin.version(self.bundle)
        else:
            counters = await self.store.counters(admin.stats_since(now.date()))
            out = admin.stats(self.bundle, counters, now.date())
        delivery = await self.sender.send(chat_id, out)
        await self._remember(pseudo, [*incoming, *delivery.sent_ids])
        log.info("admin command /%s answered", name)

    async def _remember(self, pseudo: str, ids: Sequence[int]) -> None:
        """Keep message ids for ``/effacer``; a failure here must not cost the user a reply."""
        try:
            await self.conversations.remember(pseudo, ids)
        except Exception as exc:
            log.error("could not remember message ids: %s", type(exc).__name__)

    async def _apologise(self, update: Update) -> None:
        """After an unexpected failure: the engine's error text, which gives crisis numbers."""
        try:
            if update.callback_query is not None:
                await self.sender.answer(update.callback_query.id)
            chat = update.effective_chat
            if chat is not None and chat.type == ChatType.PRIVATE:
                await self.sender.send(chat.id, self._line("erreur"))
        except Exception as exc:
            log.error("could not apologise after a failure: %s", type(exc).__name__)
