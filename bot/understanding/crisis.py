"""Crisis detection: does a message say the sender's life or safety is at risk?

Checked before anything else. A miss can cost a life, a false alarm costs
a message with help numbers, so every choice here leans towards alarm:

* typo tolerance is lenient and one weak word is allowed per expression;
* function words of an expression ("de", "je", "me") may be left out or
  rewritten, negations are interchangeable ("pas envie de vivre" counts for
  "plus envie de vivre"), so are reflexive pronouns (a relative's "il va se
  pendre" counts for "me pendre"), up to two extra words may sit in between;
* exceptions (figures of speech: "mort de rire") only neutralise the words
  they cover. A crisis expression still fires if any of its content words
  lies outside an exception, and nothing vetoes a whole message. Every word
  of an exception must be typed (typos aside): "ça me tue" must not shrink
  to "me tue" and hide "il me tue";
* a typed word that is a common French word (``words``, a lexicon given by the
  caller) is read as itself: it matches an expression word only when it is that
  word. Typo tolerance is for typos: "créer" is not "crever", "prendre" not
  "pendre", "fin" not "finir". Other forms of a verb are not guessed either
  ("tue" is not "tuer"): staff list the forms that matter;
* the whole message is read, up to ``MAX_CRISIS_CHARS``.
"""

from __future__ import annotations

from collections.abc import Sequence, Set
from dataclasses import dataclass
from typing import Final

from bot.understanding.fuzzy import TokenIndex, match_sequence, min_ratio, positions_by_word
from bot.understanding.normalise import STOP_WORDS, normalise

MAX_CRISIS_CHARS: Final = 20_000
"""Read this much of a message (five Telegram messages), not just the routing prefix."""
MAX_GAP: Final = 2
"""Extra words allowed between two words of an expression."""
STRONG_SIMILARITY: Final = 85.0
"""Word similarity counted as a sure match. One weaker word (down to the lenient
threshold of ``fuzzy.min_ratio``) is allowed in expressions with two or more
content words: "pluw envie de vivre" fires, "changer" is not "danger"."""
SINGLE_WORD_MIN: Final = 85.0
"""A one-word expression ("suicide") alone needs at least this similarity."""
STEM_LEN: Final = 6
"""A typed word sharing all but the last letter (at least this many) with a
one-word expression fires: "suicidaire", "suicidé" for "suicide", but not
"disparu" for "disparaître"."""
GLUED_MIN: Final = 88.0
"""Similarity of a typed word to a whole expression written without spaces ("enfinir")."""
EXCEPTION_MIN_MATCHED: Final = 2

FUNCTION_WORDS: Final = STOP_WORDS | {"me", "te", "moi", "toi"}
"""Words of an expression that may be missing: "il m'a frappé" keeps no "me"."""
NEGATIONS: Final = frozenset({"ne", "pas", "plus", "pu", "jamais", "rien", "aucune", "aucun"})
"""Interchangeable in crisis expressions ("pu" is the SMS "plus": "jai pu envie")."""
REFLEXIVES: Final = frozenset({"me", "te", "se"})
"""Interchangeable in crisis expressions: staff write "me tuer", a relative writes
"il va se tuer", a threat quoted is "je vais te tuer"."""


@dataclass(frozen=True)
class CrisisResult:
    """is_crisis, and the staff expression that fired (never the user's text)."""

    is_crisis: bool
    matched: str | None = None


@dataclass(frozen=True)
class _Pattern:
    original: str
    words: tuple[str, ...]
    optional: tuple[bool, ...]
    glued: str

    @property
    def carrying(self) -> tuple[bool, ...]:
        """Words that carry the meaning: content words, or all if there are none."""
        content = tuple(word not in FUNCTION_WORDS for word in self.words)
        return content if any(content) else (True,) * len(self.words)

    @property
    def max_weak(self) -> int:
        """One loosely matched word is tolerated only next to another content word."""
        required = zip(self.optional, self.words, strict=True)
        return 1 if sum(not opt and w not in FUNCTION_WORDS for opt, w in required) >= 2 else 0


def _pattern(phrase: str, *, strict: bool = False) -> _Pattern | None:
    """A staff expression; ``strict`` (exceptions) makes every word required."""
    words = tuple(normalise(phrase).split())
    if not words:
        return None
    optional = tuple(not strict and word in FUNCTION_WORDS for word in words)
    pairs = zip(optional, words, strict=True)
    meaningful = [word for opt, word in pairs if not opt and word not in NEGATIONS]
    if len(meaningful) <= 1:
        # One meaningful word at most ("me tuer", "plus être là"): its small words carry
        # the meaning, so every word is required: "me tuer" is not "ça me tue" nor "tuer".
        optional = (False,) * len(words)
    return _Pattern(phrase, words, optional, "".join(words))


def _exception(phrase: str) -> _Pattern | None:
    return _pattern(phrase, strict=True)


class CrisisDetector:
    """Built once from staff-editable expressions and exceptions."""

    def __init__(
        self,
        expressions: Sequence[str],
        exceptions: Sequence[str] = (),
        *,
        words: Set[str] = frozenset(),
    ) -> None:
        """``words``: normalised common French words, never taken for typos of another word."""
        self._words = words
        self._patterns = [p for p in map(_pattern, expressions) if p is not None]
        self._exceptions = [p for p in map(_exception, exceptions) if p is not None]
        vocabulary = {word for p in self._patterns for word in p.words}
        self._negations_known = sorted(vocabulary & NEGATIONS)
        self._reflexives_known = sorted(vocabulary & REFLEXIVES)
        self._index = TokenIndex(vocabulary, lenient=True)
        self._exception_index = TokenIndex({w for p in self._exceptions for w in p.words})
        # stem length -> stem -> expression
        self._stems: dict[int, dict[str, _Pattern]] = {}
        for p in reversed(self._patterns):
            if len(p.words) == 1 and len(p.words[0]) > STEM_LEN:
                size = len(p.words[0]) - 1
                self._stems.setdefault(size, {})[p.words[0][:size]] = p
        self._glued_index = TokenIndex(
            {p.glued for p in self._patterns if len(p.words) > 1 and len(p.glued) >= 6},
            lenient=True,
        )
        # An expression can only match if its first required word, or its glued
        # form, was typed: index them so that cost follows the message, not the list.
        self._by_anchor: dict[str, list[int]] = {}
        for number, p in enumerate(self._patterns):
            anchor = next(w for w, opt in zip(p.words, p.optional, strict=True) if not opt)
            self._by_anchor.setdefault(anchor, []).append(number)
            if len(p.words) > 1:
                self._by_anchor.setdefault(p.glued, []).append(number)

    def detect(self, text: str) -> CrisisResult:
        """Alarm if any expression is found outside exception spans."""
        typed = normalise(text, max_chars=MAX_CRISIS_CHARS).split()
        if not typed:
            return CrisisResult(False)
        covered = self._exception_spans(typed)
        found = self._as_typed(
            typed, positions_by_word(typed, self._index, exact_only=FUNCTION_WORDS - NEGATIONS)
        )
        glued = {
            word: positions
            for word, positions in self._as_typed(
                typed, positions_by_word(typed, self._glued_index)
            ).items()
            if any(similarity >= GLUED_MIN for _, similarity in positions)
        }
        for words, known in (
            (NEGATIONS, self._negations_known),
            (REFLEXIVES, self._reflexives_known),
        ):
            alike = [(position, 100.0) for position, word in enumerate(typed) if word in words]
            for word in known:
                found[word] = sorted({*found.get(word, []), *alike})
        candidates = {n for word in (*found, *glued) for n in self._by_anchor.get(word, ())}
        for number in sorted(candidates):  # staff order: the first expression listed is named
            pattern = self._patterns[number]
            if self._matches(pattern, found, glued, covered):
                return CrisisResult(True, pattern.original)
        for size, stems in self._stems.items():
            for position, word in enumerate(typed):
                stem = stems.get(word[:size]) if len(word) >= size else None
                if stem is not None and position not in covered:
                    return CrisisResult(True, stem.original)
        return CrisisResult(False)

    def _as_typed(
        self, typed: list[str], found: dict[str, list[tuple[int, float]]]
    ) -> dict[str, list[tuple[int, float]]]:
        """Drop inexact matches of typed words that are real words in their own right.

        The lexicon is only asked about inexact matches (it may still be loading: see
        :func:`bot.content.lexicon.background_words`)."""
        kept: dict[str, list[tuple[int, float]]] = {}
        for word, positions in found.items():
            real = [
                (position, similarity)
                for position, similarity in positions
                if typed[position] == word or typed[position] not in self._words
            ]
            if real:
                kept[word] = real
        return kept

    def _matches(
        self,
        pattern: _Pattern,
        found: dict[str, list[tuple[int, float]]],
        glued: dict[str, list[tuple[int, float]]],
        covered: set[int],
    ) -> bool:
        """Does ``pattern`` occur, with at least one content word outside ``covered``?"""
        if len(pattern.words) == 1:
            return any(
                similarity >= SINGLE_WORD_MIN and position not in covered
                for position, similarity in found.get(pattern.words[0], ())
            )
        if any(
            similarity >= GLUED_MIN and position not in covered
            for position, similarity in glued.get(pattern.glued, ())
        ):
            return True
        slots = []
        for word, optional in zip(pattern.words, pattern.optional, strict=True):
            candidates = found.get(word, [])
            if not candidates and not optional:
                return False
            slots.append((candidates, optional))
        score = match_sequence(
            slots,
            max_gap=MAX_GAP,
            min_matched=2,
            strong=STRONG_SIMILARITY,
            max_weak=pattern.max_weak,
            covered=covered,
            carrying=pattern.carrying,
        )
        return score is not None

    def _exception_spans(self, typed: list[str]) -> set[int]:
        """Positions covered by an exception, matched contiguously and strictly."""
        covered: set[int] = set()
        if not self._exceptions:
            return covered
        starts = [
            position
            for position, word in enumerate(typed)
            if self._exception_index.lookup(word, fuzzy=word not in STOP_WORDS)
        ]
        for pattern in self._exceptions:
            for start in starts:
                span = self._exception_at(pattern, typed, start)
                if span:
                    covered.update(span)
        return covered

    def _exception_at(self, pattern: _Pattern, typed: list[str], start: int) -> list[int]:
        position, span = start, []
        for word, optional in zip(pattern.words, pattern.optional, strict=True):
            if position < len(typed) and self._same(typed[position], word):
                span.append(position)
                position += 1
            elif not optional:
                return []
        needed = 1 if len(pattern.words) == 1 else EXCEPTION_MIN_MATCHED
        return span if len(span) >= needed and span[0] == start else []

    def _same(self, typed_word: str, known: str) -> bool:
        if typed_word == known:
            return True
        similarity = self._exception_index.lookup(typed_word).get(known, 0.0)
        return similarity >= min_ratio(len(known))
