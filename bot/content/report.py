"""The French text of a list of problems, as ``entraide check``, the studio and the logs show it.

One place for these words, so that the staff read the same thing wherever they look:

- the first line says how many problems there are to fix, and in how many files;
- root causes come first, in file and line order;
- a problem that exists only because another item is invalid (a reference to a resource
  whose file has an error, a destination inside a flow that failed to load, a step
  unreachable only because a destination is mistyped…) is not repeated: it is counted under
  its cause, as "+ 12 références à la ressource « sps », vérifiées dès que ce problème sera
  corrigé".

:func:`entries` gives that structure (the studio lays it out as HTML), :func:`report` the
plain text (the command line, the log, the admins' Telegram message).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from .problems import Code, Problem

AFTER_FIX: Final = "dès que ce problème sera corrigé"

_NOUNS: Final[dict[Code, tuple[str, str, bool]]] = {
    # code: (singular, plural, feminine)
    Code.UNKNOWN_RESOURCE: ("référence", "références", True),
    Code.UNKNOWN_SIMULATOR: ("référence", "références", True),
    Code.UNKNOWN_CONTACT: ("mention", "mentions", True),
    Code.UNKNOWN_FLOW: ("renvoi", "renvois", False),
    Code.UNKNOWN_TARGET: ("renvoi", "renvois", False),
    Code.UNSET_VARIABLE: ("utilisation", "utilisations", True),
    Code.MISSING_DEPARTMENT: ("département manquant", "départements manquants", False),
    Code.UNREACHABLE: ("étape inaccessible", "étapes inaccessibles", True),
    Code.NO_END: ("étape sans fin atteignable", "étapes sans fin atteignable", True),
}
_KINDS: Final[dict[str, tuple[str, str]]] = {
    # what the consequences refer to: (one item, several items of one file)
    "ressource": ("à la ressource « {} »", "à {} ressources de ce fichier"),
    "simulateur": ("au simulateur « {} »", "à {} simulateurs de ce fichier"),
    "contact": ("de « {} »", "de {} numéros ou adresses de ce fichier"),
    "flux": ("vers le flux « {} »", "vers {} flux de ce fichier"),
    "variable": ("de la variable « {} »", "de {} variables de ce fichier"),
}
_LISTED: Final = {"departement", "etape"}
"""Consequences named one by one: departments by code, steps by name."""
_LISTED_AT_MOST: Final = 8


@dataclass(frozen=True)
class Fold:
    """Consequences of one cause, of one kind, counted in one line."""

    text: str
    problems: tuple[Problem, ...]


@dataclass(frozen=True)
class Entry:
    """A root cause, with its consequences folded under it."""

    problem: Problem
    folds: tuple[Fold, ...] = ()

    @property
    def text(self) -> str:
        return str(self.problem)

    @property
    def consequences(self) -> int:
        return sum(len(fold.problems) for fold in self.folds)


def _plural(count: int, one: str, many: str) -> str:
    return one if count == 1 else many


def _fold_text(code: Code, problems: Sequence[Problem]) -> str:
    count = len(problems)
    one, many, feminine = _NOUNS.get(code, ("autre problème", "autres problèmes", False))
    kind = problems[0].about.partition(":")[0]
    names = sorted({p.about.partition(":")[2] for p in problems if p.about})
    what = ""
    if kind in _LISTED and names:
        shown = [n.partition("/")[2] or n for n in names] if kind == "etape" else names
        quoted = [f"« {n} »" if kind == "etape" else n for n in shown]
        what = " (" + ", ".join(quoted[:_LISTED_AT_MOST])
        what += ", …)" if len(quoted) > _LISTED_AT_MOST else ")"
    elif kind in _KINDS and names:
        single, several = _KINDS[kind]
        what = " " + (single.format(names[0]) if len(names) == 1 else several.format(len(names)))
    files = {p.file for p in problems}
    where = f" (dans {len(files)} fichiers)" if len(files) > 1 else ""
    checked = ("vérifiée" if feminine else "vérifié") + ("s" if count > 1 else "")
    return f"+ {count} {_plural(count, one, many)}{what}{where}, {checked} {AFTER_FIX}."


def entries(problems: Sequence[Problem]) -> list[Entry]:
    """Root causes first, in file and line order, each with its consequences folded."""
    present = set(problems)
    under: dict[Problem, list[Problem]] = {}
    roots: list[Problem] = []
    for problem in problems:
        root = problem.root
        if root is problem or root not in present:
            roots.append(problem)
        else:
            under.setdefault(root, []).append(problem)
    out: list[Entry] = []
    for root in sorted(set(roots), key=_order):
        by_code: dict[Code, list[Problem]] = {}
        for consequence in sorted(under.get(root, []), key=_order):
            by_code.setdefault(consequence.code, []).append(consequence)
        folds = [Fold(_fold_text(code, group), tuple(group)) for code, group in by_code.items()]
        out.append(Entry(root, tuple(folds)))
    return out


def _order(problem: Problem) -> tuple[str, int, str]:
    return (problem.file, problem.line or 0, problem.message)


def headline(found: Sequence[Entry]) -> str:
    """``3 problèmes à corriger, dans 2 fichiers (41 autres signalements en découlent…).``"""
    count = len(found)
    files = len({entry.problem.file for entry in found})
    text = (
        f"{count} {_plural(count, 'problème', 'problèmes')} à corriger, "
        f"dans {files} {_plural(files, 'fichier', 'fichiers')}"
    )
    folded = sum(entry.consequences for entry in found)
    if folded:
        text += (
            f" ({folded} autre{'s' if folded > 1 else ''} "
            f"signalement{'s' if folded > 1 else ''} en "
            f"découle{'nt' if folded > 1 else ''}, regroupé{'s' if folded > 1 else ''} "
            "sous leur cause)"
        )
    return text + "."


def more(count: int) -> str:
    """What stands for the problems left out of a shortened list."""
    return f"… et {count} {_plural(count, 'autre', 'autres')}."


def report(problems: Sequence[Problem], *, limit: int | None = None, details: bool = False) -> str:
    """The French text: headline, then each root cause with its folded consequences.

    ``limit`` keeps the first root causes only (then "… et N autres."); ``details`` lists
    every folded consequence under its line.
    """
    found = entries(problems)
    if not found:
        return "Aucun problème.\n"
    lines = [headline(found), ""]
    shown = found if limit is None else found[:limit]
    for entry in shown:
        lines.append(entry.text)
        for fold in entry.folds:
            lines.append(f"  {fold.text}")
            if details:
                lines.extend(f"      {p}" for p in fold.problems)
    if len(shown) < len(found):
        lines.append(more(len(found) - len(shown)))
    return "\n".join(lines) + "\n"
