"""Department resolution from codes, postcodes, names and sentences."""

from __future__ import annotations

import pytest

from bot.understanding.departments import DepartmentResolver, Resolution

from .departments_data import DEPARTMENTS


@pytest.fixture(scope="module")
def resolver() -> DepartmentResolver:
    return DepartmentResolver(DEPARTMENTS)


def test_fixture_has_the_101_departments() -> None:
    codes = [d.code for d in DEPARTMENTS]
    assert len(codes) == len(set(codes)) == 101
    assert {"2A", "2B", "971", "972", "973", "974", "976"} <= set(codes)
    assert "20" not in codes


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("14", "14"),
        ("1", "01"),
        ("01", "01"),
        ("2A", "2A"),
        ("2a", "2A"),
        ("2B", "2B"),
        ("974", "974"),
        ("976", "976"),
        ("14000", "14"),
        ("75011", "75"),
        ("75 011", "75"),
        ("20090", "2A"),
        ("20167", "2A"),
        ("20200", "2B"),
        ("20600", "2B"),
        ("97400", "974"),
        ("97600", "976"),
        ("97100", "971"),
        ("calvados", "14"),
        ("Calvados", "14"),
        ("CALVADOS", "14"),
        ("bouches du rhone", "13"),
        ("Bouches-du-Rhône", "13"),
        ("Réunion", "974"),
        ("la reunion", "974"),
        ("cote d or", "21"),
        ("Côte-d'Or", "21"),
        ("seine st denis", "93"),
        ("Seine-Saint-Denis", "93"),
        ("hauts de seine", "92"),
        ("loire", "42"),
        ("haute loire", "43"),
        ("loire atlantique", "44"),
        ("loiret", "45"),
        ("savoie", "73"),
        ("haute-savoie", "74"),
        ("marne", "51"),
        ("val de marne", "94"),
        ("val d'oise", "95"),
        ("oise", "60"),
        ("paris", "75"),
        ("corse du sud", "2A"),
        ("haute corse", "2B"),
        ("guadeloupe", "971"),
        ("Martinique", "972"),
        ("guyane", "973"),
        ("mayotte", "976"),
        ("finistère", "29"),
        ("je suis dans le calvados", "14"),
        ("j'exerce à 14000", "14"),
        ("j'exerce à Caen (14)", "14"),
        ("j'ai 35 ans et je suis dans le 14", "14"),
        ("calvados, 14", "14"),
        ("je suis kiné à la Réunion depuis 2 ans", "974"),
        ("12 rue de la Paix, 14000 Caen", "14"),
    ],
)
def test_sure_resolutions(resolver: DepartmentResolver, typed: str, code: str) -> None:
    assert resolver.resolve(typed) == Resolution(code, True, (code,))


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("ile et vilaine", "35"),
        ("calvdos", "14"),
        ("bouche du rhone", "13"),
        ("mayote", "976"),
        ("belfort", "90"),
    ],
)
def test_fuzzy_resolutions_ask_for_confirmation(
    resolver: DepartmentResolver, typed: str, code: str
) -> None:
    result = resolver.resolve(typed)
    assert result.code == code
    assert result.sure is False
    assert result.candidates[0] == code


@pytest.mark.parametrize(
    ("typed", "candidates"),
    [
        ("20", {"2A", "2B"}),
        ("corse", {"2A", "2B"}),
        ("seine", {"76", "77", "92", "93"}),
        ("pyrénées", {"64", "65", "66"}),
        ("alpes", {"04", "05", "06"}),
        ("calvados et manche", {"14", "50"}),
        ("14 ou 50", {"14", "50"}),
        ("calvados 50", {"14", "50"}),
    ],
)
def test_ambiguous_answers_list_candidates(
    resolver: DepartmentResolver, typed: str, candidates: set[str]
) -> None:
    result = resolver.resolve(typed)
    assert result.code is None
    assert result.sure is False
    assert set(result.candidates) == candidates


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "   ",
        "😀",
        "bonjour",
        "je ne sais pas",
        "haute",
        "0",
        "00",
        "96",
        "975",
        "977",
        "978",
        "999",
        "97500",
        "98000",
        "00100",
        "0612345678",
        "j'ai 12 ans d'expérience",
    ],
)
def test_nothing_plausible(resolver: DepartmentResolver, typed: str) -> None:
    assert resolver.resolve(typed) == Resolution(None, False, ())


def test_every_official_name_and_code_resolves_to_itself(resolver: DepartmentResolver) -> None:
    for department in DEPARTMENTS:
        assert resolver.resolve(department.name).code == department.code, department
        assert resolver.resolve(department.code).code == department.code, department


def test_strange_inputs_do_not_raise(resolver: DepartmentResolver) -> None:
    for text in ["\x00" * 10, "\ud800", "14" * 5_000, "calvados " * 2_000, "é" * 10_000]:
        resolver.resolve(text)
