"""The common-word lexicon: loaded in the background, and folded exactly as typed words are."""

from __future__ import annotations

import unicodedata

from bot.content.lexicon import BackgroundWords, _fold_all, common_words
from bot.understanding.normalise import normalise


def _one_by_one(word: str) -> str:
    """The word-by-word folding the lexicon used before it folded all words at once."""
    folded = unicodedata.normalize("NFKD", word.casefold().replace("œ", "oe").replace("æ", "ae"))
    return "".join(ch for ch in folded if not unicodedata.combining(ch))


def test_folding_all_words_at_once_is_folding_each_word() -> None:
    words = ["Œuvre", "élève", "ÆTHER", "straße", "Noël", "ça", "naïve", "kiné", "ĳssel", "ǅemal"]
    assert _fold_all([*words, "l'eau", "abc1", "", "deux mots"]) == {_one_by_one(w) for w in words}
    for word in words[:8]:  # and as the crisis detector reads a typed French word
        assert normalise(word) == _one_by_one(word), word


def test_a_word_asked_before_the_background_load_is_answered_at_once() -> None:
    lexicon = BackgroundWords(delay=3600)  # would wait an hour unless asked
    assert "creer" in lexicon and "sucide" not in lexicon
    assert lexicon.words == common_words()
    assert {"prendre", "xyzzy"} & lexicon == {"prendre"}
