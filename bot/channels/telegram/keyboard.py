"""Inline keyboard layout for a phone screen, as plain data.

Choices first, in the engine's order (so "2" typed means the second button seen), two
per row when both labels are short; links one per row; navigation (back, menu,
emergency) together on the last row. Buttons Telegram would refuse (callback data over
64 bytes, a link that is not http(s)) are dropped and logged, rather than losing the
whole message to a 400.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from bot.engine.replies import Button

from .limits import MAX_BUTTONS, MAX_CALLBACK_DATA, SHORT_LABEL

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class KeyButton:
    """One inline button: ``data`` comes back as a press, ``url`` opens a page."""

    label: str
    data: str | None = None
    url: str | None = None


Keyboard = tuple[tuple[KeyButton, ...], ...]


def _usable(button: Button) -> KeyButton | None:
    label = button.label.strip()
    if not label:
        return None
    if button.data is not None:
        if not 0 < len(button.data.encode("utf-8")) <= MAX_CALLBACK_DATA:
            log.error("button dropped: callback data of %d bytes", len(button.data.encode()))
            return None
        return KeyButton(label, data=button.data)
    if button.url is not None:
        parts = urlsplit(button.url)
        if parts.scheme not in ("http", "https", "tg") or not (
            parts.netloc or parts.scheme == "tg"
        ):
            log.error("link button dropped: not an http(s) address")
            return None
        return KeyButton(label, url=button.url)
    return None


def layout(buttons: Sequence[Button]) -> Keyboard:
    """Rows of buttons for one message."""
    choices = [k for b in buttons if b.data is not None and not b.nav if (k := _usable(b))]
    links = [k for b in buttons if b.url is not None if (k := _usable(b))]
    nav = [k for b in buttons if b.data is not None and b.nav if (k := _usable(b))]
    rows: list[tuple[KeyButton, ...]] = []
    index = 0
    while index < len(choices):
        pair = choices[index : index + 2]
        if len(pair) == 2 and all(len(k.label) <= SHORT_LABEL for k in pair):
            rows.append(tuple(pair))
            index += 2
        else:
            rows.append((choices[index],))
            index += 1
    rows += [(k,) for k in links]
    if nav:
        rows.append(tuple(nav))
    return _cap(rows)


def _cap(rows: list[tuple[KeyButton, ...]]) -> Keyboard:
    """Never more than Telegram's 100 buttons (content never gets close)."""
    kept: list[tuple[KeyButton, ...]] = []
    count = 0
    for row in rows:
        if count + len(row) > MAX_BUTTONS:
            log.error("keyboard cut at %d buttons", MAX_BUTTONS)
            break
        kept.append(row)
        count += len(row)
    return tuple(kept)
