"""The understanding package stays pure: no I/O, no logging, no printing."""

from __future__ import annotations

import ast
from pathlib import Path

import bot.understanding

ALLOWED_IMPORTS = {
    "__future__",
    "bisect",
    "heapq",
    "collections",
    "collections.abc",
    "dataclasses",
    "math",
    "re",
    "typing",
    "unicodedata",
    "fractions",
    "rapidfuzz",
}
FORBIDDEN_CALLS = {"open", "print", "input", "exec", "eval"}


def _modules() -> list[Path]:
    return sorted(Path(bot.understanding.__file__).parent.glob("*.py"))


def test_only_pure_imports() -> None:
    for path in _modules():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            for name in names:
                assert name in ALLOWED_IMPORTS or name.startswith("bot.understanding"), (
                    path.name,
                    name,
                )


def test_no_io_calls() -> None:
    for path in _modules():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                assert node.func.id not in FORBIDDEN_CALLS, (path.name, node.func.id)
