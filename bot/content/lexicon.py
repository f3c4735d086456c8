"""Common French words, so that a correctly spelled word is never read as a typo of another.

Typo tolerance lets "sucide" match "suicide"; without a lexicon it also lets
"créer" match "crever" and "prendre" match "pendre" ("le kiné va me prendre en
charge" raised the crisis screen). A word found in this list is a real word,
read as itself: the crisis detector only matches it exactly.

The list is pyspellchecker's French word-frequency dictionary (about 130,000
words seen at least 50 times in a large corpus of spoken French), normalised like
every typed word. Rare words are left out on purpose: a typo that happens to be a
rare word ("envi" for "envie") keeps its typo tolerance. Loaded once per process.

Loading costs about 90 ms of CPU, which ``entraide run`` must not spend before it polls
Telegram: :func:`background_words` returns a set loaded by a thread a moment after start
(or at once when first needed), and ``in`` waits for the load if asked earlier. The crisis
detector only asks when a typed word nearly matches a crisis word, so a person in danger
is never answered without it: at worst the first such message waits for the load.
"""

from __future__ import annotations

import logging
import threading
import unicodedata
from collections.abc import Iterable, Iterator, Set
from functools import lru_cache
from importlib.util import find_spec
from pathlib import Path
from typing import Final, TypeVar

log = logging.getLogger(__name__)

PACKAGE = "spellchecker"
RESOURCE = "resources/fr.json.gz"
_T = TypeVar("_T")


def _fold_all(words: Iterable[str]) -> frozenset[str]:
    """Each alphabetic word, normalised as :func:`bot.understanding.normalise.normalise`
    normalises a typed word (lower case, œ/æ spelled out, accents dropped).

    Done on all words at once, joined by newlines: casefold, NFKD and removing combining
    marks act on each character (a newline stops canonical reordering), so the result is
    the same as word by word, at a fraction of the cost of a Python loop.
    """
    joined = "\n".join(word for word in words if word.isalpha())
    folded = unicodedata.normalize(
        "NFKD", joined.casefold().replace("œ", "oe").replace("æ", "ae")
    )
    for mark in {ch for ch in set(folded) if unicodedata.combining(ch)}:
        folded = folded.replace(mark, "")  # a handful of marks: faster than str.translate
    words = frozenset(folded.split("\n"))
    return words - {""} if "" in words else words


def _keys(text: str) -> list[str]:
    """The keys of the frequency dictionary (``{"mot": 50, ...}``).

    The file holds no escaped character, so every key is what lies between a pair of
    quotes; anything else falls back to the JSON parser.
    """
    if "\\" in text:
        import json

        return list(json.loads(text))
    return text.split('"')[1::2]


def _load() -> frozenset[str]:
    """Read and fold the list (in the loading thread: even its imports stay off the start;
    the file is found without importing pyspellchecker or ``importlib.resources``)."""
    import gzip

    try:
        spec = find_spec(PACKAGE)
        if spec is None or spec.origin is None:
            raise ModuleNotFoundError(PACKAGE)
        raw = (Path(spec.origin).parent / RESOURCE).read_bytes()
        return _fold_all(_keys(gzip.decompress(raw).decode("utf-8")))
    except (ModuleNotFoundError, OSError, ValueError) as exc:  # pragma: no cover - install fault
        log.error("French word list unavailable (%s): typo tolerance is unguarded", exc)
        return frozenset()


IDLE_DELAY: Final = 1.0
"""Seconds the background load waits before it starts, unless the words are needed first:
a thread loading at once would compete (the GIL) with the start it is meant to stay out of."""


class BackgroundWords(Set[str]):
    """A set of words loaded by a thread; any use waits for the load to finish.

    The thread waits :data:`IDLE_DELAY` (the bot meanwhile starts polling), then loads; the
    first use before that starts the load at once and waits for it.
    """

    def __init__(self, delay: float = IDLE_DELAY) -> None:
        self._words: frozenset[str] = frozenset()
        self._wanted = threading.Event()
        self._ready = threading.Event()
        self._delay = delay
        self._thread = threading.Thread(target=self._run, name="entraide:lexicon", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self._wanted.wait(self._delay)
            self._words = _load()
        finally:
            self._ready.set()

    @property
    def words(self) -> frozenset[str]:
        if not self._ready.is_set():
            self._wanted.set()
            self._ready.wait()
        return self._words

    def __contains__(self, word: object) -> bool:
        return word in self.words

    def __iter__(self) -> Iterator[str]:
        return iter(self.words)

    def __len__(self) -> int:
        return len(self.words)

    @classmethod
    def _from_iterable(cls, it: Iterable[_T]) -> frozenset[_T]:
        """``&``, ``|``, ``-`` give plain frozensets (the base would build a loader)."""
        return frozenset(it)


@lru_cache(maxsize=1)
def background_words() -> BackgroundWords:
    """The lexicon of :func:`common_words`, loading in a thread from the first call on."""
    return BackgroundWords()


def common_words() -> frozenset[str]:
    """Normalised single-word forms of the French frequency list (empty if it is missing)."""
    return background_words().words
