"""Every validation rule, each with a small broken fixture: code, file, line and message."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from bot.content.loader import LoadResult
from bot.content.problems import Code, Problem

Edit = Callable[[str, str], LoadResult]

FLOW_HEAD = 'flux: essai\ntitre: "Essai"\ndebut: debut\netapes:\n'


def only(result: LoadResult, code: Code) -> Problem:
    found = [p for p in result.problems if p.code == code]
    assert found, f"no {code} in {[str(p) for p in result.problems]}"
    assert result.bundle is None
    return found[0]


def test_fixture_content_is_valid(load_edited: Edit) -> None:
    result = load_edited("flows/essai.yaml", FLOW_HEAD + "  debut:\n    message: Bonjour\n    fin: oui\n")
    assert result.problems == []
    assert result.bundle is not None


def test_unknown_target_suggests_the_right_name(load_edited: Edit) -> None:
    text = FLOW_HEAD + (
        "  debut:\n"
        "    message: Une question ?\n"
        "    choix:\n"
        "      - texte: Oui\n"
        "        vers: signalemnt\n"
        "  signalement:\n"
        "    message: Fin\n"
        "    fin: oui\n"
    )
    problem = only(load_edited("flows/essai.yaml", text), Code.UNKNOWN_TARGET)
    assert problem.file.endswith("flows/essai.yaml")
    assert problem.line == 9
    assert problem.message == (
        "le choix « Oui » mène à « signalemnt », qui n'existe pas — "
        "vouliez-vous dire « signalement » ?"
    )
    assert str(problem).endswith(
        "flows/essai.yaml, ligne 9 : le choix « Oui » mène à « signalemnt », qui n'existe pas — "
        "vouliez-vous dire « signalement » ?"
    )


def test_unknown_flow(load_edited: Edit) -> None:
    text = FLOW_HEAD + "  debut:\n    message: x\n    choix:\n      - texte: Go\n        flux: entraid\n"
    problem = only(load_edited("flows/essai.yaml", text), Code.UNKNOWN_FLOW)
    assert problem.line == 9
    assert "« entraid »" in problem.message and "« entraide »" in problem.message


def test_unknown_resource(load_edited: Edit) -> None:
    text = FLOW_HEAD + "  debut:\n    message: x\n    ressources: [ligne_ecoute_ordr]\n    fin: oui\n"
    problem = only(load_edited("flows/essai.yaml", text), Code.UNKNOWN_RESOURCE)
    assert problem.line == 7
    assert "« ligne_ecoute_ordre »" in problem.message


def test_unreachable_node(load_edited: Edit) -> None:
    text = FLOW_HEAD + "  debut:\n    message: x\n    fin: oui\n  orpheline:\n    message: y\n    fin: oui\n"
    problem = only(load_edited("flows/essai.yaml", text), Code.UNREACHABLE)
    assert problem.line == 8
    assert "« orpheline » est inaccessible" in problem.message


def test_node_from_which_no_end_can_be_reached(load_edited: Edit) -> None:
    text = FLOW_HEAD + (
        "  debut:\n    message: x\n    choix:\n      - texte: A\n        vers: a\n"
        "      - texte: Fin\n        vers: fin\n"
        "  a:\n    message: boucle\n    choix:\n      - texte: Encore\n        vers: a\n"
        "  fin:\n    message: f\n    fin: oui\n"
    )
    problem = only(load_edited("flows/essai.yaml", text), Code.NO_END)
    assert problem.line == 12
    assert "aucune fin" in problem.message


def test_automatic_loop(load_edited: Edit) -> None:
    text = FLOW_HEAD + (
        "  debut:\n    message: x\n    suite: b\n  b:\n    message: y\n    suite: debut\n"
        "  c:\n    message: z\n    fin: oui\n"
    )
    result = load_edited("flows/essai.yaml", text)
    assert any("en boucle" in p.message for p in result.problems)


def test_choice_without_target(load_edited: Edit) -> None:
    text = FLOW_HEAD + "  debut:\n    message: x\n    choix:\n      - texte: Oui\n"
    problem = only(load_edited("flows/essai.yaml", text), Code.SCHEMA)
    assert problem.line == 8
    assert "exactement une destination" in problem.message


def test_misspelt_key_is_not_ignored(load_edited: Edit) -> None:
    text = FLOW_HEAD + "  debut:\n    mesage: x\n    fin: oui\n"
    problem = only(load_edited("flows/essai.yaml", text), Code.SCHEMA)
    assert problem.line == 6
    assert "« mesage » n'est pas connue" in problem.message


def test_duplicate_flow_name_names_the_other_file(load_edited: Edit) -> None:
    text = 'flux: entraide\ntitre: "Doublon"\ndebut: a\netapes:\n  a:\n    message: x\n    fin: oui\n'
    problem = only(load_edited("flows/zz_doublon.yaml", text), Code.DUPLICATE_ID)
    assert problem.line == 1
    assert "entraide.yaml" in problem.message


def test_duplicate_resource_id_across_files(load_edited: Edit) -> None:
    text = (
        "ressources:\n  sps:\n    nom: Doublon\n    pour: x\n    public: [tous]\n"
        "    source: test\n    verifie_le: 2026-01-01\n    fiabilite: certain\n"
    )
    problem = only(load_edited("knowledge/ressources/zz.yaml", text), Code.DUPLICATE_ID)
    assert problem.line == 2
    assert "lignes_ecoute.yaml" in problem.message


def test_variable_used_but_never_set(load_edited: Edit) -> None:
    text = FLOW_HEAD + (
        "  debut:\n    selon:\n      - si: {situaton: grave}\n        vers: fin\n    sinon: fin\n"
        "  fin:\n    message: x\n    fin: oui\n"
    )
    problem = only(load_edited("flows/essai.yaml", text), Code.UNSET_VARIABLE)
    assert problem.line == 7
    assert "« situaton »" in problem.message


def test_value_not_declared_for_variable(load_edited: Edit) -> None:
    text = FLOW_HEAD + (
        "  debut:\n    message: Vous êtes ?\n    choix:\n      - texte: Libéral\n"
        "        definir: {statut: liberale}\n        vers: fin\n"
        "  fin:\n    message: x\n    fin: oui\n"
    )
    problem = only(load_edited("flows/essai.yaml", text), Code.UNKNOWN_VALUE)
    assert problem.line == 9
    assert "« liberal »" in problem.message


def test_placeholder_of_unknown_variable(load_edited: Edit) -> None:
    text = FLOW_HEAD + "  debut:\n    message: Bonjour {prenom}\n    fin: oui\n"
    problem = only(load_edited("flows/essai.yaml", text), Code.UNSET_VARIABLE)
    assert "« prenom »" in problem.message


@pytest.mark.parametrize(
    ("phone", "ok"),
    [("01 46 22 32 97", True), ("0800 288 038", True), ("3114", True), ("0146223297", False),
     ("+33 1 46 22 32 97", False), ("01-46-22-32-97", False)],
)
def test_malformed_phone_number(load_edited: Edit, phone: str, ok: bool) -> None:
    text = (
        f'ressources:\n  essai:\n    nom: Essai\n    pour: x\n    public: [tous]\n'
        f'    telephone: "{phone}"\n    source: test\n    verifie_le: 2026-01-01\n'
        "    fiabilite: certain\n"
    )
    result = load_edited("knowledge/ressources/zz.yaml", text)
    if ok:
        assert result.problems == []
    else:
        problem = only(result, Code.SCHEMA)
        assert problem.line == 6
        assert "numéro mal écrit" in problem.message


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [("url", "www.ordremk.fr", "adresse web invalide"), ("email", "cno@ordremk", "e-mail invalide")],
)
def test_malformed_url_and_email(load_edited: Edit, key: str, value: str, expected: str) -> None:
    text = (
        f"ressources:\n  essai:\n    nom: Essai\n    pour: x\n    public: [tous]\n"
        f"    {key}: {value}\n    source: test\n    verifie_le: 2026-01-01\n    fiabilite: certain\n"
    )
    problem = only(load_edited("knowledge/ressources/zz.yaml", text), Code.SCHEMA)
    assert problem.line == 6
    assert expected in problem.message


def test_resource_without_source_or_date(load_edited: Edit) -> None:
    text = "ressources:\n  essai:\n    nom: Essai\n    pour: x\n    public: [tous]\n    fiabilite: certain\n"
    result = load_edited("knowledge/ressources/zz.yaml", text)
    messages = [p.message for p in result.problems]
    assert "la clé « source » est obligatoire ici : ajoutez-la." in messages
    assert "la clé « verifie_le » est obligatoire ici : ajoutez-la." in messages
    assert all(p.line == 2 for p in result.problems)


def test_unverified_fact_cannot_be_marked(load_edited: Edit) -> None:
    text = (
        "ressources:\n  essai:\n    nom: Essai\n    pour: x\n    public: [tous]\n"
        "    source: test\n    verifie_le: 2026-01-01\n    fiabilite: non_verifie\n"
    )
    problem = only(load_edited("knowledge/ressources/zz.yaml", text), Code.SCHEMA)
    assert problem.line == 8
    assert "'certain'" in problem.message


def test_phone_number_in_text_must_exist_in_knowledge(load_edited: Edit) -> None:
    text = FLOW_HEAD + "  debut:\n    message: Appelez le 0800 800 854 maintenant.\n    fin: oui\n"
    problem = only(load_edited("flows/essai.yaml", text), Code.UNKNOWN_CONTACT)
    assert problem.line == 6
    assert "« 0800 800 854 »" in problem.message


def test_amounts_and_years_are_not_phone_numbers(load_edited: Edit) -> None:
    text = FLOW_HEAD + (
        "  debut:\n    message: 30 000 € en 2024, 300 € par mois, 49 000 euros, 3 000 actes.\n"
        "    fin: oui\n"
    )
    assert load_edited("flows/essai.yaml", text).problems == []


def test_url_in_text_must_exist_in_knowledge(load_edited: Edit) -> None:
    text = FLOW_HEAD + "  debut:\n    message: Voir https://exemple.fr/page\n    fin: oui\n"
    problem = only(load_edited("flows/essai.yaml", text), Code.UNKNOWN_CONTACT)
    assert "https://exemple.fr/page" in problem.message


def test_missing_department(content_copy, load_edited: Edit) -> None:  # type: ignore[no-untyped-def]
    (content_copy / "knowledge/departements/normandie.yaml").unlink()
    result = load_edited("flows/essai.yaml", FLOW_HEAD + "  debut:\n    message: x\n    fin: oui\n")
    missing = {p.message for p in result.problems if p.code == Code.MISSING_DEPARTMENT}
    assert "le département 14 manque : ajoutez-le au fichier de sa région" in missing
    assert len(missing) == 5


def test_message_too_long(load_edited: Edit) -> None:
    text = FLOW_HEAD + f"  debut:\n    message: {'a' * 5000}\n    fin: oui\n"
    problem = only(load_edited("flows/essai.yaml", text), Code.MESSAGE_TOO_LONG)
    assert problem.line == 6


def test_yaml_error_is_reported_with_the_others(load_edited: Edit, content_copy) -> None:  # type: ignore[no-untyped-def]
    (content_copy / "flows/casse.yaml").write_text("flux: casse\netapes:\n  a:\n   b: [\n", "utf-8")
    text = FLOW_HEAD + "  debut:\n    message: x\n    choix:\n      - texte: Oui\n        vers: nulle\n"
    result = load_edited("flows/essai.yaml", text)
    codes = {p.code for p in result.problems}
    assert {Code.YAML, Code.UNKNOWN_TARGET} <= codes


def test_interface_message_missing(content_copy, load_edited: Edit) -> None:  # type: ignore[no-untyped-def]
    path = content_copy / "flows/interface.yaml"
    text = path.read_text("utf-8").replace("    menu_perime:", "    menu_perime_x:")
    result = load_edited("flows/interface.yaml", text)
    assert any(p.code == Code.MISSING_TEXT and "menu_perime" in p.message for p in result.problems)


def test_numbers_in_prose_are_read_as_a_reader_would(load_edited: Edit) -> None:
    text = FLOW_HEAD + (
        "  debut:\n    message: \"Appelez le 0800 288 038, ou le 3114. Art. 226-14 du code pénal, "
        "loi n° 2020-936, 4 500 signalements, 1,5 jour, le 12/03.\"\n    fin: oui\n"
    )
    assert load_edited("flows/essai.yaml", text).problems == []


def test_unknown_number_before_a_comma_is_still_caught(load_edited: Edit) -> None:
    text = FLOW_HEAD + "  debut:\n    message: \"Appelez le 0800 800 854, vite.\"\n    fin: oui\n"
    problem = only(load_edited("flows/essai.yaml", text), Code.UNKNOWN_CONTACT)
    assert "« 0800 800 854 »" in problem.message


def test_link_buttons_must_point_to_a_known_resource(load_edited: Edit) -> None:
    text = FLOW_HEAD + (
        "  debut:\n    message: x\n    liens:\n      - texte: Site\n        url: https://inconnu.fr\n"
        "      - texte: Ordre\n        url: https://www.ordremk.fr/\n    fin: oui\n"
    )
    problem = only(load_edited("flows/essai.yaml", text), Code.UNKNOWN_CONTACT)
    assert problem.line == 9
    assert "https://inconnu.fr" in problem.message
