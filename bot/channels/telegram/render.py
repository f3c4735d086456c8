"""Engine replies to Telegram messages: HTML text plus an inline keyboard, as plain data.

Pure (no I/O, no python-telegram-bot objects), so every rule is tested directly:

- a turn is **one message**: the screen :func:`bot.engine.screen.compose` builds (crisis
  answer first, then the step's texts, cards and table), with every button under it;
- only ``**bold**`` from the content becomes markup; everything else is HTML-escaped, so a
  ``<`` or ``&`` anywhere (content, department names, numbers) can never break a message;
- a screen longer than Telegram's 4,096 characters (the content's length budget keeps real
  screens far below) is split on paragraph boundaries, each part valid HTML on its own (tags
  never straddle a cut), the crisis answer whole in the first part, buttons under the last.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final

from bot.engine.replies import Message, Reply
from bot.engine.screen import PLAIN, Run, Style, compose, markup_runs, to_plain

from .keyboard import Keyboard, KeyButton, layout
from .limits import MAX_TEXT_LENGTH

_CUTS: Final = ("\n\n", "\n", ". ", "! ", "? ", "; ", ", ", " ")
"""Where to cut a long text, best first: paragraph, line, sentence, then word."""


@dataclass(frozen=True)
class Outgoing:
    """One Telegram message to send: HTML, the same words without markup, a keyboard."""

    html: str
    plain: str
    keyboard: Keyboard = ()
    alert: bool = False


# -- HTML ----------------------------------------------------------------------


def _merge(runs: Iterable[Run]) -> list[Run]:
    merged: list[Run] = []
    for text, style in runs:
        if not text:
            continue
        if merged and merged[-1][1] == style:
            merged[-1] = (merged[-1][0] + text, style)
        else:
            merged.append((text, style))
    return merged


def to_html(runs: Iterable[Run]) -> str:
    """Runs to Telegram HTML; every character of text is escaped."""
    out: list[str] = []
    for text, style in _merge(runs):
        body = html.escape(text, quote=False)
        if text.strip():
            opening = "".join(f"<{tag}>" for tag in style)
            closing = "".join(f"</{tag}>" for tag in reversed(style))
            body = opening + body + closing
        out.append(body)
    return "".join(out)


# -- splitting -----------------------------------------------------------------


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit Telegram counts in."""
    return len(text.encode("utf-16-le")) // 2


def _window_end(text: str, start: int, limit: int) -> int:
    """Largest ``end`` such that ``text[start:end]`` is at most ``limit`` UTF-16 units."""
    units = 0
    for index in range(start, len(text)):
        units += 2 if ord(text[index]) > 0xFFFF else 1
        if units > limit:
            return index
    return len(text)


def _cut_points(text: str, limit: int) -> list[tuple[int, int]]:
    """Spans of ``text`` of at most ``limit`` units each, cut at the best boundary."""
    spans: list[tuple[int, int]] = []
    start = 0
    while start < len(text):
        while start < len(text) and text[start].isspace():
            start += 1
        if start >= len(text):
            break
        end = _window_end(text, start, limit)
        if end < len(text):
            window = text[start:end]
            for separator in _CUTS:
                found = window.rfind(separator)
                if found > 0:
                    end = start + found + len(separator)
                    break
        spans.append((start, end))
        start = end
    return spans


def split_runs(runs: Sequence[Run], limit: int = MAX_TEXT_LENGTH) -> list[list[Run]]:
    """Runs in pieces that each fit one Telegram message, cut between paragraphs if possible."""
    text = to_plain(runs)
    if utf16_len(text) <= limit:  # every real screen: one piece, no cutting
        whole = _strip(_merge(runs))
        return [whole] if whole else []
    styles: list[Style] = []
    for part, style in runs:
        styles.extend([style] * len(part))
    pieces: list[list[Run]] = []
    for start, end in _cut_points(text, limit):
        piece: list[Run] = []
        for index in range(start, end):
            if piece and piece[-1][1] == styles[index]:
                piece[-1] = (piece[-1][0] + text[index], styles[index])
            else:
                piece.append((text[index], styles[index]))
        pieces.append(_strip(piece))
    return [p for p in pieces if p]


def _strip(runs: list[Run]) -> list[Run]:
    """Telegram strips surrounding whitespace; do it first so lengths and HTML agree."""
    while runs and not runs[0][0].strip():
        runs = runs[1:]
    while runs and not runs[-1][0].strip():
        runs = runs[:-1]
    if runs:
        runs[0] = (runs[0][0].lstrip(), runs[0][1])
        runs[-1] = (runs[-1][0].rstrip(), runs[-1][1])
    return runs


# -- whole turns ---------------------------------------------------------------


def _pieces(runs: Sequence[Run], alert: bool) -> list[Outgoing]:
    return [Outgoing(to_html(p), to_plain(p), alert=alert) for p in split_runs(runs)]


def render_replies(replies: Sequence[Reply]) -> list[Outgoing]:
    """A turn's replies as the messages to send: one, unless the screen is over 4,096.

    A screen with no visible text sends nothing (an engine turn always has some).
    """
    screen = compose(replies)
    keyboard = layout(screen.buttons)
    whole = _pieces(screen.runs, screen.alert)
    if len(whole) > 1 and screen.crisis and screen.rest:
        # Too long for one message: the crisis answer goes alone first, never cut.
        whole = _pieces(screen.crisis, True) + _pieces(screen.rest, False)
    if whole and keyboard:
        last = whole[-1]
        whole[-1] = Outgoing(last.html, last.plain, keyboard, last.alert)
    return whole


def render_message(message: Message) -> list[Outgoing]:
    """One engine message on its own (a line said outside any turn, or a test)."""
    return render_replies([message])


__all__ = [
    "PLAIN",
    "KeyButton",
    "Outgoing",
    "Run",
    "markup_runs",
    "render_message",
    "render_replies",
    "split_runs",
    "to_html",
    "to_plain",
]
