"""Free-text routing: which entry point (flow) does a typed message ask for?

Two signals per target, both typo tolerant:

* keywords — words or short expressions staff list per target ("burn-out",
  "à bout"); a hit is strong evidence, scored by how well it was spelled;
* examples — full phrases; scored by how much of an example the message
  covers (IDF-weighted, so words every target shares, like "kiné", count
  little) and how much of the message the example explains.

The best signal wins, with a small bonus when several agree. Everything
text-dependent is precomputed at build time; routing looks up each typed
word once in a shared vocabulary and walks inverted indexes, so its cost
grows with the message, not with the number of targets.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, Literal

from bot.understanding.choices import match_choice
from bot.understanding.fuzzy import TokenIndex, match_sequence, positions_by_word
from bot.understanding.normalise import STOP_WORDS, tokens

__all__ = [
    "CLOSE_FLOOR",
    "CLOSE_LIMIT",
    "MARGIN",
    "T_HIGH",
    "T_LOW",
    "Decision",
    "Match",
    "Router",
    "Target",
    "match_choice",
]

T_HIGH: Final = 80.0
"""A best score at or above this may be acted on without asking..."""
MARGIN: Final = 10.0
"""...provided it leads the runner-up by at least this much."""
T_LOW: Final = 60.0
"""Below this the message is not understood: the caller shows its menu."""
CLOSE_FLOOR: Final = 40.0
"""In a "close" decision, runners-up under this are not offered."""
CLOSE_LIMIT: Final = 3
"""At most this many choices are offered in a "close" decision."""

KEYWORD_MAX_GAP: Final = 1
"""Words allowed between the words of a multi-word keyword ("à bout" in "à
deux doigts d'être à bout" still needs them adjacent but one)."""
RECALL_WEIGHT: Final = 0.75
"""Example score = 75 % share of the example found in the message + 25 % share
of the message explained by the example: long messages are not punished much."""
SUPPORT_BONUS: Final = 4.0
"""Added per extra agreeing signal (another keyword, a matching example), max 2."""
EXAMPLE_SUPPORT_MIN: Final = 50.0
"""An example score counts as agreeing with a keyword hit from this value."""
UNKNOWN_WORD_WEIGHT: Final = 1.0
"""Weight of a typed word no target knows (the weight of a word all targets share)."""


@dataclass(frozen=True)
class Target:
    """An entry point that free text may lead to (key is usually a flow name)."""

    key: str
    examples: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()


@dataclass(frozen=True)
class Match:
    """One target's score (0-100) and the staff phrase that produced it."""

    key: str
    score: float
    matched: str


@dataclass(frozen=True)
class Decision:
    """confident: act on matches[0]; close: offer matches; none: not understood."""

    kind: Literal["confident", "close", "none"]
    matches: tuple[Match, ...]


@dataclass(frozen=True)
class _Keyword:
    key: str
    original: str
    words: tuple[str, ...]


@dataclass(frozen=True)
class _Example:
    key: str
    original: str
    words: tuple[str, ...]
    weight: float


class Router:
    """Ranks targets for a typed message. Build once, route many times."""

    def __init__(self, targets: Sequence[Target]) -> None:
        self._keys: list[str] = list(dict.fromkeys(target.key for target in targets))
        self._order = {key: rank for rank, key in enumerate(self._keys)}
        keywords = [kw for target in targets for kw in _keywords_of(target)]
        raw_examples = [
            (target.key, phrase, words)
            for target in targets
            for phrase in target.examples
            if (words := _content(phrase))
        ]

        keys_by_word: dict[str, set[str]] = {}
        for kw in keywords:
            for word in kw.words:
                keys_by_word.setdefault(word, set()).add(kw.key)
        for key, _, words in raw_examples:
            for word in words:
                keys_by_word.setdefault(word, set()).add(key)
        total = len(self._keys)
        self._idf = {
            word: math.log((1 + total) / (1 + len(keys))) + 1.0
            for word, keys in keys_by_word.items()
        }
        self._index = TokenIndex(keys_by_word, prefixes=True)

        self._keywords_by_first: dict[str, list[_Keyword]] = {}
        for kw in keywords:
            self._keywords_by_first.setdefault(kw.words[0], []).append(kw)
        self._examples = [
            _Example(key, phrase, words, sum(self._idf[word] for word in words))
            for key, phrase, words in raw_examples
        ]
        self._examples_by_word: dict[str, list[int]] = {}
        for number, example in enumerate(self._examples):
            for word in example.words:
                self._examples_by_word.setdefault(word, []).append(number)

    def rank(self, text: str, limit: int = 3) -> list[Match]:
        """Best matches first, one per target key, scores in (0, 100]."""
        typed = tokens(text)
        if not typed or limit <= 0:
            return []
        found = positions_by_word(typed, self._index, exact_only=STOP_WORDS)
        keyword_hits = self._keyword_hits(found)
        example_hits = self._example_hits(typed)
        matches: list[Match] = []
        for key in set(keyword_hits) | set(example_hits):
            kw_scores = keyword_hits.get(key, [])
            kw_score, kw_phrase = max(kw_scores, default=(0.0, ""))
            ex_score, ex_phrase = example_hits.get(key, (0.0, ""))
            support = len(kw_scores) - 1 if kw_scores else 0
            if kw_scores and ex_score >= EXAMPLE_SUPPORT_MIN:
                support += 1
            best = max(kw_score, ex_score)
            score = min(100.0, best + SUPPORT_BONUS * min(support, 2))
            phrase = kw_phrase if kw_score >= ex_score else ex_phrase
            if score > 0:
                matches.append(Match(key, round(score, 1), phrase))
        matches.sort(key=lambda match: (-match.score, self._order[match.key]))
        return matches[:limit]

    def decide(self, text: str) -> Decision:
        """Turn the ranking into what the conversation should do next."""
        ranked = self.rank(text, limit=CLOSE_LIMIT)
        if not ranked or ranked[0].score < T_LOW:
            return Decision("none", ())
        best = ranked[0]
        runner_up = ranked[1].score if len(ranked) > 1 else 0.0
        if best.score >= T_HIGH and best.score - runner_up >= MARGIN:
            return Decision("confident", (best,))
        offered = tuple(match for match in ranked if match.score >= CLOSE_FLOOR)
        return Decision("close", offered)

    def _keyword_hits(
        self, found: dict[str, list[tuple[int, float]]]
    ) -> dict[str, list[tuple[float, str]]]:
        """Per key, (score, keyword) of each distinct keyword found in the message."""
        hits: dict[str, dict[str, float]] = {}
        for first in found:
            for kw in self._keywords_by_first.get(first, ()):
                if len(kw.words) == 1:
                    score: float | None = max(similarity for _, similarity in found[first])
                else:
                    slots = [(found.get(word, []), False) for word in kw.words]
                    score = match_sequence(
                        slots, max_gap=KEYWORD_MAX_GAP, min_matched=len(kw.words)
                    )
                if score is not None:
                    per_key = hits.setdefault(kw.key, {})
                    per_key[kw.original] = max(per_key.get(kw.original, 0.0), score)
        return {
            key: [(score, original) for original, score in per_key.items()]
            for key, per_key in hits.items()
        }

    def _example_hits(self, typed: list[str]) -> dict[str, tuple[float, str]]:
        """Per key, the best (score, example) by weighted coverage both ways."""
        content = list(dict.fromkeys(word for word in typed if word not in STOP_WORDS))
        if not content:
            return {}
        # For each example: best similarity per example word (recall side) and
        # per typed word (precision side).
        recall: dict[int, dict[str, float]] = {}
        precision: dict[int, dict[str, float]] = {}
        weights: list[float] = []
        for typed_word in content:
            similar = self._index.lookup(typed_word)
            weights.append(max((self._idf[word] for word in similar), default=UNKNOWN_WORD_WEIGHT))
            for word, similarity in similar.items():
                for number in self._examples_by_word.get(word, ()):
                    per_word = recall.setdefault(number, {})
                    per_word[word] = max(per_word.get(word, 0.0), similarity)
                    per_typed = precision.setdefault(number, {})
                    per_typed[typed_word] = max(per_typed.get(typed_word, 0.0), similarity)
        weight_of = dict(zip(content, weights, strict=True))
        typed_weight = sum(weights)
        best: dict[str, tuple[float, str]] = {}
        for number, per_word in recall.items():
            example = self._examples[number]
            covered = sum(self._idf[word] * sim for word, sim in per_word.items()) / example.weight
            explained = (
                sum(weight_of[word] * sim for word, sim in precision[number].items()) / typed_weight
            )
            score = RECALL_WEIGHT * covered + (1 - RECALL_WEIGHT) * explained
            if score > best.get(example.key, (0.0, ""))[0]:
                best[example.key] = (score, example.original)
        return best


def _content(phrase: str) -> tuple[str, ...]:
    """Distinct content words of a staff phrase, in order."""
    return tuple(dict.fromkeys(word for word in tokens(phrase) if word not in STOP_WORDS))


def _keywords_of(target: Target) -> list[_Keyword]:
    """A target's keywords, plus a glued form of multi-word ones ("burnout")."""
    found: list[_Keyword] = []
    for keyword in target.keywords:
        words = tuple(tokens(keyword))
        if not words:
            continue
        found.append(_Keyword(target.key, keyword, words))
        if len(words) > 1 and not any(word in STOP_WORDS for word in words):
            found.append(_Keyword(target.key, keyword, ("".join(words),)))
    return found
