"""The console channel driven through a real subprocess with scripted stdin."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def chat(tmp_path: Path, script: str, flows: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "ENTRAIDE_DB": str(tmp_path / "console.db"),
        "ENTRAIDE_FLOWS": str(flows or ROOT / "tests" / "fixtures" / "flows"),
        "ENTRAIDE_KNOWLEDGE": str(ROOT / "knowledge"),
    }
    return subprocess.run(
        [sys.executable, "-m", "bot", "chat"],
        input=script,
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=60,
        check=False,
    )


def test_scripted_conversation_numbers_labels_commands(tmp_path: Path) -> None:
    out = chat(tmp_path, "1\nEntraide de l'Ordre\n3\ncalvados\n/retour\n/quitter\nne doit pas être lu\n")
    assert out.returncode == 0, out.stderr
    text = out.stdout
    assert "[1] Kiné libéral·e" in text
    assert "pas une assurance" in text
    assert "Calvados (14)" in text
    assert text.count("Dans quel département") == 2, "/retour shows the question again"
    assert "ne doit pas être lu" not in text
    assert out.stderr == ""


def test_restart_resumes_where_the_user_was(tmp_path: Path) -> None:
    chat(tmp_path, "1\n2\n")
    out = chat(tmp_path, "")
    assert "pas une assurance" in out.stdout
    assert "Bonjour" not in out.stdout


def test_oubli_erases_and_next_session_starts_afresh(tmp_path: Path) -> None:
    chat(tmp_path, "1\n/oubli\nOui, tout effacer\n")
    out = chat(tmp_path, "")
    assert "Bonjour" in out.stdout


def test_crisis_typed_in_the_console_gives_the_numbers_first(tmp_path: Path) -> None:
    out = chat(tmp_path, "jai plus envie de vivre\n")
    after = out.stdout.split("> jai plus envie de vivre", 1)[1]
    assert after.strip().startswith("Vous n'êtes pas seul·e")
    assert "3114" in after and "0800 288 038" in after


def test_broken_content_refuses_to_chat_with_french_errors(tmp_path: Path) -> None:
    import shutil

    flows = tmp_path / "flows"
    shutil.copytree(ROOT / "tests" / "fixtures" / "flows", flows)
    (flows / "menu.yaml").write_text(
        (flows / "menu.yaml").read_text("utf-8").replace("flux: entraide", "flux: entraid"), "utf-8"
    )
    out = chat(tmp_path, "", flows=flows)
    assert out.returncode == 1
    assert "menu.yaml, ligne" in out.stderr
    assert "vouliez-vous dire « entraide »" in out.stderr


def test_huge_line_does_not_break_the_console(tmp_path: Path) -> None:
    out = chat(tmp_path, "1\n" + "<b>&" * 5000 + "\n/quitter\n")
    assert out.returncode == 0
    assert "Je n'ai pas bien compris" in out.stdout or "Que cherchez-vous" in out.stdout
