"""Ways a staff member breaks the content, shared by the studio's tests."""

from __future__ import annotations

import re
from pathlib import Path


def edit(path: Path, pattern: str, replacement: str, *, flags: int = 0) -> None:
    """Replace the first match of ``pattern``; fail loudly if the content no longer has it."""
    text = path.read_text(encoding="utf-8")
    new, count = re.subn(pattern, replacement, text, count=1, flags=flags)
    assert count == 1, f"{pattern!r} not found in {path}"
    path.write_text(new, encoding="utf-8")


def break_as_in_the_issue(content: Path) -> None:
    """One mistyped date and one mistyped number in lignes_ecoute.yaml, one mistyped
    destination in urgence.yaml (issue 12)."""
    lines = content / "knowledge" / "ressources" / "lignes_ecoute.yaml"
    edit(lines, r"verifie_le: (\d{4})-\d\d-\d\d", r"verifie_le: \1-11-31")
    edit(lines, r'(\n  sps:\n(?:    .*\n)*?    telephone: "[^"]*?)\d"', r'\1"')
    edit(content / "flows" / "urgence.yaml", r"vers: ([a-z_]+)", r"vers: \1x")
