"""What the start does not pay for: the studio and the evaluation (not imported by ``chat``
and ``run``), and the common-word lexicon (loaded in the background, folded exactly as typed
words are). The start's speed itself is measured by ``benchmarks/telegram_bot.py``."""

from __future__ import annotations

import subprocess
import sys
import unicodedata

import pytest

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


IMPORTS = """
import sys
from bot.cli import build_parser
args = build_parser([COMMAND]).parse_args([COMMAND])
import bot.channels.console, bot.service
if COMMAND == "run":
    import bot.channels.telegram.runner
print(" ".join(sorted(m for m in sys.modules if m.startswith(("bot.studio", "bot.evaluation",
      "tornado", "spellchecker")))))
"""


@pytest.mark.parametrize("command", ["chat", "run"])
def test_chat_and_run_start_without_the_studio_or_the_evaluation(command: str) -> None:
    code = IMPORTS.replace("COMMAND", repr(command))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    imported = out.stdout.split()
    assert not [m for m in imported if m.startswith(("bot.studio", "bot.evaluation"))]
    assert "spellchecker" not in imported  # the lexicon file is found without importing it
    if command == "chat":  # run gets tornado from python-telegram-bot's webhook support
        assert not [m for m in imported if m.startswith("tornado")]
