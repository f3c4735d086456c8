"""From a Telegram update to a committed turn: the whole channel logic.

One entry point, :meth:`TelegramChannel.on_update`, for every update, and **one dedupe
path**: every update, whatever its type, goes through the store's turn with its update
id (:meth:`Conversations.handle`, or :meth:`Conversations.claim` when there is no engine
event), so a re-delivered update is processed once. Nothing here sends: what the user
must read is rendered and queued in that same transaction (:class:`Outbox`), and
:mod:`.delivery` sends it.

=====================================  ===============================================
Update                                 What is queued
=====================================  ===============================================
text in a private chat                 ``/start x`` → Start(x); known ``/command`` →
                                       Command; unknown ones → the engine's "unknown
                                       command"; other text (or a caption) → Text
button press                           Press(data); the press is answered (spinner)
                                       after the commit, see :class:`Handled`
sticker, photo, voice... (no caption)  a polite line (``texte_seulement``)
edited message                         a polite line (``message_modifie``)
anything in a group                    ``prive_seulement`` once per group, then nothing
``/stats``, ``/version`` from an admin   the operator's figures (:mod:`.admin`)
anything else                          nothing (the update id is still claimed)
=====================================  ===============================================

``/effacer``: the service forgets the conversation and starts a fresh one on the
quick-exit screen in one transaction; :class:`Outbox` queues the ``deleteMessages``
batches (the remembered ids and the update's own message) before that screen.
``/oubli``: the service erases everything; the confirmation is queued after the erasure
and its message id is not remembered.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from telegram import Bot, CallbackQuery, Message, Update
from telegram.constants import ChatType

from bot.content.bundle import Bundle
from bot.content.keys import COMMANDS
from bot.engine.events import Command, Event, Press, Start, Text
from bot.engine.replies import Action
from bot.engine.replies import Message as Reply
from bot.service import Conversations, Turn
from bot.storage.base import StorageUnavailable, Store

from . import admin, payload
from .address import Sealer
from .delivery import Delivery, call_api
from .render import Outgoing, render_replies
from .settings import TelegramSettings

log = logging.getLogger(__name__)

CHANNEL: Final = "telegram"
GROUP_CHANNEL: Final = "telegram-group"
OTHER: Final = "updates-of-nobody"
"""Pseudonym key for updates that belong to no user (their ids are claimed all the same)."""
CHANNEL_COMMANDS: Final = tuple(c for c in COMMANDS if c != "quitter")
"""``/quitter`` ends a console session; on Telegram one just stops writing."""
UNKNOWN_COMMAND: Final = "?"
"""Passed to the engine for commands it must not act on: it answers "unknown command"."""
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


@dataclass(frozen=True)
class Handled:
    """What became of one update.

    ``committed``: its turn is in the database (the update source may confirm it to
    Telegram); False only when the database could not be reached, so Telegram must
    deliver it again. ``query``: a button press to answer (stop its spinner): by the
    poller with one call, by the webhook in its HTTP answer, at no extra call.
    """

    committed: bool
    query: str | None = None


@dataclass(frozen=True)
class Outbox:
    """The :class:`bot.service.Recipient` of one chat: its sealed address, and the turn
    rendered as outbox payloads (deletions first on ``/effacer``, then one message per
    screen)."""

    address: str

    def render(self, turn: Turn) -> Sequence[str]:
        deletions = payload.deletions(turn.erase) if turn.erase else []
        return [*deletions, *(payload.message(o) for o in render_replies(turn.replies))]


class TelegramChannel:
    """Turns updates into committed turns; :attr:`delivery` sends what they queued."""

    def __init__(
        self, settings: TelegramSettings, bundle: Bundle, store: Store, secret: bytes
    ) -> None:
        self.settings = settings
        self.store = store
        self.conversations = Conversations(bundle, store, secret)
        self.sealer = Sealer(secret)
        self._delivery: Delivery | None = None
        self._groups_told: set[str] = set()

    @property
    def bundle(self) -> Bundle:
        return self.conversations.bundle

    @property
    def delivery(self) -> Delivery:
        if self._delivery is None:
            raise RuntimeError("the channel is not attached to a bot")
        return self._delivery

    @property
    def bot(self) -> Bot:
        return self.delivery.bot

    def attach(self, delivery: Delivery) -> None:
        """Give the channel its way out (done once the bot is initialised)."""
        self._delivery = delivery

    # -- entry point -------------------------------------------------------------

    async def on_update(self, update: Update) -> Handled:
        """Handle any update; an unexpected failure is logged and the user still hears back."""
        query = update.callback_query.id if update.callback_query is not None else None
        try:
            queued = await self._dispatch(update)
        except StorageUnavailable as exc:
            log.warning("%s update not committed (%s); Telegram will send it again",
                        _kind(update), type(exc).__name__)
            return Handled(False, query)
        except Exception as exc:
            frames = "".join(traceback.format_tb(exc.__traceback__))
            log.error("%s update failed: %s\n%s", _kind(update), type(exc).__name__, frames)
            await self._apologise(update)
            return Handled(True, query)
        if queued:
            self.delivery.wake()
        return Handled(True, query)

    async def _dispatch(self, update: Update) -> bool:
        """Commit the update's turn; whether anything was queued."""
        if update.callback_query is not None:
            return await self._on_press(update, update.callback_query)
        if update.message is not None:
            return await self._on_message(update, update.message)
        if update.edited_message is not None:
            return await self._on_edited(update, update.edited_message)
        await self.conversations.claim(self._nobody(update), update.update_id)
        return False

    def _nobody(self, update: Update) -> str:
        """The pseudonym an update with no conversation is claimed under."""
        user = update.effective_user
        return self.conversations.user(CHANNEL, user.id if user is not None else OTHER)

    # -- messages ----------------------------------------------------------------

    async def _on_message(self, update: Update, message: Message) -> bool:
        chat = message.chat
        if chat.type != ChatType.PRIVATE:
            return await self._group(update, message)
        user = message.from_user
        if user is None or user.is_bot:
            await self.conversations.claim(self._nobody(update), update.update_id)
            return False
        pseudo = self.conversations.user(CHANNEL, user.id)
        incoming = [message.message_id]
        text = message.text if message.text is not None else message.caption
        if text is None:
            lines = self._line("texte_seulement") if message.effective_attachment else []
            return await self._say(update, pseudo, chat.id, lines, incoming)
        command = parse_command(text)
        if (
            command is not None
            and command[0] in admin.ADMIN_COMMANDS
            and user.id in self.settings.admin_ids
        ):
            return await self._say(update, pseudo, chat.id,
                                   await self._admin(command[0]), incoming)
        return await self._turn(update, pseudo, chat.id, event_for_text(text), incoming)

    async def _on_press(self, update: Update, query: CallbackQuery) -> bool:
        message = query.message
        pseudo = self.conversations.user(CHANNEL, query.from_user.id)
        if message is None or message.chat.type != ChatType.PRIVATE:
            await self.conversations.claim(pseudo, update.update_id)
            return False
        return await self._turn(update, pseudo, message.chat.id, Press(query.data or ""), [])

    async def _on_edited(self, update: Update, message: Message) -> bool:
        if message.chat.type != ChatType.PRIVATE or message.from_user is None:
            await self.conversations.claim(self._nobody(update), update.update_id)
            return False
        pseudo = self.conversations.user(CHANNEL, message.from_user.id)
        return await self._say(update, pseudo, message.chat.id, self._line("message_modifie"))

    async def _group(self, update: Update, message: Message) -> bool:
        """Say "private chats only" once per group; the group is known by a pseudonym only
        (kept in memory; the notice waits in the outbox only until it is sent)."""
        chat = message.chat
        key = self.conversations.user(GROUP_CHANNEL, chat.id)
        tell = chat.type != ChatType.CHANNEL and key not in self._groups_told
        if tell:  # before any await: two members writing at once get one notice
            if len(self._groups_told) >= GROUPS_REMEMBERED:
                self._groups_told.clear()
            self._groups_told.add(key)
        lines = self._line("prive_seulement") if tell else []
        try:
            queued = await self._say(update, key, chat.id, lines)
        except BaseException:
            self._groups_told.discard(key)
            raise
        if tell and not queued:
            self._groups_told.discard(key)  # a duplicate: the first delivery told them
        if queued:
            log.info("message from a group: told once that only private chats are answered")
        return queued

    # -- turns -------------------------------------------------------------------

    async def _turn(
        self, update: Update, pseudo: str, chat_id: int, event: Event, incoming: list[int]
    ) -> bool:
        turn = await self.conversations.handle(
            pseudo, event, update_id=update.update_id, incoming=incoming,
            recipient=Outbox(self.sealer.seal(chat_id)), never_silent=True,
        )
        if not turn.duplicate:
            log.debug("turn %s for %s committed%s", type(event).__name__, pseudo[:8],
                      " (erasure)" if Action.FORGET in turn.actions else "")
        return not turn.duplicate

    async def _say(
        self, update: Update, pseudo: str, chat_id: int, lines: Sequence[Outgoing],
        incoming: Sequence[int] = (),
    ) -> bool:
        """Claim the update and queue ``lines`` (the conversation does not move)."""
        address = self.sealer.seal(chat_id) if lines else None
        done = await self.conversations.claim(
            pseudo, update.update_id, incoming=incoming, address=address,
            payloads=[payload.message(line) for line in lines],
        )
        return done and bool(lines)

    def _line(self, key: str) -> list[Outgoing]:
        return render_replies([Reply(text=self.bundle.message(key))])

    async def _admin(self, name: str) -> list[Outgoing]:
        log.info("admin command /%s answered", name)
        if name == "version":
            return admin.version(self.bundle)
        today = self.conversations.clock().date()
        counters = await self.store.counters(admin.stats_since(today))
        return admin.stats(self.bundle, counters, today)

    async def tell(self, chat_id: int, lines: Sequence[Outgoing]) -> None:
        """Queue lines to a private chat outside any update (the operators' content alerts)."""
        pseudo = self.conversations.user(CHANNEL, chat_id)
        await self.conversations.claim(
            pseudo, None, address=self.sealer.seal(chat_id),
            payloads=[payload.message(line) for line in lines],
        )
        self.delivery.wake()

    async def _apologise(self, update: Update) -> None:
        """After an unexpected failure (the database itself may be broken): the engine's
        error text, which gives the crisis numbers, sent directly, not through the outbox."""
        chat = update.effective_chat
        if chat is None or chat.type != ChatType.PRIVATE:
            return
        [line] = self._line("erreur")
        call = payload.parse(payload.message(line))
        try:
            await call_api(self.bot, call.method, {"chat_id": chat.id, **call.params})
        except Exception as exc:
            log.error("could not apologise after a failure: %s", type(exc).__name__)
