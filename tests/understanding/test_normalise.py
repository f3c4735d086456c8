"""Normalisation: what a French reader takes as the same words must compare equal."""

from __future__ import annotations

import pytest
from rapidfuzz import fuzz

from bot.understanding.normalise import MAX_INPUT_CHARS, content_words, normalise


def test_accents_case_and_punctuation_do_not_matter() -> None:
    assert normalise("FIÈVRE") == normalise("fièvre") == normalise(" fievre!") == "fievre"


def test_rapidfuzz_alone_would_not_see_them_equal() -> None:
    # Why we normalise ourselves: rapidfuzz's scorers compare raw characters.
    assert fuzz.WRatio("FIEVRE", "fievre") == 0
    assert fuzz.WRatio(normalise("FIEVRE"), normalise("fievre")) == 100


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("J'ai mal", "ai mal"),
        ("J’ai mal", "ai mal"),  # typographic apostrophe
        ("jai mal", "ai mal"),
        ("j ai mal", "ai mal"),
        ("jveux partir", "veux partir"),
        ("jveu partir", "veux partir"),
        ("chui fatigué", "suis fatigue"),
        ("jsuis fatigué", "suis fatigue"),
        ("qu'il parte", "il parte"),
        ("jusqu'au bout", "au bout"),
        ("lorsqu'elle", "elle"),
        ("c'est l'URSSAF", "est urssaf"),
        ("aujourd'hui", "aujourdhui"),
    ],
)
def test_elisions_and_glued_pronouns(typed: str, expected: str) -> None:
    assert normalise(typed) == expected


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("pk tu dis ça", "pourquoi tu dis ca"),
        ("bcp de patients", "beaucoup de patients"),
        ("tjrs pareil", "toujours pareil"),
        ("qqn m'aide", "quelqu un aide"),
        ("jen peux plu", "en peux plus"),
        ("seine st denis", "seine saint denis"),
    ],
)
def test_sms_spellings(typed: str, expected: str) -> None:
    assert normalise(typed) == expected


def test_ligatures_inclusive_writing_and_stretched_letters() -> None:
    assert normalise("Œuvre sociale") == "oeuvre sociale"
    assert normalise("Kiné libéral·e") == "kine liberal"
    assert normalise("salarié·e·s") == "salarie"
    assert normalise("mouriiiir") == "mourir"
    assert normalise("Bouches-du-Rhône") == "bouches du rhone"


def test_numbers_are_kept() -> None:
    assert normalise("j'exerce à 14000") == "exerce a 14000"
    assert normalise("Corse 2A") == "corse 2a"
    assert normalise("n°14") == "14"


def test_invisible_and_control_characters() -> None:
    assert normalise("fi\u200bèvre") == "fievre"  # zero-width space inside a word
    assert normalise("\ufeffbonjour\x00toi") == "bonjour toi"
    assert normalise("😢🙏") == ""
    assert normalise(" \n\t ") == ""


def test_input_is_truncated_before_work() -> None:
    assert len(normalise("a " * 10_000).split()) == MAX_INPUT_CHARS // 2


def test_content_words_keep_negations_and_me() -> None:
    assert content_words("Je n'ai plus envie de vivre") == ["plus", "envie", "vivre"]
    assert content_words("il ne me parle jamais") == ["ne", "me", "parle", "jamais"]
    assert content_words("rien ne va pas") == ["rien", "ne", "va", "pas"]
    assert content_words("le la les de du des") == []


def test_sms_names_of_medicines() -> None:
    assert normalise("j'ai stocké des médocs") == "ai stocke des medicaments"
