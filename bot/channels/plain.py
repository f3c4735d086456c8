"""Plain-text rendering of a turn: for the terminal, pipes and scenario files.

The screen is the one Telegram shows (:func:`bot.engine.screen.compose`), as one block, so
what staff read in ``make chat`` and test in scenarios is what a practitioner reads on the
phone; then the link buttons with their full address, then the other buttons, numbered.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.engine.replies import Button, Reply
from bot.engine.screen import compose


def render(replies: Sequence[Reply]) -> tuple[str, list[Button]]:
    """A turn as text, and the buttons of the screen, numbered from 1."""
    screen = compose(replies)
    blocks = [screen.text]
    links = [b for b in screen.buttons if b.url is not None]
    if links:
        blocks.append("\n".join(f"  → {b.label} : {b.url}" for b in links))
    buttons = [b for b in screen.buttons if b.data is not None]
    if buttons:
        blocks.append("\n".join(f"  [{i}] {b.label}" for i, b in enumerate(buttons, start=1)))
    return "\n\n".join(b for b in blocks if b), buttons
