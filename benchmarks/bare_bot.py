"""The yardstick of ``telegram_bot.py``: the smallest python-telegram-bot bot that answers
like ours, on the same Bot API server, with the same limiter and the same concurrency.

Every typed message is answered with one HTML message carrying an inline keyboard; every
button press is answered (``answerCallbackQuery``) then followed by one such message. No
content, no storage, no understanding: what is left is python-telegram-bot's own cost, which
is the floor our bot is measured against.

Run by the benchmark as a child process: ``python benchmarks/bare_bot.py`` with
``TELEGRAM_BOT_TOKEN`` and ``TELEGRAM_API_BASE_URL`` set; SIGTERM stops it.
"""

from __future__ import annotations

import html
import os
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.ext import AIORateLimiter, ApplicationBuilder, ContextTypes, TypeHandler

CONCURRENT_UPDATES = 32
"""As ``bot.channels.telegram.ordering.CONCURRENT_USERS`` (kept apart: the bare bot must not
import ours)."""
RETRY_AFTER_RETRIES = 3
"""As ``bot.channels.telegram.network.RETRY_AFTER_RETRIES``."""
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
KEYBOARD = InlineKeyboardMarkup(
    [
        [InlineKeyboardButton("Suite", callback_data="next")],
        [InlineKeyboardButton("↩️ Retour", callback_data="back"),
         InlineKeyboardButton("🏠 Menu", callback_data="menu")],
    ]
)


async def on_update(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """One answer per typed message or press, as our bot gives one message per screen."""
    chat = update.effective_chat
    if chat is None:
        return
    if update.callback_query is not None:
        await update.callback_query.answer()
        said = update.callback_query.data or ""
    elif update.message is not None and update.message.text is not None:
        said = update.message.text
    else:
        return
    await context.bot.send_message(
        chat.id, f"<b>Bien reçu</b> : {html.escape(said[:200])}", parse_mode=ParseMode.HTML,
        reply_markup=KEYBOARD, link_preview_options=NO_PREVIEW,
    )


def main() -> None:
    base = os.environ["TELEGRAM_API_BASE_URL"].rstrip("/")
    root = base.removesuffix("/bot")
    app: Any = (
        ApplicationBuilder()
        .token(os.environ["TELEGRAM_BOT_TOKEN"])
        .base_url(root + "/bot")
        .base_file_url(root + "/file/bot")
        .rate_limiter(AIORateLimiter(max_retries=RETRY_AFTER_RETRIES))
        .concurrent_updates(CONCURRENT_UPDATES)
        .build()
    )
    app.add_handler(TypeHandler(Update, on_update))
    app.run_polling(
        allowed_updates=["message", "edited_message", "callback_query"], timeout=10,
        drop_pending_updates=False, close_loop=False,
    )


if __name__ == "__main__":
    main()
