"""Errors that point at the cause: consequences of an invalid item are folded under it.

Each test breaks a copy of the real content the way a staff member might, and checks that
the report reads as its causes: the first line counts the causes and their files, every
consequence is folded under the cause that produced it, and nothing real is hidden.
"""

from __future__ import annotations

from pathlib import Path

from bot.content.problems import Code
from bot.content.report import entries, report
from bot.validation import validate
from tests.studio.breakage import break_as_in_the_issue, edit


def inside(content: Path, file: str) -> str:
    """A problem's file as the staff would see it from the content's folder."""
    return Path(file).relative_to(content).as_posix()


def load(content: Path) -> tuple[list, str]:  # type: ignore[type-arg]
    result = validate(content / "flows", content / "knowledge")
    assert result.bundle is None
    return result.problems, report(result.problems)


def test_the_issue_edit_reads_as_its_three_causes(content: Path) -> None:
    break_as_in_the_issue(content)
    problems, text = load(content)
    found = entries(problems)
    assert len(found) == 3
    assert sum(entry.consequences for entry in found) + 3 == len(problems)
    assert len(problems) > 10, "the edit should still produce many consequences"
    first = text.splitlines()[0]
    assert first.startswith("3 problèmes à corriger, dans 2 fichiers (")
    assert f"{len(problems) - 3} autres signalements en découlent" in first
    causes = [entry.problem for entry in found]
    assert {p.code for p in causes} == {Code.SCHEMA, Code.UNKNOWN_TARGET}
    assert sorted(inside(content, p.file) for p in causes) == [
        "flows/urgence.yaml",
        "knowledge/ressources/lignes_ecoute.yaml",
        "knowledge/ressources/lignes_ecoute.yaml",
    ]
    # No consequence is printed as a line of its own: only the causes and the fold lines.
    body = [line for line in text.splitlines()[2:] if line]
    assert len([line for line in body if not line.startswith("  + ")]) == 3
    assert "la ressource « sps » n'existe pas" not in text
    assert "+ " in text and "à la ressource « sps »" in text
    assert "vérifiées dès que ce problème sera corrigé" in text


def test_the_mistyped_destination_carries_the_steps_it_cut_off(content: Path) -> None:
    break_as_in_the_issue(content)
    problems, _ = load(content)
    target = next(e for e in entries(problems) if e.problem.code == Code.UNKNOWN_TARGET)
    unreachable = [p for fold in target.folds for p in fold.problems]
    assert unreachable and all(p.code in (Code.UNREACHABLE, Code.NO_END) for p in unreachable)
    assert all(inside(content, p.file) == "flows/urgence.yaml" for p in unreachable)


def test_details_list_each_folded_consequence(content: Path) -> None:
    break_as_in_the_issue(content)
    result = validate(content / "flows", content / "knowledge")
    detailed = report(result.problems, details=True)
    assert "la ressource « sps » n'existe pas" in detailed
    assert len(detailed.splitlines()) > len(report(result.problems).splitlines())


def test_a_resource_file_that_is_not_yaml_carries_every_reference_to_it(content: Path) -> None:
    lines = content / "knowledge" / "ressources" / "lignes_ecoute.yaml"
    edit(lines, r'nom: "', 'nom: "\t', flags=0)
    edit(lines, r'pour: "([^"]*)"', r'pour: "\1', flags=0)  # an unclosed quote
    problems, text = load(content)
    found = entries(problems)
    assert [e.problem.code for e in found] == [Code.YAML]
    assert inside(content, found[0].problem.file) == "knowledge/ressources/lignes_ecoute.yaml"
    assert text.startswith("1 problème à corriger, dans 1 fichier (")
    assert "ressources de ce fichier" in text


def test_a_flow_that_fails_its_schema_carries_the_destinations_into_it(content: Path) -> None:
    edit(content / "flows" / "soutien_psy.yaml", r"\n(  [a-z_]+:\n    )message:", r"\n\1mesage:")
    problems, text = load(content)
    found = entries(problems)
    assert all(inside(content, e.problem.file) == "flows/soutien_psy.yaml" for e in found), text
    folded = [p for e in found for f in e.folds for p in f.problems]
    assert any(inside(content, p.file) == "flows/menu.yaml" for p in folded), "the menu's button"
    assert "vers le flux « soutien_psy »" in text


def test_a_region_file_that_is_not_yaml_carries_its_missing_departments(content: Path) -> None:
    edit(content / "knowledge" / "departements" / "normandie.yaml", r'nom: "Eure"', 'nom: "Eure')
    problems, text = load(content)
    found = entries(problems)
    assert [inside(content, e.problem.file) for e in found] == [
        "knowledge/departements/normandie.yaml"
    ]
    assert "+ 5 départements manquants (14, 27, 50, 61, 76)" in text


def test_a_step_whose_only_way_out_is_mistyped_is_folded_under_it(load_edited) -> None:  # type: ignore[no-untyped-def]
    text = 'flux: essai\ntitre: "Essai"\ndebut: debut\netapes:\n' + (
        "  debut:\n    message: x\n    choix:\n      - texte: A\n        vers: milieu\n"
        "  milieu:\n    message: y\n    suite: zzz\n"
    )
    result = load_edited("flows/essai.yaml", text)
    found = entries(result.problems)
    assert [e.problem.code for e in found] == [Code.UNKNOWN_TARGET]
    assert {p.code for f in found[0].folds for p in f.problems} == {Code.NO_END}


def test_a_real_mistake_stays_a_cause_with_its_suggestion(content: Path) -> None:
    edit(content / "flows" / "urgence.yaml", r"ressources: \[prevention_suicide_3114",
         "ressources: [prevention_suicide_311")
    problems, text = load(content)
    assert [e.problem.code for e in entries(problems)] == [Code.UNKNOWN_RESOURCE]
    assert "vouliez-vous dire « prevention_suicide_3114 » ?" in text


def test_a_genuinely_orphan_step_is_not_blamed_on_anything(load_edited) -> None:  # type: ignore[no-untyped-def]
    text = 'flux: essai\ntitre: "Essai"\ndebut: debut\netapes:\n' + (
        "  debut:\n    message: x\n    choix:\n      - texte: A\n        vers: nulle_part\n"
        "    fin: oui\n  orpheline:\n    message: y\n    fin: oui\n"
    )
    found = entries(load_edited("flows/essai.yaml", text).problems)
    assert sorted(e.problem.code for e in found) == [Code.UNKNOWN_TARGET, Code.UNREACHABLE]


def test_a_long_list_is_cut_after_the_limit(load_edited) -> None:  # type: ignore[no-untyped-def]
    steps = "".join(
        f"  e{i}:\n    message: x\n    ressources: [inconnue_{i}]\n    fin: oui\n" for i in range(14)
    )
    choices = "".join(f"      - texte: E{i}\n        vers: e{i}\n" for i in range(14))
    text = 'flux: essai\ntitre: "Essai"\ndebut: debut\netapes:\n  debut:\n    message: x\n'
    text += "    choix:\n" + choices + steps
    problems = load_edited("flows/essai.yaml", text).problems
    short = report(problems, limit=10)
    assert short.splitlines()[0].startswith("14 problèmes à corriger, dans 1 fichier.")
    assert short.rstrip().endswith("… et 4 autres.")
    assert len(short.rstrip().splitlines()) == 2 + 10 + 1


def test_a_flow_that_is_not_yaml_carries_the_destinations_into_it(content: Path) -> None:
    edit(content / "flows" / "soutien_psy.yaml", r"debut: ", "debut: [")
    problems, text = load(content)
    found = entries(problems)
    assert [(e.problem.code, inside(content, e.problem.file)) for e in found] == [
        (Code.YAML, "flows/soutien_psy.yaml")
    ], text
    assert "vers le flux « soutien_psy »" in text
