"""Does the first screen after a typed message show what the person needs?

"First screen" is everything the turn answering the message sends that can be
read without tapping: texts, resource cards, tables, and link buttons (a link to
a form is the form). Buttons that lead to another screen do not count: what
they hide is one tap further.

Key content is written by staff as short strings that survive a rewrite of the
sentences around them: a phone number, a form, a council, a contract name.
Each required item may list alternatives separated by ``|``. Matching ignores
case, accents and the spaces inside numbers ("0 800 288 038" is "0800288038").
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from typing import Final

from bot.engine.replies import Message, Reply

ALTERNATIVES: Final = "|"
_DIGIT_GAP: Final = re.compile(r"(?<=\d)[ .](?=\d)")
_SPACES: Final = re.compile(r"\s+")


def fold(text: str) -> str:
    """Lowercase, accentless, one space between words, no spaces inside numbers."""
    decomposed = unicodedata.normalize("NFKD", text.replace("**", ""))
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()
    return _DIGIT_GAP.sub("", _SPACES.sub(" ", plain))


def screen_text(replies: Iterable[Reply]) -> str:
    """The readable text of a turn's replies, folded (see :func:`fold`)."""
    parts: list[str] = []
    for reply in replies:
        if not isinstance(reply, Message):
            continue
        parts.append(reply.text)
        if reply.card is not None:
            card = reply.card
            parts += [card.title, card.purpose, card.note or ""]
            parts += [f"{line.label} {line.value}" for line in card.lines]
        if reply.table is not None:
            table = reply.table
            parts += [table.title, *(" ".join(row) for row in table.rows), *table.total]
            parts.append(table.note or "")
        parts += [f"{b.label} {b.url}" for b in reply.buttons if b.url is not None]
    return fold("\n".join(part for part in parts if part))


def _pattern(alternative: str) -> re.Pattern[str] | None:
    folded = fold(alternative).strip()
    if not folded:
        return None
    before = r"(?<![\w])" if folded[0].isalnum() else ""
    after = r"(?![\w])" if folded[-1].isalnum() else ""
    return re.compile(before + re.escape(folded) + after)


def shows(screen: str, required: Sequence[str]) -> bool:
    """Does the folded ``screen`` show every required item (one of its alternatives)?"""
    for item in required:
        patterns = [p for p in map(_pattern, item.split(ALTERNATIVES)) if p is not None]
        if patterns and not any(p.search(screen) for p in patterns):
            return False
    return True


def missing(screen: str, required: Sequence[str]) -> list[str]:
    """The required items the screen does not show (for the report)."""
    return [item for item in required if not shows(screen, (item,))]
