"""The console channel: talk to the assistant in a terminal, or through a pipe.

Buttons are numbered: type the number or the label. Commands are the Telegram
ones (``/menu``, ``/retour``…). Reading stdin line by line makes scripted
sessions (tests, demos) work exactly like a person typing.
"""

from __future__ import annotations

import logging
import sys
from typing import TextIO

from bot.engine.events import Command, Event, Press, Resume, Start, Text
from bot.engine.replies import Action, Button
from bot.service import Conversations

from .plain import render

log = logging.getLogger(__name__)

MAX_LINE = 10_000
"""Longer lines are cut: the engine only needs the beginning to understand."""


def parse_line(line: str, buttons: list[Button]) -> Event | None:
    """Turn a typed line into an event, or None for an empty line."""
    text = line.strip()[:MAX_LINE]
    if not text:
        return None
    if text.startswith("/"):
        name, _, arg = text[1:].partition(" ")
        name = name.lower()
        if name == "start":
            return Start(arg.strip() or None)
        return Command(name)
    if text.isdigit() and 1 <= int(text) <= len(buttons):
        data = buttons[int(text) - 1].data
        if data is not None:
            return Press(data)
    return Text(text)


async def chat(conversations: Conversations, user_id: str, stdin: TextIO, stdout: TextIO) -> None:
    """Run a conversation until end of input or ``/quitter``."""
    user = conversations.user("console", user_id)
    interactive = stdin.isatty()
    existing = await conversations.store.load(user)
    first: Event = Resume() if existing else Start()
    buttons = await _turn(conversations, user, first, stdout) or []
    while True:
        if interactive:
            stdout.write("\n> ")
            stdout.flush()
        line = stdin.readline()
        if not line:
            break
        event = parse_line(line, buttons)
        if event is None:
            continue
        if not interactive:
            stdout.write(f"\n> {line.strip()[:200]}\n")
        new_buttons = await _turn(conversations, user, event, stdout)
        if new_buttons is None:
            break
        buttons = new_buttons


async def _turn(
    conversations: Conversations, user: str, event: Event, stdout: TextIO
) -> list[Button] | None:
    turn = await conversations.handle(user, event)
    text, buttons = render(turn.replies)
    if text:
        stdout.write("\n" + text + "\n")
        stdout.flush()
    if Action.QUIT in turn.actions:
        return None
    return buttons


def main_stdio(conversations: Conversations, user_id: str) -> None:  # pragma: no cover - wiring
    import asyncio

    asyncio.run(chat(conversations, user_id, sys.stdin, sys.stdout))
