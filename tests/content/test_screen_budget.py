"""The length budget: a screen over 1,200 characters is refused, over 800 is advice.

Screens are measured as the person reads them, in one message: the texts of every step the
turn passes through, the cards, and the engine's line said in the same turn.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.cli import main
from bot.content.problems import Code
from bot.engine import budget
from bot.validation import Validation, validate

HEAD = 'flux: essai\ntitre: "Essai"\ndebut: debut\netapes:\n'


def words(count: int) -> str:
    """Plain French-looking text of exactly ``count`` characters."""
    text = ("Un texte assez long pour remplir l'écran. " * (count // 40 + 1))[:count]
    return text[:-1] + "." if text.endswith(" ") else text


ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def content(tmp_path: Path) -> Path:
    """A writable copy of the real content (which fits the budget)."""
    shutil.copytree(ROOT / "flows", tmp_path / "flows", ignore=shutil.ignore_patterns("scenarios"))
    shutil.copytree(ROOT / "knowledge", tmp_path / "knowledge")
    return tmp_path


def edit(content: Path, name: str, text: str) -> Validation:
    (content / "flows" / name).write_text(text, encoding="utf-8")
    result = validate(content / "flows", content / "knowledge")
    result.advice = [a for a in result.advice if a.file.endswith(name)]
    return result


def test_a_screen_over_the_budget_is_refused_with_file_and_line(content: Path) -> None:
    flow = HEAD + (
        "  debut:\n"
        "    message: Court.\n"
        "    choix:\n"
        "      - texte: Suite\n"
        "        vers: long\n"
        "  long:\n"
        f'    message: "{words(1201)}"\n'
        "    fin: oui\n"
    )
    result = edit(content, "essai.yaml", flow)
    assert result.bundle is None
    [problem] = [p for p in result.problems if p.code == Code.SCREEN_TOO_LONG]
    assert problem.file.endswith("flows/essai.yaml") and problem.line == 10
    assert "« essai/long » fait 1\u00a0201 caractères" in problem.message
    assert "En savoir plus" in problem.message


def test_801_characters_is_advice_and_the_content_is_accepted(
    content: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    flow = HEAD + f'  debut:\n    message: "{words(801)}"\n    fin: oui\n'
    result = edit(content, "essai.yaml", flow)
    assert result.bundle is not None and result.problems == []
    [advice] = result.advice
    assert advice.code == Code.SCREEN_LONG and advice.line == 5
    assert "« essai/debut » fait 801 caractères" in advice.message
    monkeypatch.chdir(content)
    assert main(["check"]) == 0
    shown = capsys.readouterr()
    assert "Conseil : flows/essai.yaml, ligne 5 : l'écran « essai/debut » fait 801" in shown.err
    assert shown.out.startswith("Contenu valide")


def test_800_characters_is_fine(content: Path) -> None:
    result = edit(content, "essai.yaml", HEAD + f'  debut:\n    message: "{words(800)}"\n'
                  "    fin: oui\n")
    assert result.bundle is not None and result.advice == []


def test_every_step_of_a_turn_counts_in_its_one_screen(content: Path) -> None:
    """Two steps of 700 characters chained by « suite »: one screen of 1,402."""
    flow = HEAD + (
        f'  debut:\n    message: "{words(700)}"\n    suite: fin\n'
        f'  fin:\n    message: "{words(700)}"\n    fin: oui\n'
    )
    result = edit(content, "essai.yaml", flow)
    [problem] = [p for p in result.problems if p.code == Code.SCREEN_TOO_LONG]
    assert problem.line == 5
    assert "« essai/debut → essai/fin » fait 1\u00a0402 caractères" in problem.message


def test_cards_and_the_profile_that_sees_them_count(content: Path) -> None:
    """A long card shown to liberal kinés only: measured for them, and named."""
    (content / "knowledge" / "ressources" / "longue.yaml").write_text(
        "ressources:\n"
        "  longue:\n"
        '    nom: "Fiche longue"\n'
        f'    pour: "{words(900)}"\n'
        "    public: [liberal]\n"
        '    source: "essai"\n'
        "    verifie_le: 2026-11-23\n"
        "    fiabilite: certain\n",
        encoding="utf-8",
    )
    flow = HEAD + (
        '  debut:\n    message: "Pour vous :"\n'
        '    selon:\n      - si: {statut: patient}\n        vers: court\n    sinon: fiche\n'
        f'  fiche:\n    message: "{words(400)}"\n    ressources: [longue]\n    fin: oui\n'
        '  court:\n    message: "Rien ici."\n    fin: oui\n'
    )
    result = edit(content, "essai.yaml", flow)
    too_long = sorted(p.message for p in result.problems if p.code == Code.SCREEN_TOO_LONG)
    assert len(too_long) == 2  # arriving on « debut », and coming back to « fiche »
    assert "« essai/debut → essai/fiche » fait" in too_long[0]
    assert "« essai/fiche » fait" in too_long[1]
    assert result.advice == []  # the patient's short screen is fine


def test_the_real_content_fits_the_budget(real_bundle: object) -> None:
    measures = budget.measure(real_bundle)  # type: ignore[arg-type]
    assert measures and all(m.length <= budget.LIMIT for m in measures), measures[0]
