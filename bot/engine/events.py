"""What a channel can tell the engine; channel-neutral and immutable."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Start:
    """``/start``, optionally with a deep-link payload naming a flow."""

    payload: str | None = None


@dataclass(frozen=True)
class Command:
    """A command by its canonical name (``menu``, ``retour``, ``oubli``…)."""

    name: str


@dataclass(frozen=True)
class Press:
    """A button press, with the opaque data the engine put on the button."""

    data: str


@dataclass(frozen=True)
class Text:
    """Free text typed by the user (never stored)."""

    text: str


@dataclass(frozen=True)
class Resume:
    """Show the current screen again (a channel reopening a stored conversation)."""


Event = Start | Command | Press | Text | Resume
