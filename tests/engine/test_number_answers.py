"""The simulator's number question, answered as people type (issue 11 §4), on the engine."""

from __future__ import annotations

import pytest

from bot.content.bundle import Bundle
from bot.scenarios import Driver


def _at_months_question(driver: Driver) -> None:
    driver.command("/start demo")
    driver.press("Installation")
    text = driver.press("Non")
    assert "Combien de mois de stagiaire ?" in text


@pytest.mark.parametrize(
    ("typed", "months"),
    [("1 an", 12), ("un an et demi", 18), ("six", 6), ("deux ans", 24), ("18 mois", 18)],
)
def test_a_duration_in_words_or_years_becomes_months(
    driver: Driver, typed: str, months: int
) -> None:
    _at_months_question(driver)
    text = driver.write(typed)
    assert driver.state.variables["mois_stagiaire"] == str(months)
    assert f"({months} × 300\u00a0€)" in text


@pytest.mark.parametrize(("typed", "shown"), [("-1", "-1"), ("moins 3", "-3"), ("10 ans", "120")])
def test_negative_and_impossible_values_are_refused_and_asked_again(
    driver: Driver, typed: str, shown: str
) -> None:
    _at_months_question(driver)
    text = driver.write(typed)
    assert f"{shown}, ce n'est pas possible ici : écrivez un nombre entre 0 et 60." in text
    assert "mois_stagiaire" not in driver.state.variables
    assert driver.state.awaiting == "demo/mois", "the question is asked again"


@pytest.mark.parametrize(("typed", "hint"), [("2,5", "2,5 : "), ("12.5", "12,5 : ")])
def test_a_fraction_of_a_month_asks_for_a_whole_number_with_an_example(
    driver: Driver, typed: str, hint: str
) -> None:
    _at_months_question(driver)
    text = driver.write(typed)
    low, high = (2, 3) if typed == "2,5" else (12, 13)
    assert f"{hint}écrivez un nombre entier, par exemple {low} ou {high}." in text
    assert "mois_stagiaire" not in driver.state.variables
    driver.write(f"{high} mois")
    assert driver.state.variables["mois_stagiaire"] == str(high)


def test_two_numbers_are_not_guessed(driver: Driver) -> None:
    _at_months_question(driver)
    assert "Merci d'écrire un nombre entre 0 et 60." in driver.write("3 ou 4")
    assert "mois_stagiaire" not in driver.state.variables


def test_the_real_simulator_reads_a_year_as_twelve_months(real_bundle: Bundle) -> None:
    driver = Driver(real_bundle)
    driver.command("/start installation")
    driver.press("🧮 Simuler mes aides")
    driver.press("Création ou reprise (CACCMK)")
    driver.press("Non")
    text = driver.write("1 an")
    assert driver.state.variables["mois_stagiaire"] == "12"
    assert "3\u00a0600\u00a0€" in text
