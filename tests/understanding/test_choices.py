"""Typed answers to a question with buttons."""

from __future__ import annotations

import pytest

from bot.understanding.choices import match_choice

STATUS = ("Kiné libéral·e", "Kiné salarié·e", "Étudiant·e")
YES_NO = ("✅ Oui", "❌ Non")


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("1", 0),
        ("2", 1),
        (" 3 ", 2),
        ("choix 2", 1),
        ("le deuxième", 1),
        ("la première", 0),
        ("Kiné libéral", 0),
        ("KINE LIBERALE", 0),
        ("kine liberla", 0),  # typo
        ("libéral", 0),  # distinctive word
        ("liberal", 0),
        ("salarie", 1),
        ("je suis salariée", 1),
        ("étudiante", 2),
        ("etudiant", 2),
    ],
)
def test_status_answers(typed: str, expected: int) -> None:
    assert match_choice(typed, STATUS) == expected


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "😀",
        "0",
        "4",
        "12",
        "kiné",  # in two labels
        "libéral et salarié",  # two labels
        "pas libéral",  # negated
        "autre chose",
        "je ne sais pas",
    ],
)
def test_ambiguous_or_weak_answers_are_refused(typed: str) -> None:
    assert match_choice(typed, STATUS) is None


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("oui", 0), ("Oui !", 0), ("ouais", 0), ("ok", 0), ("non", 1), ("Non merci", 1), ("nan", 1)],
)
def test_yes_no(typed: str, expected: int) -> None:
    assert match_choice(typed, YES_NO) == expected


def test_a_label_that_is_a_number_wins_over_the_position() -> None:
    assert match_choice("0", ("0", "1", "2 ou plus")) == 0
    assert match_choice("3", ("0", "1", "2 ou plus")) == 2


def test_no_labels() -> None:
    assert match_choice("1", ()) is None


FIRST_SCREEN = (
    "Kiné libéral·e",
    "Kiné salarié·e",
    "Étudiant·e en kiné",
    "Proche d'un·e kiné",
    "Patient·e ou particulier",
    "Autre soignant·e",
)


@pytest.mark.parametrize(
    "typed",
    [
        "un patient m'a agressé",  # "patient" is a word of one label
        "je préférerais mourir plutôt que retourner au cabinet",
        "mon étudiant en stage me harcèle",
        "quel temps fait-il",
    ],
)
def test_a_story_that_happens_to_contain_a_label_word_is_not_an_answer(typed: str) -> None:
    assert match_choice(typed, (*FIRST_SCREEN, "↩️ Retour")) is None


def test_an_answer_with_a_few_extra_words_is_still_an_answer() -> None:
    assert match_choice("je suis kiné libéral à Caen", FIRST_SCREEN) == 0
    assert match_choice("plutôt patiente", FIRST_SCREEN) == 4


@pytest.mark.parametrize(
    ("typed", "expected"), [("oui", 0), ("Ouais", 0), ("non", 1), ("nan", 1), ("Non merci", 1)]
)
def test_yes_no_pick_the_label_that_starts_with_it(typed: str, expected: int) -> None:
    danger = ("Oui, maintenant", "Non, mais je m'inquiète", "Je ne sais pas")
    assert match_choice(typed, danger) == expected


def test_yes_no_is_refused_when_two_labels_start_with_it() -> None:
    assert match_choice("oui", ("Oui, souvent", "Oui, parfois", "Non")) is None
