"""What an outbox entry carries: one Bot API call, as JSON (``method`` and ``params``).

The payload is rendered once, inside the turn's transaction (:meth:`Outbox.render`), and
sent as it is by :mod:`.delivery`, after a crash or in another process: nothing of the
conversation is needed to send it. It never holds the chat id (the entry's sealed
address does, :mod:`.address`) nor anything the user typed, only content text.

Two kinds of call go through the outbox: ``sendMessage`` (a screen, with its keyboard;
``plain`` keeps the same words without markup, sent if Telegram refuses our HTML) and
``deleteMessages`` (``/effacer``, by batches of 100).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

from .keyboard import Keyboard
from .limits import DELETE_BATCH
from .render import Outgoing

SEND: Final = "sendMessage"
DELETE: Final = "deleteMessages"
NO_PREVIEW: Final = {"is_disabled": True}
"""Cards carry their own link button; previews would bury the phone numbers."""


@dataclass(frozen=True)
class Call:
    """One Bot API call read back from a payload."""

    method: str
    params: dict[str, Any]
    plain: str | None = None
    """For ``sendMessage``: the text without markup, if the HTML is refused."""


def markup(keyboard: Keyboard) -> dict[str, Any] | None:
    """Our keyboard as the Bot API's ``InlineKeyboardMarkup`` JSON."""
    if not keyboard:
        return None
    return {"inline_keyboard": [
        [{"text": b.label, "url": b.url} if b.url is not None
         else {"text": b.label, "callback_data": b.data} for b in row]
        for row in keyboard
    ]}


def message(outgoing: Outgoing) -> str:
    """The payload of one rendered message."""
    params: dict[str, Any] = {
        "text": outgoing.html, "parse_mode": "HTML", "link_preview_options": NO_PREVIEW,
    }
    keyboard = markup(outgoing.keyboard)
    if keyboard is not None:
        params["reply_markup"] = keyboard
    return json.dumps({"method": SEND, "params": params, "plain": outgoing.plain},
                      ensure_ascii=False, separators=(",", ":"))


def deletions(message_ids: Sequence[int]) -> list[str]:
    """Payloads deleting these messages, by batches of 100 (Telegram's maximum)."""
    ids = sorted(set(message_ids))
    return [
        json.dumps({"method": DELETE, "params": {"message_ids": ids[i : i + DELETE_BATCH]}},
                   separators=(",", ":"))
        for i in range(0, len(ids), DELETE_BATCH)
    ]


def parse(payload: str) -> Call:
    """A stored payload back as a call; raise ``ValueError`` if it is not one of ours."""
    data = json.loads(payload)
    if not isinstance(data, dict) or data.get("method") not in (SEND, DELETE):
        raise ValueError("not an outbox payload")
    params = data.get("params")
    if not isinstance(params, dict):
        raise ValueError("payload without params")
    plain = data.get("plain")
    return Call(str(data["method"]), params, plain if isinstance(plain, str) else None)
