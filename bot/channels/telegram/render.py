"""Engine replies to Telegram messages: HTML text plus an inline keyboard, as plain data.

Pure (no I/O, no python-telegram-bot objects), so every rule is tested directly:

- only ``**bold**`` from the content becomes markup; everything else is HTML-escaped, so a
  ``<`` or ``&`` anywhere (content, department names, numbers) can never break a message;
- a text longer than Telegram's 4,096 characters is split on paragraph boundaries, and each
  part is valid HTML on its own (tags never straddle a cut);
- crisis messages (``alert``) go first in a turn;
- cards and simulator tables become one readable message each.

Text is built as *runs* (a piece of text and the tags around it), cut, then turned into HTML.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final

from bot.engine.replies import Button, Card, Message, Reply, Table

from .keyboard import Keyboard, KeyButton, layout
from .limits import MAX_TEXT_LENGTH

Style = tuple[str, ...]
"""HTML tags around a run, outermost first, e.g. ``("i", "b")``."""
Run = tuple[str, Style]

PLAIN: Final[Style] = ()
BOLD_RE: Final = re.compile(r"\*\*(.+?)\*\*", re.DOTALL)
_CUTS: Final = ("\n\n", "\n", ". ", "! ", "? ", "; ", ", ", " ")
"""Where to cut a long text, best first: paragraph, line, sentence, then word."""


@dataclass(frozen=True)
class Outgoing:
    """One Telegram message to send: HTML, the same words without markup, a keyboard."""

    html: str
    plain: str
    keyboard: Keyboard = ()
    alert: bool = False


# -- runs --------------------------------------------------------------------


def markup_runs(text: str, style: Style = PLAIN) -> list[Run]:
    """Content text to runs: ``**bold**`` becomes bold, nothing else is markup."""
    runs: list[Run] = []
    position = 0
    for match in BOLD_RE.finditer(text):
        if match.start() > position:
            runs.append((text[position : match.start()], style))
        runs.append((match.group(1), (*style, "b") if "b" not in style else style))
        position = match.end()
    if position < len(text):
        runs.append((text[position:], style))
    return runs


def card_runs(card: Card) -> list[Run]:
    """A resource card: bold name, what it is for, how to reach it, note in italics.

    Phone numbers and addresses stay written as in the content (the French way), which
    Telegram's apps turn into tappable numbers and links; the web address is also written
    out (it can be read aloud or copied), besides the button that opens it.
    """
    runs: list[Run] = [(card.title, ("b",)), ("\n", PLAIN)]
    runs += markup_runs(card.purpose)
    for line in card.lines:
        runs.append((f"\n{line.label} : {line.value}", PLAIN))
    if card.note:
        runs.append(("\n", PLAIN))
        runs += markup_runs(card.note, ("i",))
    return runs


def table_runs(table: Table) -> list[Run]:
    """The simulator's schedule as one line per row, amounts in bold: readable on a phone,
    where a monospace table of long French labels would wrap into a mess."""
    runs: list[Run] = [(table.title, ("b",))]
    for label, amount in table.rows:
        runs += [(f"\n{label} : ", PLAIN), (amount, ("b",))]
    runs.append((f"\n{table.total[0]} : {table.total[1]}", ("b",)))
    if table.note:
        runs.append(("\n\n", PLAIN))
        runs += markup_runs(table.note, ("i",))
    return runs


def message_runs(message: Message) -> list[Run]:
    """Text, card and table of one engine message, in that order."""
    runs: list[Run] = []
    for part in (
        markup_runs(message.text) if message.text else [],
        card_runs(message.card) if message.card is not None else [],
        table_runs(message.table) if message.table is not None else [],
    ):
        if part and runs:
            runs.append(("\n\n", PLAIN))
        runs += part
    return runs


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


def to_plain(runs: Iterable[Run]) -> str:
    return "".join(text for text, _ in runs)


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


def render_message(message: Message) -> list[Outgoing]:
    """One engine message as one or more Telegram messages; buttons go under the last."""
    buttons: list[Button] = list(message.buttons)
    if message.card is not None and message.card.link is not None:
        buttons.insert(0, message.card.link)
    keyboard = layout(buttons)
    pieces = split_runs(message_runs(message))
    out = [Outgoing(to_html(p), to_plain(p), alert=message.alert) for p in pieces]
    if out and keyboard:
        last = out[-1]
        out[-1] = Outgoing(last.html, last.plain, keyboard, last.alert)
    return out


def render_replies(replies: Sequence[Reply]) -> list[Outgoing]:
    """A turn's messages, crisis messages first; actions are the caller's business.

    A message with no visible text cannot be sent; its buttons move to the message
    before it, so a screen never loses its way forward.
    """
    messages = [r for r in replies if isinstance(r, Message)]
    ordered = [m for m in messages if m.alert] + [m for m in messages if not m.alert]
    out: list[Outgoing] = []
    for message in ordered:
        rendered = render_message(message)
        if rendered:
            out.extend(rendered)
        elif message.buttons and out:
            last = out[-1]
            extra = layout(list(message.buttons))
            out[-1] = Outgoing(last.html, last.plain, (*last.keyboard, *extra), last.alert)
    return out


__all__ = ["KeyButton", "Outgoing", "render_message", "render_replies", "split_runs", "to_html"]
