"""What the engine answers; each channel renders these in its own way.

Text may contain ``**gras**``; channels escape everything else themselves.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Action(StrEnum):
    """Side effects the channel carries out (the engine does no I/O)."""

    FORGET = "oubli"
    ERASE_CHAT = "effacer"
    QUIT = "quitter"


@dataclass(frozen=True)
class Button:
    """A button: either ``data`` (sent back as :class:`Press`) or ``url`` (opens a link)."""

    label: str
    data: str | None = None
    url: str | None = None
    nav: bool = False
    """Navigation (back, menu, emergency): channels put these on their own row."""


@dataclass(frozen=True)
class CardLine:
    """One detail of a resource card; ``kind`` lets channels make it tappable."""

    label: str
    value: str
    kind: str  # "phone", "sms", "email", "url", "text"


@dataclass(frozen=True)
class Card:
    """A helpline, council, form or body, with how to reach it."""

    title: str
    purpose: str
    lines: tuple[CardLine, ...] = ()
    note: str | None = None
    link: Button | None = None


@dataclass(frozen=True)
class Table:
    """A small two-column table (the installation-aid simulator)."""

    title: str
    rows: tuple[tuple[str, str], ...]
    total: tuple[str, str]
    note: str | None = None


@dataclass(frozen=True)
class Message:
    """One bubble: text, card or table, with the buttons shown under it."""

    text: str = ""
    card: Card | None = None
    table: Table | None = None
    buttons: tuple[Button, ...] = field(default=())
    alert: bool = False
    """Crisis message: channels must send it first and as it is."""


Reply = Message | Action
