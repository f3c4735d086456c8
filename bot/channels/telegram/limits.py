"""Telegram limits, named once (sources: Bot API docs and ``telegram.constants``)."""

from __future__ import annotations

import datetime as dt
from typing import Final

from telegram.constants import InlineKeyboardButtonLimit, MessageLimit

MAX_TEXT_LENGTH: Final = int(MessageLimit.MAX_TEXT_LENGTH)
"""4,096 characters after entity parsing; we count UTF-16 code units, which is never less."""

MAX_CALLBACK_DATA: Final = int(InlineKeyboardButtonLimit.MAX_CALLBACK_DATA)
"""``callback_data`` is 1-64 *bytes* of UTF-8."""

MAX_BUTTONS: Final = 100
"""Telegram answers ``BUTTONS_TOO_MUCH`` above 100 buttons in one keyboard."""

DELETE_BATCH: Final = 100
"""``deleteMessages`` takes at most 100 message ids per call."""

DELETE_WINDOW: Final = dt.timedelta(hours=48)
"""A bot may delete messages of a private chat for 48 hours only."""

SHORT_LABEL: Final = 16
"""Two buttons whose labels are this short fit side by side on a phone."""
