"""Free text in real conversations: the shipped content, driven like a person would.

Routing (confident, close call, not understood), typed answers to buttons, typed
commands, crisis detection in every state, and departments, all through
``bot.scenarios.Driver`` on ``flows/`` + ``knowledge/``. Wording is read from the
content (titles, interface messages), so content edits do not break these tests.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from bot.content.bundle import Bundle
from bot.content.models import Choice
from bot.engine.replies import Message
from bot.scenarios import Driver

EMERGENCY_NUMBERS = ("3114", "15", "112", "0800 288 038")


def _plain(text: str) -> str:
    return text.replace("**", "")


def _choose(driver: Driver, wanted: Callable[[Choice], bool]) -> str:
    """Press the button of the screen on display whose content choice satisfies ``wanted``."""
    node = driver.bundle.node_at(driver.state.node or "")
    assert node is not None
    for choice in node.choices:
        if wanted(choice):
            return driver.press(choice.label)
    raise LookupError(f"no such choice at {driver.state.node}")


def _at_menu(bundle: Bundle, status: str = "liberal") -> Driver:
    driver = Driver(bundle)
    driver.command("/start")
    variable = bundle.interface.audience_variable
    _choose(driver, lambda c: c.sets.get(variable) == status)
    assert driver.state.node == bundle.canonical(f"{bundle.interface.menu_flow}/")
    return driver


def _flow(driver: Driver) -> str:
    return (driver.state.node or "").partition("/")[0]


def _oriented(bundle: Bundle, flow: str) -> str:
    return _plain(bundle.message("oriente_vers", titre=bundle.flows[flow].title))


@pytest.fixture
def menu(real_bundle: Bundle) -> Driver:
    return _at_menu(real_bundle)


# --- routing --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "flow"),
    [
        ("jai eu un acident je peux plus bosser", "entraide"),
        ("un patient m'a agressé", "violences_contre_kine"),
        ("aide finacière", "entraide"),
        ("je crois que c'est une sectere", "derives_sectaires"),
        ("je suis en burn-out", "soutien_psy"),
        ("violences conjugales", "violences_conjugales"),
        ("je veux porter plainte contre mon kiné pour agression sexuelle", "violences_sexuelles"),
        ("je veux m'installer en zone sous dotée", "installation"),
    ],
)
def test_a_confident_route_says_what_was_understood_in_one_line(
    real_bundle: Bundle, menu: Driver, typed: str, flow: str
) -> None:
    text = menu.write(typed)
    first = menu.replies[0]
    assert isinstance(first, Message)
    assert _plain(first.text) == _oriented(real_bundle, flow)
    assert text.startswith(_oriented(real_bundle, flow))
    assert _flow(menu) == flow


def test_a_wrong_guess_is_one_tap_from_correction(real_bundle: Bundle, menu: Driver) -> None:
    menu.write("un patient m'a agressé")
    menu.press(real_bundle.interface.buttons.back)
    assert menu.state.node == real_bundle.canonical(f"{real_bundle.interface.menu_flow}/")


def test_a_close_call_offers_the_best_flows_as_buttons(real_bundle: Bundle, menu: Driver) -> None:
    text = menu.write("sage femme en burn out")
    assert text.startswith(real_bundle.message("propositions"))
    offered = [b.label for b in menu.buttons if not b.nav]
    titles = {real_bundle.flows[f].title: f for f in ("soutien_psy", "autres_professions")}
    assert set(titles) <= set(offered)
    assert len(offered) <= 3
    menu.press(real_bundle.flows["autres_professions"].title)
    assert _flow(menu) == "autres_professions"


@pytest.mark.parametrize("typed", ["asdfgh", "quel temps fait-il à Caen", "😀", "ok"])
def test_nothing_understood_says_so_and_shows_the_menu(
    real_bundle: Bundle, menu: Driver, typed: str
) -> None:
    text = menu.write(typed)
    assert text.startswith(real_bundle.message("incompris"))
    assert menu.state.node == real_bundle.canonical(f"{real_bundle.interface.menu_flow}/")
    assert len([b for b in menu.buttons if not b.nav]) >= 5, "never a dead end"


def test_the_very_first_message_after_start_is_routed(real_bundle: Bundle) -> None:
    driver = Driver(real_bundle)
    driver.command("/start")
    # "patient" is a word of a status button on this screen: the story must still be routed.
    text = driver.write("un patient m'a agressée hier au cabinet")
    assert text.startswith(_oriented(real_bundle, "violences_contre_kine"))
    assert real_bundle.interface.audience_variable not in driver.state.variables


def test_free_text_mid_flow_is_routed_when_it_is_not_an_answer(menu: Driver) -> None:
    _choose(menu, lambda c: c.flow == "installation")
    assert _flow(menu) == "installation"
    menu.write("un patient m'a menacée au cabinet")
    assert _flow(menu) == "violences_contre_kine"


# --- typed answers to buttons -----------------------------------------------------------


def test_a_typed_status_answers_the_first_question(real_bundle: Bundle) -> None:
    driver = Driver(real_bundle)
    driver.command("/start")
    driver.write("je suis salariée")
    assert driver.state.variables[real_bundle.interface.audience_variable] == "salarie"
    assert _flow(driver) == real_bundle.interface.menu_flow


@pytest.mark.parametrize(
    ("typed", "flow"),
    [("secte", "derives_sectaires"), ("parler", "soutien_psy"), ("violences", "violences")],
)
def test_a_typed_menu_word_picks_its_button(menu: Driver, typed: str, flow: str) -> None:
    menu.write(typed)
    assert _flow(menu) == flow


def test_typed_answers_are_matched_against_the_question_first(menu: Driver) -> None:
    _choose(menu, lambda c: c.flow == "entraide")
    _choose(menu, lambda c: c.to == "types")
    assert menu.state.node == "entraide/types"
    menu.write("aide financiere")  # also an entraide keyword: the button wins
    assert menu.state.node == "entraide/financier"
    assert menu.state.variables["besoin"] == "financier"


def test_a_typed_number_and_a_typed_yes_pick_buttons(menu: Driver) -> None:
    _choose(menu, lambda c: c.flow == "collegue")
    menu.write("oui")
    assert menu.state.node == "collegue/danger"
    menu.command("/menu")
    _choose(menu, lambda c: c.flow == "entraide")
    menu.write("2")
    assert menu.state.node == "entraide/qui"


# --- typed commands ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "attribute"),
    [
        ("menu", "menu_flow"),
        ("/menu", "menu_flow"),
        ("MENU", "menu_flow"),
        ("aide", "help_flow"),
        ("/aide", "help_flow"),
        ("urgence", "emergency_flow"),
        ("/urgence", "emergency_flow"),
        ("Urgence !", "emergency_flow"),
        ("sos", "emergency_flow"),
    ],
)
def test_command_words_work_typed_with_or_without_slash(
    real_bundle: Bundle, typed: str, attribute: str
) -> None:
    driver = _at_menu(real_bundle)
    _choose(driver, lambda c: c.flow == "installation")
    driver.write(typed)
    assert _flow(driver) == getattr(real_bundle.interface, attribute)


@pytest.mark.parametrize("typed", ["retour", "/retour", "Retour"])
def test_typed_back_returns_to_the_previous_screen(menu: Driver, typed: str) -> None:
    _choose(menu, lambda c: c.flow == "entraide")
    _choose(menu, lambda c: c.to == "types")
    menu.write(typed)
    assert menu.state.node == "entraide/presentation"


# --- crisis -----------------------------------------------------------------------------


def _assert_crisis_answer(bundle: Bundle, driver: Driver) -> None:
    first = driver.replies[0]
    assert isinstance(first, Message)
    assert first.alert, "the crisis message comes first, as an alert"
    for number in EMERGENCY_NUMBERS:
        assert number in first.text
    assert driver.state.node == bundle.canonical(f"{bundle.interface.emergency_flow}/")
    assert [b for b in driver.buttons if not b.nav], "the conversation offers to continue"


def _states(bundle: Bundle) -> dict[str, Callable[[], Driver]]:
    """Ways to reach the states a person can type in."""

    def first_screen() -> Driver:
        driver = Driver(bundle)
        driver.command("/start")
        return driver

    def mid_flow() -> Driver:
        driver = _at_menu(bundle)
        _choose(driver, lambda c: c.flow == "entraide")
        return driver

    def awaiting_department() -> Driver:
        driver = mid_flow()
        _choose(driver, lambda c: c.to == "demande")
        assert driver.state.awaiting is not None
        return driver

    def close_call() -> Driver:
        driver = _at_menu(bundle)
        driver.write("sage femme en burn out")
        return driver

    def end_screen() -> Driver:
        driver = mid_flow()
        _choose(driver, lambda c: c.to == "chiffres")
        return driver

    def after_crisis() -> Driver:
        driver = _at_menu(bundle)
        driver.write("je veux mourir")
        return driver

    def fresh() -> Driver:
        return Driver(bundle)

    return {
        "fresh": fresh,
        "first_screen": first_screen,
        "menu": lambda: _at_menu(bundle),
        "mid_flow": mid_flow,
        "awaiting_department": awaiting_department,
        "close_call": close_call,
        "end_screen": end_screen,
        "after_crisis": after_crisis,
    }


STATES = (
    "fresh",
    "first_screen",
    "menu",
    "mid_flow",
    "awaiting_department",
    "close_call",
    "end_screen",
    "after_crisis",
)


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize(
    "typed",
    [
        "jveu mourir",
        "je veux en finir",
        "g plus envie de vivre",
        "il me frappe là maintenant",
        "mon fils kiné parle de se suicider",
        "14 je veux mourir",  # looks like a department answer, but crisis first
    ],
)
def test_crisis_is_checked_first_in_every_state(
    real_bundle: Bundle, state: str, typed: str
) -> None:
    driver = _states(real_bundle)[state]()
    driver.write(typed)
    _assert_crisis_answer(real_bundle, driver)


def test_the_crisis_answer_comes_before_anything_else(real_bundle: Bundle, menu: Driver) -> None:
    text = menu.write("jai eu un accident et je veux en finir")
    assert _oriented(real_bundle, "entraide") not in text
    _assert_crisis_answer(real_bundle, menu)


@pytest.mark.parametrize(
    "typed",
    [
        "je suis mort de rire",
        "mdr",
        "je suis morte de fatigue",
        "ce patient me tue",
        "je me tue au travail",
        "j'utilise un pistolet de massage",  # the tool, not a weapon
        "exercices avec une corde à sauter",
        "la patiente a une hernie étranglée",
        "je me suis fait mal au dos en portant un patient",
        "je me bats avec la cpam depuis des mois",
        "il se bat contre un cancer",
        "je vais sauter le pas et m'installer",
        "une patiente m'a dit que son mari la frappe",  # routed to violences_conjugales
        "la douleur me tue",  # "me tue" is not "me tuer": present-tense images stay calm
        "mon cabinet est en danger",  # "je suis en danger", "ma vie est en danger" fire
    ],
)
def test_figures_of_speech_do_not_raise_the_alarm(
    real_bundle: Bundle, menu: Driver, typed: str
) -> None:
    menu.write(typed)
    assert _flow(menu) != real_bundle.interface.emergency_flow


@pytest.mark.parametrize(
    "typed",
    [
        "je veux en finir avec mes dettes",  # "en finir" without a clear object
        "je ne vois pas d'issue à ce litige",
        "j'ai pris des comprimés pour mon dos",  # overdoses start like this
        "ma patiente a peur de mourir pendant l'opération",  # "mourir" alone is enough
        "j'ai dit adieu au libéral",
    ],
)
def test_when_unsure_the_alarm_wins(real_bundle: Bundle, menu: Driver, typed: str) -> None:
    menu.write(typed)
    _assert_crisis_answer(real_bundle, menu)


# --- departments --------------------------------------------------------------------------


def _at_department_question(bundle: Bundle) -> Driver:
    driver = _at_menu(bundle)
    _choose(driver, lambda c: c.flow == "entraide")
    _choose(driver, lambda c: c.to == "demande")
    assert driver.state.awaiting == "entraide/departement"
    return driver


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("14", "14"),
        ("2A", "2A"),
        ("974", "974"),
        ("calvados", "14"),
        ("Calvados", "14"),
        ("bouches du rhone", "13"),
        ("Réunion", "974"),
        ("la reunion", "974"),
        ("14000", "14"),
        ("20090", "2A"),
        ("20200", "2B"),
        ("97400", "974"),
        ("je suis dans le calvados", "14"),
        ("cote d or", "21"),
    ],
)
def test_a_department_is_understood_in_every_form(
    real_bundle: Bundle, typed: str, code: str
) -> None:
    driver = _at_department_question(real_bundle)
    text = driver.write(typed)
    assert driver.state.variables["departement"] == code
    name = real_bundle.departments[code].name
    assert name in text
    assert driver.state.awaiting is None
    assert _flow(driver) == "entraide"


def test_a_department_typo_is_confirmed_before_use(real_bundle: Bundle) -> None:
    driver = _at_department_question(real_bundle)
    text = driver.write("calvdos")
    assert text.startswith(real_bundle.message("departement_confirmer"))
    assert "departement" not in driver.state.variables
    option = next(b for b in driver.buttons if "Calvados" in b.label)
    driver.press(option.label)
    assert driver.state.variables["departement"] == "14"


def test_an_ambiguous_name_offers_candidates_and_a_way_out(real_bundle: Bundle) -> None:
    driver = _at_department_question(real_bundle)
    driver.write("corse")
    labels = [b.label for b in driver.buttons]
    assert any("Corse-du-Sud" in label for label in labels)
    assert any("Haute-Corse" in label for label in labels)
    driver.press(real_bundle.interface.buttons.other)
    assert driver.state.awaiting == "entraide/departement"
    driver.write("2B")
    assert driver.state.variables["departement"] == "2B"


def test_an_unknown_department_asks_again(real_bundle: Bundle) -> None:
    driver = _at_department_question(real_bundle)
    text = driver.write("zzzz")
    assert text.startswith(real_bundle.message("departement_inconnu"))
    assert driver.state.awaiting == "entraide/departement"


def test_a_clear_route_wins_over_a_failed_department_answer(real_bundle: Bundle) -> None:
    driver = _at_department_question(real_bundle)
    driver.write("un patient m'a agressé")
    assert _flow(driver) == "violences_contre_kine"


def test_the_department_question_of_another_flow(real_bundle: Bundle) -> None:
    driver = _at_menu(real_bundle)
    driver.write("un patient m'a agressé")
    _choose(driver, lambda c: c.to == "ordre")
    assert driver.state.awaiting == "violences_contre_kine/ordre_departement"
    driver.write("13008")
    assert driver.state.variables["departement"] == "13"
