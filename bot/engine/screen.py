"""A turn's replies as one screen: the text of one message, and the buttons under it.

Channel-neutral, so that Telegram (:mod:`bot.channels.telegram.render`), the console and
scenario files (:mod:`bot.channels.plain`) and the length budget (:mod:`bot.engine.budget`)
all read the same screen:

- the crisis answer (``alert`` messages) comes first, whole;
- then the turn's other messages in order ("Je vous oriente vers…", the step's texts, its
  resource cards, the simulator's table), one blank line between two of them;
- the buttons of every message, card links included, go under that one message (one button
  per web address).

Text is kept as *runs*: a piece of text and the tags around it (only ``**gras**`` in content
becomes bold; card notes are italic). Each channel turns runs into its own markup.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final
from urllib.parse import urlsplit

from .replies import Button, Card, Message, Reply, Table

Style = tuple[str, ...]
"""Tags around a run, outermost first, e.g. ``("i", "b")``."""
Run = tuple[str, Style]

PLAIN: Final[Style] = ()
BOLD_RE: Final = re.compile(r"\*\*(.+?)\*\*", re.DOTALL)
GAP: Final[Run] = ("\n\n", PLAIN)
"""Between two messages of a screen: a blank line."""


def markup_runs(text: str, style: Style = PLAIN) -> list[Run]:
    """Content text to runs: ``**bold**`` becomes bold, nothing else is markup."""
    return list(_markup(text, style))


@functools.lru_cache(maxsize=2048)
def _markup(text: str, style: Style) -> tuple[Run, ...]:
    """Content texts repeat on every turn (and a thousand times in the length budget)."""
    runs: list[Run] = []
    position = 0
    for match in BOLD_RE.finditer(text):
        if match.start() > position:
            runs.append((text[position : match.start()], style))
        runs.append((match.group(1), (*style, "b") if "b" not in style else style))
        position = match.end()
    if position < len(text):
        runs.append((text[position:], style))
    return tuple(runs)


def site_name(url: str) -> str:
    """Where a link leads, readable before tapping: ``ordremk.fr``, ``forms.gle``."""
    host = urlsplit(url).hostname or url
    return host.removeprefix("www.")


def card_runs(card: Card) -> list[Run]:
    """A resource card as runs (see :func:`_card`)."""
    return list(_card(card))


@functools.lru_cache(maxsize=512)
def _card(card: Card) -> tuple[Run, ...]:
    """A resource card: bold name, what it is for, how to reach it, note in italics.

    Phone numbers stay written as in the content (the French way), which Telegram's apps
    make tappable. A web address is a button under the message (the card's ``link``); the
    text only names the site it leads to, so that a long form address does not fill the
    screen and the person still sees where the button goes.
    """
    runs: list[Run] = [(card.title, ("b",)), ("\n", PLAIN)]
    runs += markup_runs(card.purpose)
    for line in card.lines:
        value = site_name(line.value) if line.kind == "url" else line.value
        runs.append((f"\n{line.label} : {value}", PLAIN))
    if card.note:
        runs.append(("\n", PLAIN))
        runs += markup_runs(card.note, ("i",))
    return tuple(runs)


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
            runs.append(GAP)
        runs += part
    return runs


def to_plain(runs: Iterable[Run]) -> str:
    return "".join(text for text, _ in runs)


@dataclass(frozen=True)
class Screen:
    """What one turn shows: the crisis answer, then the rest, and every button."""

    crisis: tuple[Run, ...]
    rest: tuple[Run, ...]
    buttons: tuple[Button, ...]

    @property
    def alert(self) -> bool:
        return bool(self.crisis)

    @property
    def runs(self) -> tuple[Run, ...]:
        """The whole text: crisis answer first."""
        if self.crisis and self.rest:
            return (*self.crisis, GAP, *self.rest)
        return self.crisis or self.rest

    @property
    def text(self) -> str:
        """The visible text, as the person reads it (no markup; outer spaces trimmed)."""
        return to_plain(self.runs).strip()


def _join(messages: Sequence[Message]) -> tuple[Run, ...]:
    runs: list[Run] = []
    for message in messages:
        part = message_runs(message)
        if not to_plain(part).strip():
            continue
        if runs:
            runs.append(GAP)
        runs += part
    return tuple(runs)


def compose(replies: Sequence[Reply]) -> Screen:
    """A turn's messages as one screen; actions (``Action``) are the channel's business."""
    messages = [r for r in replies if isinstance(r, Message)]
    crisis = [m for m in messages if m.alert]
    rest = [m for m in messages if not m.alert]
    buttons: list[Button] = []
    for message in (*crisis, *rest):
        if message.card is not None and message.card.link is not None:
            buttons.append(message.card.link)
        buttons.extend(message.buttons)
    return Screen(crisis=_join(crisis), rest=_join(rest), buttons=_one_per_address(buttons))


def _one_per_address(buttons: list[Button]) -> tuple[Button, ...]:
    """Two cards may lead to the same page (the Ordre's "Trouver mon CDO"): one button."""
    seen: set[str] = set()
    kept: list[Button] = []
    for button in buttons:
        if button.url is not None:
            if button.url in seen:
                continue
            seen.add(button.url)
        kept.append(button)
    return tuple(kept)
