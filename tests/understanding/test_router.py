"""Free-text routing, as a kiné typing on a phone would experience it."""

from __future__ import annotations

import pytest

from bot.understanding.router import CLOSE_LIMIT, T_HIGH, T_LOW, Router, Target

TARGETS = (
    Target(
        "entraide_financiere",
        examples=(
            "je n'arrive plus à payer mes cotisations",
            "j'ai des dettes",
            "je n'ai plus d'argent pour payer le loyer du cabinet",
            "l'URSSAF me réclame de l'argent",
            "besoin d'une aide financière",
        ),
        keywords=(
            "argent", "financier", "financière", "dettes", "urssaf", "carpimko",
            "cotisations", "loyer", "impayés", "découvert", "difficultés financières",
        ),
    ),
    Target(
        "violences_contre_kine",
        examples=(
            "un patient m'a agressé",
            "je me suis fait insulter au cabinet",
            "un patient me menace",
            "j'ai été victime de violence au travail",
        ),
        keywords=(
            "agression", "agressé", "agressée", "violence", "violences", "frappé",
            "menacé", "menaces", "insulté", "harcèlement",
        ),
    ),
    Target(
        "burn_out",
        examples=(
            "je suis épuisé je n'en peux plus",
            "je n'ai plus d'énergie pour travailler",
            "je vais craquer",
        ),
        keywords=(
            "burn-out", "burnout", "épuisement", "épuisé", "épuisée", "craquer", "à bout",
            "surmenage",
        ),
    ),
    Target(
        "derives_sectaires",
        examples=(
            "un confrère propose des soins bizarres",
            "un patient est sous l'emprise d'un gourou",
        ),
        keywords=("secte", "sectaire", "dérive sectaire", "gourou", "emprise"),
    ),
    Target(
        "aides_installation",
        examples=(
            "je veux m'installer en libéral",
            "comment ouvrir mon cabinet",
            "aides pour la création de mon cabinet",
        ),
        keywords=("installation", "installer", "création de cabinet", "ouvrir un cabinet"),
    ),
    Target(
        "accident_arret",
        examples=("j'ai eu un accident je ne peux plus travailler", "je suis en arrêt maladie"),
        keywords=(
            "accident", "arrêt de travail", "arrêt maladie", "blessé", "blessure", "hospitalisé",
        ),
    ),
)  # fmt: skip


@pytest.fixture(scope="module")
def router() -> Router:
    return Router(TARGETS)


@pytest.mark.parametrize(
    ("typed", "key"),
    [
        ("j'ai eu un acident", "accident_arret"),
        ("aide finacière", "entraide_financiere"),
        ("je crois que c'est une sectere", "derives_sectaires"),
        ("je suis en burnout", "burn_out"),
        ("BURN-OUT", "burn_out"),
        ("burn out total", "burn_out"),
        ("chui a bout", "burn_out"),
        ("je suis épuisée", "burn_out"),
        ("JE SUIS EPUISEE", "burn_out"),
        ("un patient m'a agressé hier soir", "violences_contre_kine"),
        ("un patient m'a agresse", "violences_contre_kine"),
        ("je n'arrive plus à payer l'urssaf", "entraide_financiere"),
        ("l'urssaf me réclame de l'argent", "entraide_financiere"),
        ("je veux m'installer", "aides_installation"),
        ("Comment ouvrir mon cabinet ?", "aides_installation"),
        ("je suis en arret maladie depuis 3 mois", "accident_arret"),
        ("il est sous l'emprise d'un gourou", "derives_sectaires"),
        ("je suis ospitalisé", "accident_arret"),  # dropped silent h
        ("je suis en arrêt de mon travail", "accident_arret"),
    ],
)
def test_confident_routing_despite_typos_accents_and_case(
    router: Router, typed: str, key: str
) -> None:
    decision = router.decide(typed)
    assert decision.kind == "confident", router.rank(typed)
    assert decision.matches[0].key == key
    assert decision.matches[0].score >= T_HIGH


def test_paraphrase_without_keyword_is_close_not_confident(router: Router) -> None:
    decision = router.decide("je suis crevé je n'en peux plus")
    assert decision.kind == "close"
    assert decision.matches[0].key == "burn_out"


def test_message_pointing_two_ways_offers_both(router: Router) -> None:
    decision = router.decide("un patient m'a frappé et m'a volé de l'argent")
    assert decision.kind == "close"
    assert {m.key for m in decision.matches[:2]} == {
        "violences_contre_kine",
        "entraide_financiere",
    }
    assert len(decision.matches) <= CLOSE_LIMIT


@pytest.mark.parametrize(
    "typed",
    ["", "   ", "😀🙏", "\u200b\u200b", "bonjour", "kiné", "je ne sais pas", "ok merci", "42"],
)
def test_nothing_understood(router: Router, typed: str) -> None:
    assert router.decide(typed).kind == "none"


def test_rank_is_best_first_one_entry_per_key(router: Router) -> None:
    ranked = router.rank("un patient m'a agressé et je suis épuisé, je vais craquer", limit=5)
    keys = [match.key for match in ranked]
    assert len(keys) == len(set(keys))
    assert [m.score for m in ranked] == sorted((m.score for m in ranked), reverse=True)
    assert set(keys[:2]) == {"violences_contre_kine", "burn_out"}
    assert all(0 < m.score <= 100 for m in ranked)


def test_rank_limit(router: Router) -> None:
    assert len(router.rank("argent agressé épuisé gourou accident", limit=2)) == 2
    assert router.rank("argent", limit=0) == []


def test_match_names_the_staff_phrase(router: Router) -> None:
    best = router.rank("jsuis en burnout")[0]
    assert best.matched == "burnout"


def test_targets_sharing_a_key_are_merged() -> None:
    router = Router(
        [
            Target("a", keywords=("gourou",)),
            Target("b", keywords=("urssaf",)),
            Target("a", examples=("une secte",)),
        ]
    )
    assert [m.key for m in router.rank("gourou urssaf secte", limit=5)] == ["a", "b"]


def test_short_words_need_exact_spelling(router: Router) -> None:
    # "aide" must not fuzzily become "aine", "loyer" must not match "voyer".
    assert all(m.key != "entraide_financiere" for m in router.rank("voyer"))


def test_common_word_with_similar_ending_is_not_a_typo(router: Router) -> None:
    # "depuis" is one letter-shift from "epuise": different first letter, no match.
    ranked = router.rank("je travaille depuis longtemps")
    assert all(not m.matched.startswith("épuis") for m in ranked)
    assert router.decide("je travaille depuis longtemps").kind == "none"


def test_weak_scores_are_below_t_low(router: Router) -> None:
    ranked = router.rank("patient")
    assert not ranked or ranked[0].score < T_LOW


def test_huge_and_strange_inputs_do_not_raise(router: Router) -> None:
    long_text = "je suis épuisé " + "blabla " * 1_500
    assert router.decide(long_text).matches[0].key == "burn_out"
    for text in ["\x00" * 50, "\ud800", "é" * 10_000, "🔥" * 5_000, "a\u0301" * 3_000]:
        router.decide(text)


def test_scales_to_many_targets() -> None:
    many = [
        Target(f"cible_{n}", examples=(f"exemple numero {n} sujet{n}",), keywords=(f"mot{n}",))
        for n in range(1_000)
    ]
    router = Router([*many, *TARGETS])
    assert router.decide("j'ai eu un acident").matches[0].key == "accident_arret"
    assert router.decide("mot517").matches[0].key == "cible_517"


def test_words_most_targets_share_do_not_route() -> None:
    shared = [
        Target(f"theme_{n}", examples=(f"un patient du cabinet parle de sujet{n}",))
        for n in range(10)
    ]
    router = Router([*shared, *TARGETS])
    assert router.decide("patient cabinet").kind == "none"
    assert router.decide("un patient du cabinet parle de sujet7").matches[0].key == "theme_7"
    assert router.decide("un patient m'a agressé").matches[0].key == "violences_contre_kine"


HUB_AND_SPECIFIC = (
    Target("violences", keywords=("violences", "violence", "harcelée", "me harcèle")),
    Target("violences_conjugales", keywords=("violences conjugales", "son conjoint")),
    Target("violences_contre_kine", keywords=("patient me harcèle", "agression")),
    Target("violences_sexuelles", keywords=("agression sexuelle",)),
)


@pytest.mark.parametrize(
    ("typed", "key"),
    [
        ("violences conjugales", "violences_conjugales"),
        ("violence conjugale", "violences_conjugales"),  # typos on both words
        ("violences", "violences"),
        ("un patient me harcèle", "violences_contre_kine"),  # "harcelée" is a variant inside
        ("agression sexuelle", "violences_sexuelles"),
        ("une agression au cabinet", "violences_contre_kine"),
    ],
)
def test_a_longer_keyword_of_another_target_wins_over_the_words_it_contains(
    typed: str, key: str
) -> None:
    decision = Router(HUB_AND_SPECIFIC).decide(typed)
    assert decision.kind == "confident", Router(HUB_AND_SPECIFIC).rank(typed)
    assert decision.matches[0].key == key


def test_spelling_variants_of_one_typed_word_are_one_piece_of_evidence() -> None:
    best = Router(HUB_AND_SPECIFIC).rank("violences")[0]
    assert best.key == "violences"
    assert best.strength == 100.0  # "violence" and "violences" both match: no bonus


def test_support_counts_beyond_100_but_the_score_shown_does_not() -> None:
    router = Router(
        [
            Target("secte", keywords=("secte", "gourou", "miviludes")),
            Target("autre", keywords=("cabinet bizarre",)),
        ]
    )
    best = router.rank("une secte avec un gourou, j'ai écrit à la miviludes")[0]
    assert best.key == "secte"
    assert best.score == 100.0
    assert best.strength > 100.0
