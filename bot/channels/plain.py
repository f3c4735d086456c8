"""Plain-text rendering of replies: for the terminal, pipes and scenario files."""

from __future__ import annotations

import re

from bot.engine.replies import Button, Message, Reply

BOLD_RE = re.compile(r"\*\*(.+?)\*\*", re.DOTALL)


def strip_markup(text: str) -> str:
    """``**gras**`` has no meaning in a terminal: keep the words only."""
    return BOLD_RE.sub(r"\1", text)


def render_message(message: Message) -> str:
    """One message as text, without its buttons."""
    parts: list[str] = []
    if message.text:
        parts.append(strip_markup(message.text))
    if message.card is not None:
        card = message.card
        lines = [f"▸ {card.title}", f"  {strip_markup(card.purpose)}"]
        lines += [f"  {line.label} : {line.value}" for line in card.lines]
        if card.note:
            lines.append(f"  ({strip_markup(card.note)})")
        parts.append("\n".join(lines))
    if message.table is not None:
        table = message.table
        width = max(len(label) for label, _ in (*table.rows, table.total))
        lines = [table.title]
        lines += [f"  {label.ljust(width)}  {amount:>12}" for label, amount in table.rows]
        lines.append(f"  {table.total[0].ljust(width)}  {table.total[1]:>12}")
        if table.note:
            lines.append(strip_markup(table.note))
        parts.append("\n".join(lines))
    return "\n".join(parts)


def render(replies: tuple[Reply, ...] | list[Reply]) -> tuple[str, list[Button]]:
    """All messages of a turn as text, and the buttons of the screen, numbered from 1."""
    blocks: list[str] = []
    buttons: list[Button] = []
    for reply in replies:
        if not isinstance(reply, Message):
            continue
        blocks.append(render_message(reply))
        buttons.extend(b for b in reply.buttons if b.data is not None)
        links = [b for b in reply.buttons if b.url is not None]
        if links and reply.card is None:
            blocks.append("\n".join(f"  → {b.label} : {b.url}" for b in links))
    if buttons:
        blocks.append("\n".join(f"  [{i}] {b.label}" for i, b in enumerate(buttons, start=1)))
    return "\n\n".join(b for b in blocks if b), buttons
