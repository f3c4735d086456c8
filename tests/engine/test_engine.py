"""The pure engine, driven like a person would: buttons, typing, commands."""

from __future__ import annotations

import shutil
from pathlib import Path

from bot.content.bundle import Bundle
from bot.content.loader import load_content
from bot.engine.engine import step
from bot.engine.events import Press, Resume, Text
from bot.engine.replies import Action, Message
from bot.engine.state import State
from bot.scenarios import Driver

MENU = "🏠 Menu"
BACK = "↩️ Retour"
URGENCE = "🆘 Urgence"


def test_start_welcomes_and_asks_who_without_identity(driver: Driver) -> None:
    text = driver.command("/start")
    assert "Entraide Kiné" in text
    labels = [b.label for b in driver.buttons]
    assert "Je préfère ne pas dire" in labels
    assert MENU in labels


def test_answers_given_once_are_not_asked_again(driver: Driver) -> None:
    driver.command("/start")
    driver.press("Kiné libéral·e")
    text = driver.command("/start")
    assert "vous êtes :" not in text
    assert "Que cherchez-vous" in text
    assert driver.state.variables["statut"] == "liberal"


def test_restart_forgets_answers(driver: Driver) -> None:
    driver.command("/start")
    driver.press("Kiné libéral·e")
    text = driver.command("/recommencer")
    assert "vous êtes :" in text
    assert driver.state.variables == {}


def test_back_restores_the_previous_answers(driver: Driver) -> None:
    driver.command("/start")
    driver.press("Kiné libéral·e")
    driver.press("Démonstration")
    driver.press("Création")
    assert driver.state.variables["contrat"] == "caccmk"
    text = driver.command("/retour")
    assert "Quel contrat ?" in text
    assert "contrat" not in driver.state.variables
    driver.press("Installation")
    assert driver.state.variables["contrat"] == "caimk"


def test_back_at_the_beginning_says_so(driver: Driver) -> None:
    driver.command("/start")
    text = driver.command("/retour")
    assert "début de la conversation" in text
    assert "vous êtes :" in text


def test_simulator_table_and_branch_on_status(driver: Driver) -> None:
    driver.command("/start")
    driver.press("Kiné libéral·e")
    driver.press("Démonstration")
    driver.press("Création")
    driver.press("Oui")
    text = driver.write("beaucoup")
    assert "Merci d'écrire un nombre entre 0 et 60." in text
    text = driver.write("6 mois")
    assert "30\u00a0000\u00a0€" in text
    assert "9\u00a0800\u00a0€" in text
    assert "1\u00a0800\u00a0€" in text
    assert "Total estimé" in text or "60\u00a0600\u00a0€" in text
    assert "60\u00a0600\u00a0€" in text
    assert "Fin pour les libéraux (vous êtes kiné libéral·e)." in text
    assert "CARPIMKO" in text
    assert "CGOS" not in text, "a resource for salaried kinés is hidden from a libéral"
    labels = [b.label for b in driver.buttons]
    assert MENU in labels and URGENCE in labels


def test_number_out_of_range_is_refused(driver: Driver) -> None:
    driver.command("/start demo")
    driver.press("Installation")
    driver.press("Non")
    assert "entre 0 et 60" in driver.write("99")
    assert "mois_stagiaire" not in driver.state.variables


def _to_department_question(driver: Driver) -> None:
    driver.command("/start")
    driver.press("Je préfère ne pas dire")
    driver.press("Démonstration")
    driver.press("Création")
    driver.press("Non")
    text = driver.write("0")
    assert "Votre département ?" in text


def test_department_by_postcode_shows_its_own_contacts_first(driver: Driver) -> None:
    _to_department_question(driver)
    text = driver.write("37000")
    assert "C'est noté : Indre-et-Loire (37)." in text
    assert "Vos contacts pour Indre-et-Loire (37)" in text
    assert text.index("relation-ps.cpam-tours@assurance-maladie.fr") > text.index("Vos contacts")
    assert "département Indre-et-Loire (37)" in text


def test_ambiguous_department_asks_for_confirmation(driver: Driver) -> None:
    _to_department_question(driver)
    text = driver.write("20")
    assert "Voulez-vous dire" in text
    labels = [b.label for b in driver.buttons]
    assert "Corse-du-Sud (2A)" in labels and "Haute-Corse (2B)" in labels
    driver.press("Haute-Corse (2B)")
    assert driver.state.variables["departement"] == "2B"


def test_unknown_department_asks_again(driver: Driver) -> None:
    _to_department_question(driver)
    text = driver.write("zzzz")
    assert "Je n'ai pas reconnu ce département" in text
    assert driver.state.awaiting == "demo/dep"


def test_typed_label_or_number_works_like_a_press(driver: Driver) -> None:
    driver.command("/start")
    driver.write("liberal")
    assert driver.state.variables["statut"] == "liberal"
    driver.write("2")
    assert driver.state.node == "entraide/presentation"


def test_command_words_work_typed_without_slash(driver: Driver) -> None:
    driver.command("/start")
    driver.press("Kiné salarié·e")
    driver.press("Entraide de l'Ordre")
    assert "Que cherchez-vous" in driver.write("Menu")
    assert driver.state.node == "menu/principal"


def test_unknown_command_keeps_the_current_screen(driver: Driver) -> None:
    driver.command("/start")
    text = driver.command("/nimportequoi")
    assert "Je ne connais pas cette commande" in text
    assert "vous êtes :" in text


def test_stale_button_is_answered_and_never_moves(driver: Driver) -> None:
    driver.command("/start")
    old = driver.button("Kiné libéral·e")
    driver.press("Kiné salarié·e")
    assert old is not None and old.data is not None
    before = driver.state.node
    text = driver.send(Press(old.data))
    assert "Ce menu n'est plus à jour" in text
    assert "Que cherchez-vous" in text
    assert driver.state.node == before
    assert driver.state.variables["statut"] == "salarie"


def test_forged_button_data_is_treated_as_stale(driver: Driver) -> None:
    driver.command("/start")
    for forged in ["", "x", "s.1.99", "'; DROP TABLE conversations; --", "é" * 64, "s.-1.0"]:
        text = driver.send(Press(forged))
        assert "Ce menu n'est plus à jour" in text
        assert driver.state.node == "accueil/qui"


def test_buttons_of_an_erased_conversation_are_stale(driver: Driver) -> None:
    driver.command("/start")
    old = driver.button("Kiné libéral·e")
    assert old is not None and old.data is not None
    fresh = Driver(driver.bundle, nonce="other")
    fresh.command("/start")
    assert "n'est plus à jour" in fresh.send(Press(old.data))


def test_crisis_interrupts_any_state_first_and_can_go_back(driver: Driver) -> None:
    driver.command("/start demo")
    driver.press("Installation")
    driver.press("Non")
    assert driver.state.awaiting == "demo/mois"
    result = step(driver.bundle, driver.state, Text("jveu mourir"))
    first = result.replies[0]
    assert isinstance(first, Message) and first.alert
    for number in ("3114", "15", "112", "0800 288 038"):
        assert number in first.text
    driver.state = result.state
    text = driver.command("/retour")
    assert "Combien de mois" in text


def test_unclear_text_says_so_and_shows_the_menu(driver: Driver) -> None:
    driver.command("/start")
    driver.press("Kiné libéral·e")
    text = driver.write("qsdkjqsd lkqjsd")
    assert "Je n'ai pas bien compris" in text
    assert driver.state.node == "menu/principal"


def test_free_text_routes_to_a_flow_and_says_so(driver: Driver) -> None:
    driver.command("/start")
    driver.press("Kiné libéral·e")
    text = driver.write("j'ai besoin d'une aide financière")
    assert "Je vous oriente vers : Entraide de l'Ordre" in text
    assert driver.state.node == "entraide/presentation"
    assert "Que cherchez-vous" in driver.command("/retour")


def test_forget_asks_then_emits_the_action(driver: Driver) -> None:
    driver.command("/start")
    driver.command("/oubli")
    assert "C'est définitif" in driver.text
    yes = driver.button("Oui, tout effacer")
    assert yes is not None and yes.data is not None
    assert Action.FORGET in step(driver.bundle, driver.state, Press(yes.data)).replies


def test_quick_exit_emits_erase_action(driver: Driver) -> None:
    driver.command("/start")
    driver.command("/effacer")
    assert Action.ERASE_CHAT in driver.replies
    assert "supprimez cette conversation" in driver.text
    typed = step(driver.bundle, driver.state, Text("sortie rapide"))
    assert Action.ERASE_CHAT in typed.replies


def test_deep_link_opens_the_flow_and_unknown_payload_welcomes(driver: Driver) -> None:
    assert "pas une assurance" in driver.command("/start entraide")
    assert "Entraide Kiné" in Driver(driver.bundle).command("/start n_existe_pas")


def test_every_screen_offers_a_way_on(driver: Driver) -> None:
    for line in ["/start", "/menu", "/aide", "/urgence", "/confidentialite", "/oubli", "/effacer"]:
        driver.command(line)
        assert driver.buttons, f"dead end after {line}"


def test_resume_shows_the_current_screen_again(driver: Driver) -> None:
    driver.command("/start")
    assert "vous êtes :" in driver.send(Resume())


def test_unreadable_state_starts_afresh() -> None:
    for raw in ["", "{", "[]", '{"schema_version": 99}', '{"node": 3}']:
        state = State.from_json(raw, "n")
        assert state.node is None and state.nonce == "n"


def test_state_round_trips_and_holds_no_text(driver: Driver) -> None:
    driver.command("/start")
    driver.write("liberal")
    driver.write("mon adresse secrète est 12 rue des Lilas")
    raw = driver.state.to_json()
    assert State.from_json(raw, "z") == driver.state
    assert "Lilas" not in raw


def test_state_under_older_content_still_loads(tmp_path: Path, fixture_bundle: Bundle) -> None:
    driver = Driver(fixture_bundle)
    driver.command("/start demo")
    driver.press("Création")
    old_button = driver.button("Oui")
    assert old_button is not None and old_button.data is not None
    saved = driver.state.to_json()
    flows = tmp_path / "flows"
    shutil.copytree(Path(__file__).parents[1] / "fixtures" / "flows", flows)
    demo = (flows / "demo.yaml").read_text("utf-8").replace("  ars:", "  ars_v2:")
    demo = demo.replace("vers: ars\n", "vers: ars_v2\n")
    (flows / "demo.yaml").write_text(demo, "utf-8")
    result = load_content(flows, Path(__file__).parents[2] / "knowledge")
    assert result.bundle is not None, result.problems
    new = Driver(result.bundle)
    new.state = State.from_json(saved, "n")
    text = new.send(Press(old_button.data))
    assert "Le contenu de l'assistant a été mis à jour" in text
    assert new.state.node == "menu/principal"


def test_a_choice_can_forget_an_answer_to_ask_it_again(tmp_path: Path) -> None:
    flows = tmp_path / "flows"
    shutil.copytree(Path(__file__).parents[1] / "fixtures" / "flows", flows)
    demo = (flows / "demo.yaml").read_text("utf-8").replace(
        "  fin_liberal:\n    message:",
        "  fin_liberal:\n    choix:\n      - texte: Modifier\n        oublier: [contrat, mois_stagiaire]\n"
        "        vers: debut\n    message:",
    )
    (flows / "demo.yaml").write_text(demo, "utf-8")
    result = load_content(flows, Path(__file__).parents[2] / "knowledge")
    assert result.bundle is not None, result.problems
    driver = Driver(result.bundle)
    driver.command("/start")
    driver.press("Kiné libéral·e")
    driver.command("/start demo")
    driver.press("Création")
    driver.press("Oui")
    driver.write("2")
    assert "Quel contrat ?" in driver.press("Modifier")
    driver.press("Installation")
    assert "Combien de mois" in driver.text, "modulation kept, months asked again"
    assert driver.state.variables["modulation_ars"] == "oui"
