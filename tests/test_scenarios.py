"""Replay every scenario file staff wrote in flows/scenarios/."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.content.bundle import Bundle
from bot.scenarios import run_file, scenario_files

SCENARIOS = Path(__file__).resolve().parents[1] / "flows" / "scenarios"


@pytest.mark.parametrize("path", scenario_files(SCENARIOS), ids=lambda p: p.name)
def test_scenario_file(real_bundle: Bundle, path: Path) -> None:
    count, failures = run_file(real_bundle, path)
    assert count > 0
    assert not failures, "\n".join(map(str, failures))


def test_every_flow_has_a_scenario(real_bundle: Bundle) -> None:
    visited: set[str] = set()
    for path in scenario_files(SCENARIOS):
        run_file(real_bundle, path, visited)
    covered = {node.partition("/")[0] for node in visited}
    assert set(real_bundle.flows) - covered == set()


def test_a_failing_scenario_names_file_line_and_what_was_shown(
    real_bundle: Bundle, tmp_path: Path
) -> None:
    path = tmp_path / "faux.yaml"
    path.write_text(
        "scenarios:\n  - nom: Faux\n    pas:\n      - commande: /start\n"
        "        attendu: [\"texte qui n'existe pas\"]\n",
        encoding="utf-8",
    )
    count, failures = run_file(real_bundle, path)
    assert count == 1 and len(failures) == 1
    message = str(failures[0])
    assert "faux.yaml, ligne 4 : [Faux]" in message
    assert "« texte qui n'existe pas » attendu mais absent" in message
    assert "Bonjour" in message


def test_missing_button_is_reported(real_bundle: Bundle, tmp_path: Path) -> None:
    path = tmp_path / "bouton.yaml"
    path.write_text(
        "scenarios:\n  - nom: Bouton\n    pas:\n      - commande: /start\n"
        "      - toucher: Bouton fantôme\n",
        encoding="utf-8",
    )
    _, failures = run_file(real_bundle, path)
    assert "pas de bouton « Bouton fantôme »" in str(failures[0])
