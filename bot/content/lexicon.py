"""Common French words, so that a correctly spelled word is never read as a typo of another.

Typo tolerance lets "sucide" match "suicide"; without a lexicon it also lets
"créer" match "crever" and "prendre" match "pendre" ("le kiné va me prendre en
charge" raised the crisis screen). A word found in this list is a real word,
read as itself: the crisis detector only matches it exactly.

The list is pyspellchecker's French word-frequency dictionary (about 130,000
words seen at least 50 times in a large corpus of spoken French), normalised like
every typed word. Rare words are left out on purpose: a typo that happens to be a
rare word ("envi" for "envie") keeps its typo tolerance. Loaded once per process.
"""

from __future__ import annotations

import gzip
import json
import logging
import unicodedata
from functools import lru_cache
from importlib import resources

log = logging.getLogger(__name__)

PACKAGE = "spellchecker"
RESOURCE = "resources/fr.json.gz"
_LIGATURES = str.maketrans({"œ": "oe", "æ": "ae"})
"""As in :func:`bot.understanding.normalise.normalise`, which every typed word goes through."""


@lru_cache(maxsize=1)
def common_words() -> frozenset[str]:
    """Normalised single-word forms of the French frequency list (empty if it is missing)."""
    try:
        raw = (resources.files(PACKAGE) / RESOURCE).read_bytes()
        counts = json.loads(gzip.decompress(raw))
    except (ModuleNotFoundError, OSError, ValueError) as exc:  # pragma: no cover - install fault
        log.error("French word list unavailable (%s): typo tolerance is unguarded", exc)
        return frozenset()
    words = set()
    for word in counts:
        if not word.isalpha():
            continue
        if word.isascii():
            words.add(word.lower())
        else:
            folded = unicodedata.normalize("NFKD", word.casefold().translate(_LIGATURES))
            words.add("".join(ch for ch in folded if not unicodedata.combining(ch)))
    return frozenset(words)
