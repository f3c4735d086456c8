"""Free-text routing: which entry point (flow) does a typed message ask for?

Two signals per target, both typo tolerant:

* keywords — words or short expressions staff list per target ("burn-out",
  "à bout"); a hit is strong evidence, scored by how well it was spelled;
* examples — full phrases; scored by how much of an example the message
  covers (IDF-weighted, so words every target shares, like "kiné", count
  little) and how much of the message the example explains.

The best signal wins, with a small bonus when several agree (only signals
that cover other typed words count: "violences" matching both "violence"
and "violences" is one piece of evidence). A keyword found inside a longer
keyword of another target yields to it: "violences conjugales" is not also
the hub "violences", "agression sexuelle" not an "agression" by a patient.

Everything text-dependent is precomputed at build time; routing looks up each typed
word once in a shared vocabulary and walks inverted indexes, so its cost
follows the message and how many phrases share its words, never a scan of
every phrase.
"""

from __future__ import annotations

import heapq
import math
from collections import defaultdict
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
"""Other words allowed between two words of a multi-word keyword: "arrêt de
travail" still matches "arrêt de mon travail"."""
RECALL_WEIGHT: Final = 0.75
"""Example score = 75 % share of the example found in the message + 25 % share
of the message explained by the example: long messages are not punished much."""
SUPPORT_BONUS: Final = 4.0
"""Added per extra agreeing signal (a keyword on other typed words, a matching
example), max 2.
The bonus counts in a match's ``strength`` (used to rank and for the margin)
even above 100, so that more evidence can separate two exact keyword hits;
the displayed ``score`` is capped at 100."""
MAX_SUPPORT: Final = 2
EXAMPLE_SUPPORT_MIN: Final = 50.0
"""An example score counts as agreeing with a keyword hit from this value."""
CORPUS_STOP_SHARE: Final = 0.5
CORPUS_STOP_MIN_TARGETS: Final = 8
"""With at least 8 targets, an example word found in more than half of them
("patient", "cabinet") is ignored like a stop word unless it is also a keyword:
it tells targets apart no better than "le", and skipping it keeps routing fast."""
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
    """One target's score (0-100) and the staff phrase that produced it.

    ``strength`` is the score before the 100 cap (best signal plus support
    bonus): it orders matches and decides the margin.
    """

    key: str
    score: float
    matched: str
    strength: float = 0.0


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
    glued: bool = False
    """A form derived by gluing a multi-word keyword ("burnout" from "burn-out")."""


@dataclass(frozen=True)
class _Hit:
    """A keyword found in the message, and the typed positions its words were found at."""

    original: str
    score: float
    positions: frozenset[int]
    length: int
    literal: bool


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
        keyword_words = {word for kw in keywords for word in kw.words}
        self._corpus_stop = frozenset(
            word
            for word, keys in keys_by_word.items()
            if total >= CORPUS_STOP_MIN_TARGETS
            and len(keys) > CORPUS_STOP_SHARE * total
            and word not in keyword_words
        )
        raw_examples = [
            (key, phrase, kept)
            for key, phrase, words in raw_examples
            if (kept := tuple(word for word in words if word not in self._corpus_stop))
        ]

        # Each keyword is filed under its rarest word: a keyword can only be found if
        # that word was typed, and common words ("il", "est") would list thousands.
        keyword_count: dict[str, int] = {}
        for kw in keywords:
            for word in set(kw.words):
                keyword_count[word] = keyword_count.get(word, 0) + 1
        self._keywords_by_anchor: dict[str, list[_Keyword]] = {}
        for kw in keywords:
            anchor = min(kw.words, key=lambda word: (keyword_count[word], word))
            self._keywords_by_anchor.setdefault(anchor, []).append(kw)
        self._examples = [
            _Example(key, phrase, words, sum(self._idf[word] for word in words))
            for key, phrase, words in raw_examples
        ]
        # word -> (example number, share of that example's weight the word carries)
        self._postings: dict[str, list[tuple[int, float]]] = {}
        for number, example in enumerate(self._examples):
            for word in example.words:
                share = self._idf[word] / example.weight
                self._postings.setdefault(word, []).append((number, share))

    def rank(self, text: str, limit: int = 3) -> list[Match]:
        """Best matches first, one per target key, scores in (0, 100]."""
        typed = tokens(text)
        if not typed or limit <= 0:
            return []
        found = positions_by_word(typed, self._index, exact_only=STOP_WORDS)
        keyword_hits = self._keyword_hits(found)
        example_hits = self._example_hits(typed)
        ranked: list[tuple[float, int, str, str]] = []
        for key in keyword_hits.keys() | example_hits.keys():
            kw_hits = keyword_hits.get(key)
            ex_score, ex_phrase = example_hits.get(key, (0.0, ""))
            if kw_hits:
                kw_score, phrase = kw_hits[0].score, kw_hits[0].original
                support = _distinct_evidence(kw_hits) - 1 if len(kw_hits) > 1 else 0
                support += ex_score >= EXAMPLE_SUPPORT_MIN
                if ex_score > kw_score:
                    phrase = ex_phrase
                best = max(kw_score, ex_score)
            else:
                support, best, phrase = 0, ex_score, ex_phrase
            strength = round(best + SUPPORT_BONUS * min(support, MAX_SUPPORT), 1)
            if strength > 0:
                ranked.append((-strength, self._order[key], key, phrase))
        return [
            Match(key, min(100.0, -strength), phrase, -strength)
            for strength, _, key, phrase in heapq.nsmallest(limit, ranked)
        ]

    def decide(self, text: str) -> Decision:
        """Turn the ranking into what the conversation should do next."""
        ranked = self.rank(text, limit=CLOSE_LIMIT)
        if not ranked or ranked[0].score < T_LOW:
            return Decision("none", ())
        best = ranked[0]
        runner_up = ranked[1].strength if len(ranked) > 1 else 0.0
        if best.score >= T_HIGH and best.strength - runner_up >= MARGIN:
            return Decision("confident", (best,))
        offered = tuple(match for match in ranked if match.score >= CLOSE_FLOOR)
        return Decision("close", offered)

    def _keyword_hits(self, found: dict[str, list[tuple[int, float]]]) -> dict[str, list[_Hit]]:
        """Per key, the keywords found in the message, best first.

        A keyword whose typed positions all lie inside a longer keyword of
        another key found in the same message is dropped.
        """
        hits: dict[str, dict[str, _Hit]] = {}
        where = {word: frozenset(p for p, _ in positions) for word, positions in found.items()}
        for anchor in found:
            for kw in self._keywords_by_anchor.get(anchor, ()):
                if len(kw.words) == 1:
                    score: float | None = max(similarity for _, similarity in found[anchor])
                    positions = where[anchor]
                elif not all(word in found for word in kw.words):
                    continue  # a word of it was not typed: no need to align
                else:
                    slots = [(found[word], False) for word in kw.words]
                    score = match_sequence(
                        slots, max_gap=KEYWORD_MAX_GAP, min_matched=len(kw.words)
                    )
                    positions = frozenset().union(*(where[word] for word in kw.words))
                if score is None:
                    continue
                per_key = hits.setdefault(kw.key, {})
                hit = _Hit(kw.original, score, positions, len(kw.words), not kw.glued)
                known = per_key.get(kw.original)
                if known is None or known.score < score:
                    per_key[kw.original] = hit
        every = [(key, hit) for key, per_key in hits.items() for hit in per_key.values()]
        # Only multi-word hits can silence another one: compare with those alone.
        longer = [(key, hit) for key, hit in every if hit.length > 1]
        kept: dict[str, list[_Hit]] = {}
        for key, hit in every:
            if not any(
                other_key != key and other.length > hit.length and hit.positions <= other.positions
                for other_key, other in longer
            ):
                kept.setdefault(key, []).append(hit)
        for per_key_hits in kept.values():
            per_key_hits.sort(key=lambda hit: (-hit.score, -hit.length, not hit.literal))
        return kept

    def _example_hits(self, typed: list[str]) -> dict[str, tuple[float, str]]:
        """Per key, the best (score, example) by weighted coverage both ways.

        covered: IDF share of the example's words found in the message;
        explained: weight share of the typed words found in the example.
        One pass over the postings of the matched words, so cost follows the
        message and the words' frequency, not the number of examples.
        """
        content = list(
            dict.fromkeys(
                word for word in typed if word not in STOP_WORDS and word not in self._corpus_stop
            )
        )
        if not content:
            return {}
        # Best similarity of each known word to any typed word, and that typed word's weight.
        best_similarity: dict[str, float] = {}
        typed_weight_of: dict[str, float] = {}
        typed_weight = 0.0
        for typed_word in content:
            similar = self._index.lookup(typed_word)
            weight = max((self._idf[word] for word in similar), default=UNKNOWN_WORD_WEIGHT)
            typed_weight += weight
            for word, similarity in similar.items():
                if similarity > best_similarity.get(word, 0.0):
                    best_similarity[word] = similarity
                    typed_weight_of[word] = weight
        covered: defaultdict[int, float] = defaultdict(float)
        explained: defaultdict[int, float] = defaultdict(float)
        for word, similarity in best_similarity.items():
            gain = similarity * typed_weight_of[word] / typed_weight
            for number, share in self._postings.get(word, ()):
                covered[number] += similarity * share
                explained[number] += gain
        best_number: dict[str, tuple[float, int]] = {}
        for number, found in covered.items():
            share = explained[number]
            score = RECALL_WEIGHT * found + (1 - RECALL_WEIGHT) * (share if share < 100 else 100.0)
            key = self._examples[number].key
            if score > best_number.get(key, (0.0, 0))[0]:
                best_number[key] = (score, number)
        return {
            key: (score, self._examples[number].original)
            for key, (score, number) in best_number.items()
        }


def _content(phrase: str) -> tuple[str, ...]:
    """Distinct content words of a staff phrase, in order."""
    return tuple(dict.fromkeys(word for word in tokens(phrase) if word not in STOP_WORDS))


def _distinct_evidence(hits: Sequence[_Hit]) -> int:
    """How many of ``hits`` (best first) each cover typed words the previous ones did not."""
    seen: set[int] = set()
    count = 0
    for hit in hits:
        if not hit.positions <= seen:
            count += 1
            seen |= hit.positions
    return count


def _keywords_of(target: Target) -> list[_Keyword]:
    """A target's keywords, plus a glued form of multi-word ones ("burnout")."""
    found: list[_Keyword] = []
    for keyword in target.keywords:
        words = tuple(tokens(keyword))
        if not words:
            continue
        found.append(_Keyword(target.key, keyword, words))
        if len(words) > 1 and not any(word in STOP_WORDS for word in words):
            found.append(_Keyword(target.key, keyword, ("".join(words),), glued=True))
    return found
