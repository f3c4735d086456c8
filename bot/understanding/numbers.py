"""Read a number the way people type it: "6", "six", "1 an", "un an et demi", "2,5", "-1".

Used when a question waits for a number (the simulator's months of internship).
The reading keeps what was typed: the value (exact, a fraction), its unit if one
was written (months or years), and whether it was negative, so that the caller can
convert, refuse or ask again with the right sentence. Nothing is guessed: two
different numbers ("3 ou 4") are no reading at all. Pure functions, no I/O.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from fractions import Fraction
from typing import Final, Literal

Unit = Literal["mois", "ans"]

MONTHS_PER_YEAR: Final = 12
MAX_TEXT: Final = 200
"""An answer to "how many?" is short; longer texts are not read as numbers."""

_UNITS: Final[dict[str, Unit]] = {
    "mois": "mois",
    "an": "ans",
    "ans": "ans",
    "annee": "ans",
    "annees": "ans",
}
_UNITS_WORDS: Final[dict[str, int]] = {
    **{"zero": 0, "aucun": 0, "aucune": 0, "un": 1, "une": 1, "deux": 2, "trois": 3},
    **{"quatre": 4, "cinq": 5, "six": 6, "sept": 7, "huit": 8, "neuf": 9, "dix": 10},
    **{"onze": 11, "douze": 12, "treize": 13, "quatorze": 14, "quinze": 15, "seize": 16},
}
_TENS: Final = {"vingt": 20, "trente": 30, "quarante": 40, "cinquante": 50, "soixante": 60}
"""French number words up to 69 (linguistic data): "dix huit", "vingt et un", "trente-six"."""
HALF_WORDS: Final = frozenset({"demi", "demie"})
NEGATIVE_WORDS: Final = frozenset({"moins"})

_TOKEN: Final = re.compile(r"(?<![\w.,])([-−–]\s*)?(\d+(?:[.,]\d+)?)(?![\d])|([a-z]+)")


@dataclass(frozen=True)
class Reading:
    """One number as typed: ``value`` (>= 0), ``unit`` if written, ``negative`` if signed."""

    value: Fraction
    unit: Unit | None = None
    negative: bool = False

    def signed(self) -> Fraction:
        return -self.value if self.negative else self.value

    def in_unit(self, unit: Unit | None) -> Fraction:
        """The signed value in ``unit`` (years <-> months); as typed when either is unknown."""
        value = self.signed()
        if unit is None or self.unit is None or unit == self.unit:
            return value
        return value * MONTHS_PER_YEAR if unit == "mois" else value / MONTHS_PER_YEAR


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return plain.replace("'", " ").replace("\u2019", " ")


@dataclass
class _Part:
    value: Fraction
    negative: bool = False
    unit: Unit | None = None
    halved: bool = False


def _word_number(words: list[str], start: int) -> tuple[int, int] | None:
    """(value, words used) of a French number written in words at ``start``."""
    word = words[start]
    if word == "dix" and words[start + 1 : start + 2] in (["sept"], ["huit"], ["neuf"]):
        return 10 + _UNITS_WORDS[words[start + 1]], 2
    if word in _UNITS_WORDS:
        return _UNITS_WORDS[word], 1
    if word not in _TENS:
        return None
    value, used = _TENS[word], 1
    rest = words[start + 1 : start + 4]
    if rest[:1] == ["et"] and rest[1:2] in (["un"], ["une"], ["onze"]):
        return value + _UNITS_WORDS[rest[1]], 3
    if rest[:1] and rest[0] in _UNITS_WORDS and 0 < _UNITS_WORDS[rest[0]] < 10:
        return value + _UNITS_WORDS[rest[0]], used + 1
    if value == 60 and rest[:1] and rest[0] in _UNITS_WORDS:  # soixante-dix ... (rare)
        return value + _UNITS_WORDS[rest[0]], used + 1
    return value, used


def read_number(text: str) -> Reading | None:
    """The one quantity ``text`` states, or None (no number, or several that disagree).

    "1 an et 6 mois" is one quantity (18 months); "3 ou 4" is two, hence None.
    """
    if len(text) > MAX_TEXT:
        return None
    tokens: list[tuple[str, str]] = []  # ("num", "-2.5") or ("word", "an")
    for match in _TOKEN.finditer(_fold(text)):
        sign, digits, word = match.groups()
        if digits is not None:
            tokens.append(("num", ("-" if sign else "") + digits.replace(",", ".")))
        else:
            tokens.append(("word", word))
    words = [value if kind == "word" else "" for kind, value in tokens]
    parts: list[_Part] = []
    index = 0
    while index < len(tokens):
        kind, value = tokens[index]
        negative = index > 0 and words[index - 1] in NEGATIVE_WORDS
        if kind == "num":
            parts.append(_Part(Fraction(value.lstrip("-")), value.startswith("-") or negative))
            index += 1
            continue
        if value in _UNITS and parts and parts[-1].unit is None:
            parts[-1].unit = _UNITS[value]
        elif value in HALF_WORDS and parts and not parts[-1].halved:
            parts[-1].value += Fraction(1, 2)
            parts[-1].halved = True
        else:
            if value in ("un", "une") and words[index + 1 : index + 2] in (["demi"], ["demie"]):
                parts.append(_Part(Fraction(1, 2), negative, halved=True))  # une demi-année
                index += 2
                continue
            found = _word_number(words, index)
            # "un"/"une" is an article unless a unit or "et demi" follows ("un an") or it
            # is the whole answer.
            article = value in ("un", "une") and len(words) > 1 and not _counts(words, index + 1)
            if found is not None and not article:
                parts.append(_Part(Fraction(found[0]), negative))
                index += found[1]
                continue
        index += 1
    return _combine(parts)


def _counts(words: list[str], index: int) -> bool:
    following = words[index : index + 1]
    return bool(following) and (following[0] in _UNITS or following[0] in HALF_WORDS)


def _combine(parts: list[_Part]) -> Reading | None:
    if not parts:
        return None
    if len(parts) == 1:
        part = parts[0]
        return Reading(part.value, part.unit, part.negative)
    units = [part.unit for part in parts]
    if len(parts) == 2 and units == ["ans", "mois"] and not any(p.negative for p in parts):
        months = parts[0].value * MONTHS_PER_YEAR + parts[1].value
        return Reading(months, "mois")
    return None
