"""Map a typed answer to one of the buttons of a question.

People often type instead of tapping: "2", "libéral", "salarie". We accept
an answer only when it points to exactly one button; otherwise the caller
asks again rather than guess.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from rapidfuzz import fuzz

from bot.understanding.fuzzy import TokenIndex
from bot.understanding.normalise import STOP_WORDS, normalise

WHOLE_LABEL_MIN: Final = 85.0
"""Whole-answer similarity to a label needed to pick it..."""
WHOLE_LABEL_MARGIN: Final = 10.0
"""...ahead of the next label by at least this much."""

ORDINALS: Final[dict[str, int]] = {
    "premier": 1,
    "premiere": 1,
    "1er": 1,
    "1ere": 1,
    "deuxieme": 2,
    "second": 2,
    "seconde": 2,
    "2e": 2,
    "2eme": 2,
    "troisieme": 3,
    "3e": 3,
    "3eme": 3,
    "quatrieme": 4,
    "4e": 4,
    "4eme": 4,
    "cinquieme": 5,
    "5e": 5,
    "5eme": 5,
}
"""Ordinal words users type to pick a button by position (linguistic data)."""

_FILLER: Final = frozenset(
    {"choix", "option", "numero", "reponse", "bouton", "no", "num"}
    | {"plutot", "surtout", "disons", "juste", "seulement"}
)
"""Words around an answer that do not change which button is meant ("choix 2",
"plutôt patiente")."""

ANSWER_ALIASES: Final[dict[str, str]] = {
    "ouais": "oui",
    "ouai": "oui",
    "ouep": "oui",
    "yes": "oui",
    "yep": "oui",
    "ok": "oui",
    "okay": "oui",
    "dac": "oui",
    "accord": "oui",
    "nan": "non",
    "nope": "non",
    "no": "non",
}
"""Colloquial yes/no, for labels that are or start with "oui" or "non"."""

_NEGATIONS: Final = frozenset({"pas", "jamais", "ni"})
""""pas libéral" must not pick "libéral": a negated answer is left to the caller."""

MAX_UNEXPLAINED_SHARE: Final = 1 / 3
"""A word shared with one label picks it only if at most this share of the typed
content words is foreign to every label: "je suis salariée" answers the
question, "un patient m'a agressé" is a story that happens to say "patient"
(a label word on the first screen) and must go to the router instead."""


def match_choice(text: str, labels: Sequence[str]) -> int | None:
    """Index (0-based) of the label the typed ``text`` designates, or None.

    Accepted: a 1-based number or ordinal ("2", "choix 2", "le deuxième"), the
    label itself with accent, case or typo differences, or a word that only
    one label contains ("libéral" for "Kiné libéral·e"). None when the
    answer is empty, out of range, ambiguous or too far from every label.
    """
    answer = normalise(text)
    if not answer or not labels:
        return None
    forms = [normalise(label) for label in labels]
    exact = [number for number, form in enumerate(forms) if form and form == answer]
    if len(exact) == 1:
        return exact[0]
    position = _position(answer, len(labels))
    if position is not None:
        return position
    yes_no = _yes_no(answer, forms)
    if yes_no is not None:
        return yes_no
    return _closest_label(answer, forms)


def _yes_no(answer: str, forms: list[str]) -> int | None:
    """A bare yes or no picks the one label that says it first: "oui" -> "Oui, maintenant".

    Matters on safety questions ("Sa vie est-elle en danger ?"), where "oui"
    must not fall through to "not understood"; "oui" is a stop word, so the
    word matching below would ignore it.
    """
    word = ANSWER_ALIASES.get(answer, answer)
    if word not in ("oui", "non"):
        return None
    exact = [number for number, form in enumerate(forms) if form == word]
    if len(exact) == 1:
        return exact[0]
    leading = [number for number, form in enumerate(forms) if form.split()[:1] == [word]]
    return leading[0] if len(leading) == 1 else None


def _position(answer: str, count: int) -> int | None:
    """A button picked by number or ordinal, if the answer is just that."""
    words = [word for word in answer.split() if word not in STOP_WORDS and word not in _FILLER]
    if len(words) != 1:
        return None
    word = words[0]
    number = ORDINALS.get(word)
    if number is None and word.isdigit() and len(word) <= 3:
        number = int(word)
    if number is None or not 1 <= number <= count:
        return None
    return number - 1


def _closest_label(answer: str, forms: list[str]) -> int | None:
    """Whole-label typo match first, then a word distinctive of one label."""
    label_words = [{w for w in form.split() if w not in STOP_WORDS} for form in forms]
    index = TokenIndex((w for words in label_words for w in words), prefixes=True)
    typed = [w for w in answer.split() if w not in STOP_WORDS]
    if any(w in _NEGATIONS and w not in index for w in answer.split()):
        return None
    scores = sorted(
        ((fuzz.ratio(answer, form), number) for number, form in enumerate(forms) if form),
        reverse=True,
    )
    if scores and scores[0][0] >= WHOLE_LABEL_MIN:
        runner_up = scores[1][0] if len(scores) > 1 else 0.0
        if scores[0][0] - runner_up >= WHOLE_LABEL_MARGIN:
            return scores[0][1]
    content = [w for w in typed if w not in _FILLER and not w.isdigit()]
    foreign = sum(1 for w in content if not index.lookup(w))
    if foreign > MAX_UNEXPLAINED_SHARE * len(content):
        return None
    picked: set[int] = set()
    for word in typed:
        similar = index.lookup(word)
        holders = {number for number, words in enumerate(label_words) if words & similar.keys()}
        if len(holders) == 1:
            picked |= holders
    return picked.pop() if len(picked) == 1 else None
