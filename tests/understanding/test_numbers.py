"""Numbers as people type them, one test per form (issue 11 §4)."""

from __future__ import annotations

from fractions import Fraction

import pytest

from bot.understanding.numbers import Reading, read_number


@pytest.mark.parametrize(
    ("typed", "months"),
    [
        ("6", 6),
        ("6 mois", 6),
        ("6mois", 6),
        ("six", 6),
        ("six mois", 6),
        ("Six mois à peu près", 6),
        ("1 an", 12),
        ("1an", 12),
        ("un an", 12),
        ("une année", 12),
        ("deux ans", 24),
        ("2 ANS", 24),
        ("un an et demi", 18),
        ("deux ans et demi", 30),
        ("une demi-année", 6),
        ("1 an et 6 mois", 18),
        ("1 an 6 mois", 18),
        ("18 mois", 18),
        ("dix-huit mois", 18),
        ("dix huit", 18),
        ("vingt et un mois", 21),
        ("trente-six", 36),
        ("soixante", 60),
        ("1,5 an", 18),
        ("1.5 ans", 18),
        ("0", 0),
        ("zéro", 0),
        ("aucun", 0),
        ("aucun stagiaire", 0),
        ("un", 1),
        ("un stagiaire pendant 6 mois", 6),
    ],
)
def test_forms_people_type_are_read_in_months(typed: str, months: int) -> None:
    reading = read_number(typed)
    assert reading is not None, typed
    assert reading.in_unit("mois") == months


@pytest.mark.parametrize(
    ("typed", "value"),
    [("2,5", Fraction(5, 2)), ("12.5", Fraction(25, 2)), ("six mois et demi", Fraction(13, 2))],
)
def test_decimals_are_kept_exact_not_cut(typed: str, value: Fraction) -> None:
    reading = read_number(typed)
    assert reading is not None and reading.in_unit("mois") == value


@pytest.mark.parametrize("typed", ["-1", "- 3 mois", "−2", "moins 2", "moins un an"])
def test_negatives_stay_negative(typed: str) -> None:
    reading = read_number(typed)
    assert reading is not None and reading.negative and reading.signed() < 0


@pytest.mark.parametrize(
    "typed", ["", "beaucoup", "quelques mois", "3 ou 4", "18-24 mois", "entre 6 et 12", "x" * 300]
)
def test_no_number_or_several_is_no_reading(typed: str) -> None:
    assert read_number(typed) is None


def test_units_convert_both_ways_and_stay_as_typed_without_a_unit() -> None:
    assert Reading(Fraction(1), "ans").in_unit("mois") == 12
    assert Reading(Fraction(18), "mois").in_unit("ans") == Fraction(3, 2)
    assert Reading(Fraction(7)).in_unit("mois") == 7
    assert Reading(Fraction(1), "ans").in_unit(None) == 1
    assert Reading(Fraction(2), negative=True).in_unit("mois") == -2
