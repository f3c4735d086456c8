"""Crisis detection: recall first. A miss can cost a life; a false alarm costs a message.

Decision on "je suis mort de fatigue": it is an idiom for exhaustion (routed to
burn-out), not a crisis, so the staff list has it as an exception. Exceptions
only neutralise the words they cover, so the same message with "envie de
mourir" elsewhere still raises the alarm.
"""

from __future__ import annotations

import pytest

from bot.understanding.crisis import CrisisDetector

EXPRESSIONS = (
    "envie de mourir",
    "je veux mourir",
    "en finir",
    "me suicider",
    "suicide",
    "suicider",
    "me tuer",
    "plus envie de vivre",
    "plus la force de vivre",
    "me foutre en l air",
    "sauter du pont",
    "sauter par la fenêtre",
    "mettre fin à mes jours",
    "il va me tuer",
    "il me frappe",
    "me frappe",
    "il m'a frappé",
    "je suis en danger",
    "suis en danger",
    "en danger chez moi",
    "disparaître",
)
EXCEPTIONS = (
    "mort de rire",
    "mourir de rire",
    "je meurs de faim",
    "tuer le temps",
    "mdr",
    "mort de fatigue",
)


@pytest.fixture(scope="module")
def detector() -> CrisisDetector:
    return CrisisDetector(EXPRESSIONS, EXCEPTIONS)


@pytest.mark.parametrize(
    "typed",
    [
        "j'ai envie de mourir",
        "J’ai envie de mourir",
        "ENVIE DE MOURIR",
        "envie de mourir 😢",
        "jai envie dmourir",
        "g envie de mourir",
        "j ai envi 2 mourir",
        "envi de mourrir",
        "envie vraiment de mourir",
        "envie de mouriiiir",
        "jveu mourir",
        "je ve mourir",
        "je veu mourrir",
        "je veux en finir",
        "jen peux plu je veux en finir",
        "envie d'en finir",
        "enfinir",
        "je n'ai plus envie de vivre",
        "pluw envie de vivre",
        "jai pu envie de vivre",
        "j'ai pas envie de vivre",
        "je n'ai plus la force de vivre",
        "je veux me suicider",
        "me sucider",
        "je pense à me suicidé",
        "jvais me suisider",
        "je pense au suicide",
        "suicid",
        "je suis suicidaire",
        "idées suicidaires",
        "je vais me tuer",
        "jvé me tuer",
        "me tuééé",
        "je vais me foutre en l'air",
        "me foutre en lair",
        "je vais sauter d'un pont",
        "je vais sauter par la fenetre",
        "je veux mettre fin a mes jours",
        "mon mari me frappe",
        "il m'a frappé encore",
        "il va me tuer",
        "je suis en danger",
        "jsuis en danger",
        "je me sens en danger chez moi",
        "envie  de\u200b mourir",
        "je voudrais disparaitre",
    ],
)
def test_crisis_phrasings_raise_the_alarm(detector: CrisisDetector, typed: str) -> None:
    result = detector.detect(typed)
    assert result.is_crisis
    assert result.matched in EXPRESSIONS


@pytest.mark.parametrize(
    "typed",
    [
        "je suis mort de rire",
        "je suis morte de rire",
        "mdr",
        "je meurs de faim",
        "on joue aux cartes pour tuer le temps",
        "je suis mort de fatigue",
        "",
        "🙂",
        "bonjour",
        "je suis kiné libéral dans le Calvados",
        "un patient m'a menacé au cabinet",
        "je suis épuisée, je travaille 60h par semaine",
        "mon patient a fini sa rééducation",
        "j'ai envie de vivre à la mer",
        "je veux courir un marathon",
        "je veux changer de vie",
        "je voudrais mettre fin à mon contrat de collaboration",
        "le patient veut sauter les séances",
        "je me suis blessé au dos en portant un patient",
        "mon patient est décédé",
        "je travaille depuis dix ans",
        "mon dossier a disparu",
    ],
)
def test_everyday_messages_and_figures_of_speech_stay_calm(
    detector: CrisisDetector, typed: str
) -> None:
    assert detector.detect(typed).is_crisis is False


@pytest.mark.parametrize(
    "typed",
    [
        "je suis mort de fatigue et j'ai envie de mourir",
        "mdr j'ai envie de mourir",
        "je suis mort de rire mais au fond je veux en finir",
    ],
)
def test_an_exception_never_hides_a_crisis_elsewhere(detector: CrisisDetector, typed: str) -> None:
    assert detector.detect(typed).is_crisis


def test_idioms_fire_until_staff_list_them_as_exceptions() -> None:
    # "ça me tue" is an idiom, but when unsure the product prefers the alarm.
    assert CrisisDetector(EXPRESSIONS, EXCEPTIONS).detect("ça me tue de voir ça").is_crisis
    calmer = CrisisDetector(EXPRESSIONS, (*EXCEPTIONS, "ça me tue de"))
    assert not calmer.detect("ça me tue de voir ça").is_crisis
    assert calmer.detect("ça me tue de voir ça, je vais me tuer").is_crisis


def test_crisis_deep_in_a_long_message_is_found(detector: CrisisDetector) -> None:
    text = "je raconte ma journée. " * 400 + "et j'ai envie de mourir"
    assert len(text) > 9_000
    assert detector.detect(text).is_crisis


def test_strange_inputs_do_not_raise(detector: CrisisDetector) -> None:
    for text in ["\x00" * 100, "\ud800\udfff", "🔥" * 10_000, "a\u0301" * 5_000, "x" * 10_000]:
        assert detector.detect(text).is_crisis is False


def test_matched_is_the_staff_expression_not_user_text(detector: CrisisDetector) -> None:
    assert detector.detect("JVEU MOURIR!!!").matched == "je veux mourir"


def test_empty_lists() -> None:
    assert CrisisDetector([], []).detect("envie de mourir").is_crisis is False
    assert CrisisDetector(["", "  "], [""]).detect("envie de mourir").is_crisis is False


def test_every_word_of_an_exception_must_be_typed() -> None:
    # "ça" is a function word, yet "ça me tue" must not shrink to "me tue" and hide "il me tue".
    detector = CrisisDetector(["me tuer"], ["ça me tue"])
    assert not detector.detect("ça me tue de voir ça").is_crisis
    assert detector.detect("il me tue").is_crisis


def test_a_function_word_outside_an_exception_does_not_carry_the_alarm() -> None:
    detector = CrisisDetector(["il me bat"], ["se bat contre"])
    assert not detector.detect("il se bat contre un cancer").is_crisis
    assert detector.detect("il me bat").is_crisis
    assert detector.detect("il se bat contre la maladie et il me bat").is_crisis


@pytest.mark.parametrize(
    ("typed", "expression"),
    [
        ("il va se pendre", "me pendre"),
        ("elle m'a dit qu'elle allait se noyer", "me noyer"),
        ("il m'a écrit : je vais te tuer", "me tuer"),
    ],
)
def test_reflexive_pronouns_are_interchangeable(typed: str, expression: str) -> None:
    assert CrisisDetector([expression]).detect(typed).is_crisis


def test_an_expression_of_only_negations_and_function_words_needs_every_word() -> None:
    detector = CrisisDetector(["plus être là"])
    assert detector.detect("je veux plus être là").is_crisis
    assert detector.detect("jveu plu etre la").is_crisis
    assert not detector.detect("je ne pourrai pas reprendre avant l'été").is_crisis


def test_many_expressions_and_the_first_listed_is_named() -> None:
    filler = [f"mot{n} autre{n}" for n in range(5_000)]
    detector = CrisisDetector([*filler, "envie de mourir", "mourir"], EXCEPTIONS)
    assert detector.detect("j'ai envie de mourir").matched == "envie de mourir"
    assert detector.detect("je veux mourir").matched == "mourir"
    assert not detector.detect("je suis mort de rire").is_crisis


def test_one_meaningful_word_needs_its_small_words_too() -> None:
    detector = CrisisDetector(["me tuer", "en finir", "la corde"])
    assert detector.detect("je vais me tuer").is_crisis
    assert detector.detect("il va se tuer").is_crisis, "reflexives stay interchangeable"
    assert detector.detect("jveux en finir").is_crisis
    assert detector.detect("j'ai acheté de la corde").is_crisis
    for calm in ("tuer le temps", "finir mes séances", "des cordes élastiques"):
        assert not detector.detect(calm).is_crisis, calm


FRENCH = frozenset({"creer", "prendre", "fin", "tue", "coupe", "veux", "je", "vais", "me"})
"""A stand-in for the common-word lexicon (bot.content.lexicon) the bundle passes in."""


def test_a_real_word_is_not_read_as_a_typo_of_another() -> None:
    expressions = ["veux crever", "me pendre", "je veux en finir", "me tuer"]
    guarded = CrisisDetector(expressions, words=FRENCH)
    unguarded = CrisisDetector(expressions)
    for calm in (
        "je veux creer un cabinet",
        "le kiné va me prendre en charge",
        "je veux fin",
        "ça me tue",
    ):
        assert unguarded.detect(calm).is_crisis, "the typo tolerance alone would alarm"
        assert not guarded.detect(calm).is_crisis, calm
    for typo in ("je veux crevr", "je vais me pendr", "jveux en finirr", "me tuerr"):
        assert guarded.detect(typo).is_crisis, "words missing from the lexicon keep their typos"
    assert guarded.detect("je veux crever").is_crisis


def test_the_real_lexicon_knows_common_words_not_typos() -> None:
    from bot.content.lexicon import common_words

    words = common_words()
    assert {"creer", "prendre", "fin", "coupe", "oeil"} <= words
    assert not {"sucide", "mourrir", "suisider", "envi"} & words
