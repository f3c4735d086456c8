"""Resolve a French department from what a user typed.

Answers come as codes ("14", "2a"), postcodes ("14000"), names with or
without accents, hyphens or articles ("la reunion", "cote d or"), with typos,
or inside a sentence ("je suis dans le calvados"). When the reading is
fuzzy or ambiguous we return candidates and ``sure=False`` so the caller
confirms instead of guessing: orientation depends on the department.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from bot.understanding.fuzzy import TokenIndex, match_sequence, positions_by_word
from bot.understanding.normalise import STOP_WORDS, normalise

MAX_PARTIAL_CANDIDATES: Final = 4
"""A partial name ("seine", "corse", "pyrenees") is offered only when it fits
this few departments; "haute" fits a dozen and means nothing."""
PARTIAL_MIN_LEN: Final = 4
"""Shorter name words ("pas", "val", "bas") never suggest a department alone."""
NEGATIONS: Final = frozenset({"ne", "pas", "plus", "jamais", "rien"})
NAME_MAX_GAP: Final = 1
"""Extra words tolerated inside a multi-word name ("seine et la marne")."""

UNIT_WORDS: Final = frozenset(
    {
        "an", "ans", "patient", "patients", "euro", "euros", "eur", "km", "h", "heure",
        "heures", "mois", "jour", "jours", "semaine", "semaines", "min", "minutes",
        "fois", "seances", "seance", "pourcent", "k", "kg", "enfant", "enfants",
        "rue", "avenue", "av", "bd", "boulevard", "place", "chemin", "allee", "impasse",
        "route", "quai", "bis", "ter",
    }
)  # fmt: skip
"""A number followed by one of these is a quantity or a street number, not a
department ("12 ans", "14 rue ...")."""

_POSTCODE: Final = re.compile(r"\b(\d{2}) ?(\d{3})\b")
_NUMBER: Final = re.compile(r"^(?:\d{1,3}|2a|2b)$")
_CORSICA_AMBIGUOUS: Final = "20"


@dataclass(frozen=True)
class Department:
    """Official code ("01", "2A", "974") and name ("Ain", "Corse-du-Sud")."""

    code: str
    name: str


@dataclass(frozen=True)
class Resolution:
    """code: best guess or None; sure: act without confirming; candidates: best first."""

    code: str | None
    sure: bool
    candidates: tuple[str, ...]


NOTHING: Final = Resolution(None, False, ())


@dataclass(frozen=True)
class _Name:
    code: str
    words: tuple[str, ...]


@dataclass(frozen=True)
class _Hit:
    code: str
    first: int
    last: int
    similarity: float
    length: int


class DepartmentResolver:
    """Built once from the department list of the knowledge files."""

    def __init__(self, departments: Sequence[Department]) -> None:
        self._codes: dict[str, str] = {}
        for department in departments:
            code = department.code.strip().upper()
            self._codes[code.casefold()] = code
            if code.isdigit():
                self._codes[str(int(code))] = code
        self._names = [
            _Name(department.code.strip().upper(), words)
            for department in departments
            if (words := _name_words(department.name))
        ]
        self._index = TokenIndex({word for name in self._names for word in name.words})
        self._names_by_word: dict[str, list[_Name]] = {}
        for name in self._names:
            for word in set(name.words):
                self._names_by_word.setdefault(word, []).append(name)

    def resolve(self, text: str) -> Resolution:
        """Read a department from ``text`` (code, postcode, name, or a sentence)."""
        normal = normalise(text)
        if not normal:
            return NOTHING
        by_number = self._from_numbers(normal)
        by_name = self._from_names(normal)
        if by_number is None:
            return by_name or NOTHING
        if by_name is None or by_name.candidates[:1] == by_number.candidates[:1]:
            return by_number
        merged = tuple(dict.fromkeys(by_number.candidates + by_name.candidates))
        return Resolution(None, False, merged)

    def _department(self, code: str) -> str | None:
        return self._codes.get(code.casefold())

    def _from_numbers(self, normal: str) -> Resolution | None:
        """Postcodes first (they are unambiguous), then bare codes."""
        found: list[str] = []
        for match in _POSTCODE.finditer(normal):
            found.extend(self._from_postcode(match.group(1) + match.group(2)))
        remaining = _POSTCODE.sub(" ", normal).split()
        for position, word in enumerate(remaining):
            if not _NUMBER.match(word):
                continue
            following = remaining[position + 1] if position + 1 < len(remaining) else ""
            if following in UNIT_WORDS:
                continue
            if word == _CORSICA_AMBIGUOUS:
                found.extend(c for c in ("2A", "2B") if self._department(c))
            elif (code := self._department(word)) is not None:
                found.append(code)
        candidates = tuple(dict.fromkeys(found))
        if not candidates:
            return None
        if len(candidates) == 1:
            return Resolution(candidates[0], True, candidates)
        return Resolution(None, False, candidates)

    def _from_postcode(self, postcode: str) -> list[str]:
        """Department(s) of a 5-digit postcode; Corsica splits at 20200."""
        if postcode.startswith("97"):
            code = self._department(postcode[:3])
        elif postcode.startswith("20"):
            code = self._department("2A" if int(postcode) < 20200 else "2B")
        else:
            code = self._department(postcode[:2])
        return [code] if code else []

    def _from_names(self, normal: str) -> Resolution | None:
        typed = [word for word in normal.split() if word not in STOP_WORDS]
        if not typed:
            return None
        found = positions_by_word(typed, self._index)
        full: list[_Hit] = []
        partial: dict[str, float] = {}
        for name in self._candidate_names(found):
            slots = [(found.get(word, []), False) for word in name.words]
            score = match_sequence(slots, max_gap=NAME_MAX_GAP, min_matched=len(name.words))
            if score is not None:
                first, last = _span(name, found)
                full.append(_Hit(name.code, first, last, score, len(name.words)))
            else:
                hit = [max(s for _, s in found[w]) for w in name.words if _anchors(w, found)]
                if hit:
                    partial[name.code] = max(partial.get(name.code, 0.0), sum(hit) / len(hit))
        if full:
            return _decide_full(full)
        return _decide_partial(partial)

    def _candidate_names(self, found: dict[str, list[tuple[int, float]]]) -> list[_Name]:
        seen: dict[int, _Name] = {}
        for word in found:
            for name in self._names_by_word.get(word, ()):
                seen[id(name)] = name
        return list(seen.values())


def _name_words(name: str) -> tuple[str, ...]:
    """Content words of an official name: "Côte-d'Or" -> ("cote", "or")."""
    return tuple(word for word in normalise(name).split() if word not in STOP_WORDS)


def _anchors(word: str, found: dict[str, list[tuple[int, float]]]) -> bool:
    """May this name word alone suggest its department? Not "pas" (of Pas-de-Calais)."""
    return word in found and len(word) >= PARTIAL_MIN_LEN and word not in NEGATIONS


def _span(name: _Name, found: dict[str, list[tuple[int, float]]]) -> tuple[int, int]:
    positions = [position for word in name.words for position, _ in found[word]]
    return min(positions), max(positions)


def _decide_full(hits: list[_Hit]) -> Resolution:
    """Longest names win over names they contain ("haute loire" over "loire");
    one exact name wins over typo readings ("loire" over "loiret")."""
    kept = [
        hit
        for hit in hits
        if not any(
            other.length > hit.length and other.first <= hit.first and hit.last <= other.last
            for other in hits
        )
    ]
    kept.sort(key=lambda hit: (-hit.similarity, -hit.length, hit.first))
    best: dict[str, float] = {}
    for hit in kept:
        best.setdefault(hit.code, hit.similarity)
    candidates = tuple(best)
    exact = tuple(code for code, similarity in best.items() if similarity >= 100.0)
    if len(exact) == 1:
        return Resolution(exact[0], True, exact)
    if len(exact) > 1:
        return Resolution(None, False, exact)
    tied = len(candidates) > 1 and best[candidates[1]] >= best[candidates[0]]
    return Resolution(None if tied else candidates[0], False, candidates)


def _decide_partial(partial: dict[str, float]) -> Resolution | None:
    """Departments sharing the best-matched name word, if few enough to offer."""
    if not partial:
        return None
    best = max(partial.values())
    ranked = tuple(code for code, score in partial.items() if score >= best)
    if len(ranked) > MAX_PARTIAL_CANDIDATES:
        return None
    return Resolution(ranked[0] if len(ranked) == 1 else None, False, ranked)
