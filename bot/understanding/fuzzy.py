"""Token-level fuzzy matching whose typo tolerance grows with word length.

Comparing whole messages hides typos inside long sentences, so matchers
compare word to word: "acident" is close to "accident", yet "aide" must
not match "aine". Short words therefore need exact matches and long words
tolerate one or two slips. Scores are rapidfuzz ``fuzz.ratio`` (0-100) on
already normalised tokens, hence ``processor=None``.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping, Sequence, Set
from typing import Final

from rapidfuzz import fuzz, process

PREFIX_SIMILARITY: Final = 90.0
"""Score given when a typed word extends a known word ("sectes", "epuisement" for
"secte", "epuise"): French inflects by suffix."""
PREFIX_MIN_LEN: Final = 5
PREFIX_MAX_SUFFIX: Final = 4
SILENT_H_MIN: Final = 90.0
"""People rarely mistype a first letter, while different words often share their
ending ("depuis"/"epuise", "courir"/"mourir"): fuzzy matches keep the first
letter, except a dropped silent h ("ospitalise"), which needs this similarity.
Searching one first letter is also what keeps lookups fast on big vocabularies."""
GLUED_ELISION_SIMILARITY: Final = 90.0
"""Score of a known word typed with an elided article glued on ("lair", "denvie")."""
_ELIDED_INITIALS: Final = frozenset("cdjlmnst")
_ELISION_ONSETS: Final = frozenset("aeiouyh")
MIN_FUZZY_QUERY_LEN: Final = 3
"""Typed words shorter than this are only looked up exactly."""
_CACHE_SIZE: Final = 4_096


def min_ratio(length: int, *, lenient: bool = False) -> float:
    """Smallest ``fuzz.ratio`` accepted against a known word of ``length`` chars.

    Standard: exact up to 3 letters, about one slip up to 7, two beyond.
    Lenient (crisis, where a miss is worse than a false alarm): exact up to
    2 letters, then roughly one slip in four letters.
    """
    if lenient:
        if length <= 2:
            return 100.0
        return 80.0 if length == 3 else 75.0
    if length <= 3:
        return 100.0
    if length == 4:
        return 85.0
    return 80.0 if length <= 7 else 75.0


class TokenIndex:
    """A vocabulary of known words, queried with typed words.

    Built once; ``lookup`` is called per typed word and memoised because
    users reuse the same few hundred words.
    """

    def __init__(
        self, vocabulary: Iterable[str], *, lenient: bool = False, prefixes: bool = False
    ) -> None:
        self._known: frozenset[str] = frozenset(vocabulary) - {""}
        # first letter -> (words sorted by length, their lengths)
        self._buckets: dict[str, tuple[list[str], list[int]]] = {}
        for word in sorted(self._known, key=len):
            words, lengths = self._buckets.setdefault(word[0], ([], []))
            words.append(word)
            lengths.append(len(word))
        self._lenient = lenient
        self._prefixes = prefixes
        self._floor = min_ratio(8, lenient=lenient)
        self._cache: dict[tuple[str, bool], Mapping[str, float]] = {}

    def __contains__(self, word: object) -> bool:
        return word in self._known

    def lookup(self, token: str, *, fuzzy: bool = True) -> Mapping[str, float]:
        """Known words similar enough to ``token``, with their similarity (0-100)."""
        key = (token, fuzzy)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        found = self._compute(token, fuzzy)
        if len(self._cache) >= _CACHE_SIZE:
            self._cache.clear()
        self._cache[key] = found
        return found

    def _compute(self, token: str, fuzzy: bool) -> Mapping[str, float]:
        found: dict[str, float] = {}
        if token in self._known:
            found[token] = 100.0
        if not fuzzy or len(token) < MIN_FUZZY_QUERY_LEN:
            return found
        for word, score in self._search(token, token[0], self._floor):
            if score >= min_ratio(len(word), lenient=self._lenient):
                found[word] = max(found.get(word, 0.0), score)
        if token[0] != "h":
            for word, score in self._search(token, "h", SILENT_H_MIN):
                found[word] = max(found.get(word, 0.0), score)
        rest = token[1:]
        if (
            token[0] in _ELIDED_INITIALS
            and len(rest) >= 3
            and rest[0] in _ELISION_ONSETS
            and rest in self._known
        ):
            found[rest] = max(found.get(rest, 0.0), GLUED_ELISION_SIMILARITY)
        if self._prefixes:
            for cut in range(max(PREFIX_MIN_LEN, len(token) - PREFIX_MAX_SUFFIX), len(token)):
                stem = token[:cut]
                if stem in self._known:
                    found[stem] = max(found.get(stem, 0.0), PREFIX_SIMILARITY)
        return found

    def _search(self, token: str, first: str, cutoff: float) -> list[tuple[str, float]]:
        """fuzz.ratio >= cutoff among known words starting with ``first``."""
        bucket = self._buckets.get(first)
        if bucket is None:
            return []
        words, lengths = bucket
        # ratio = 2*common/(a+b): a length gap alone caps it, so only a band of
        # the length-sorted bucket can reach the cutoff.
        share = cutoff / 100.0
        lo = bisect_left(lengths, int(len(token) * share / (2 - share)))
        hi = bisect_right(lengths, int(len(token) * (2 - share) / share) + 1)
        return [
            (word, float(score))
            for word, score, _ in process.extract(
                token,
                words[lo:hi],
                scorer=fuzz.ratio,
                processor=None,
                limit=None,
                score_cutoff=cutoff,
            )
        ]


def positions_by_word(
    message: Sequence[str], index: TokenIndex, *, exact_only: Set[str] = frozenset()
) -> dict[str, list[tuple[int, float]]]:
    """Map each known word to the (position, similarity) pairs where it was typed.

    Typed words in ``exact_only`` (typically stop words, which users spell
    right) skip the fuzzy search.
    """
    found: dict[str, list[tuple[int, float]]] = {}
    for position, token in enumerate(message):
        for word, score in index.lookup(token, fuzzy=token not in exact_only).items():
            found.setdefault(word, []).append((position, score))
    return found


def match_sequence(
    slots: Sequence[tuple[Sequence[tuple[int, float]], bool]],
    *,
    max_gap: int,
    min_matched: int,
    strong: float = 0.0,
    max_weak: int | None = None,
    covered: Set[int] = frozenset(),
    carrying: Sequence[bool] | None = None,
) -> float | None:
    """Best mean similarity of an in-order match of ``slots``, or None.

    Each slot is (candidate (position, similarity) pairs sorted by position,
    optional?). Consecutive matched words may have at most ``max_gap`` other
    words between them; optional slots may be skipped. At most ``max_weak``
    matched words may score below ``strong``, at least ``min_matched`` words
    must match, and at least one word of a slot that carries the meaning
    (``carrying``; by default the required slots) must be matched outside
    ``covered`` (spans neutralised by exceptions): a function word ("il", "je")
    outside an exception does not carry the meaning, even when it is required.
    """
    carries = [not optional for _, optional in slots] if carrying is None else list(carrying)
    # state: (last position, weak count, matched count, any outside covered) -> best sum
    states: dict[tuple[int, int, int, bool], float] = {(-1, 0, 0, False): 0.0}
    for (candidates, optional), carrier in zip(slots, carries, strict=True):
        positions = [position for position, _ in candidates]
        following: dict[tuple[int, int, int, bool], float] = dict(states) if optional else {}
        for (last, weak, count, outside), total in states.items():
            if count == 0:
                window = candidates
            else:
                lo = bisect_right(positions, last)
                hi = bisect_right(positions, last + 1 + max_gap)
                window = candidates[lo:hi]
            for position, similarity in window:
                weak_after = weak + (similarity < strong)
                if max_weak is not None and weak_after > max_weak:
                    continue
                free = outside or (carrier and position not in covered)
                key = (position, weak_after, count + 1, free)
                score = total + similarity
                if following.get(key, -1.0) < score:
                    following[key] = score
        states = following
        if not states:
            return None
    means = [
        total / count
        for (_, _, count, outside), total in states.items()
        if count >= min_matched and outside
    ]
    return max(means, default=None)
