"""Send and delete messages, applying Telegram's error rules.

- 429 and 5xx/network errors are retried below us (:mod:`.network`).
- 403 "blocked by the user": stop sending to this chat for this turn; nothing retries.
- 400: logged once with the method and Telegram's description, then the next message goes.
  A 400 "can't parse entities" would leave the person with nothing, so that message is
  sent again as plain text: the words matter more than the bold.
- Messages are never edited: what was sent (above all crisis numbers) stays as it was
  until the user asks for ``/effacer``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, TelegramError

from .keyboard import Keyboard
from .limits import DELETE_BATCH
from .render import Outgoing

log = logging.getLogger(__name__)

NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
"""Cards carry their own link button; previews would bury the phone numbers."""


@dataclass
class Delivery:
    """What happened to a turn's messages: their ids, and whether the user blocked us."""

    sent_ids: list[int] = field(default_factory=list)
    blocked: bool = False


def markup(keyboard: Keyboard) -> InlineKeyboardMarkup | None:
    """Our keyboard data as python-telegram-bot's object."""
    if not keyboard:
        return None
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(b.label, url=b.url)
                if b.url is not None
                else InlineKeyboardButton(b.label, callback_data=b.data)
                for b in row
            ]
            for row in keyboard
        ]
    )


def _describe(error: TelegramError) -> str:
    """Telegram's description of an error: no user text in it, but cut just in case."""
    return error.message[:200]


class Sender:
    """Sends rendered messages to one chat at a time."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    async def send(self, chat_id: int, messages: Sequence[Outgoing]) -> Delivery:
        """Send in order; stop at a block; skip a message Telegram refuses."""
        delivery = Delivery()
        for message in messages:
            try:
                sent = await self._send_one(chat_id, message)
            except Forbidden as exc:
                log.info("sendMessage refused (403: %s); not sending more", _describe(exc))
                delivery.blocked = True
                break
            except BadRequest as exc:
                log.warning("sendMessage refused (400: %s); next message", _describe(exc))
                continue
            except TelegramError as exc:  # still failing after the retries of .network
                log.warning("sendMessage failed (%s: %s); not sending more",
                            type(exc).__name__, _describe(exc))
                break
            delivery.sent_ids.append(sent)
        return delivery

    async def _send_one(self, chat_id: int, message: Outgoing) -> int:
        keyboard = markup(message.keyboard)
        try:
            sent = await self.bot.send_message(
                chat_id,
                message.html,
                parse_mode=ParseMode.HTML,
                reply_markup=keyboard,
                link_preview_options=NO_PREVIEW,
            )
        except BadRequest as exc:
            if "can't parse entities" not in exc.message.lower():
                raise
            log.error("sendMessage refused our HTML (%s); sending it as plain text",
                      _describe(exc))
            sent = await self.bot.send_message(
                chat_id, message.plain, reply_markup=keyboard, link_preview_options=NO_PREVIEW
            )
        return sent.message_id

    async def delete(self, chat_id: int, message_ids: Sequence[int]) -> int:
        """Delete messages by batches of 100; Telegram skips those it may not delete.

        Returns how many batches Telegram accepted. Failures are logged, never raised: the
        explanation that follows must be sent whatever happens here.
        """
        ids = sorted(set(message_ids))
        accepted = 0
        for start in range(0, len(ids), DELETE_BATCH):
            batch = ids[start : start + DELETE_BATCH]
            try:
                if await self.bot.delete_messages(chat_id, batch):
                    accepted += 1
            except Forbidden as exc:
                log.info("deleteMessages refused (403: %s)", _describe(exc))
                break
            except TelegramError as exc:
                log.warning("deleteMessages failed (%s: %s)", type(exc).__name__, _describe(exc))
        return accepted

    async def answer(self, query_id: str) -> None:
        """Stop the button's spinner. Always called, first; a failure changes nothing else."""
        try:
            await self.bot.answer_callback_query(query_id)
        except TelegramError as exc:
            log.info("answerCallbackQuery failed (%s: %s)", type(exc).__name__, _describe(exc))
