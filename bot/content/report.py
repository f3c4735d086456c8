"""The French text of a list of problems, as ``entraide check``, the studio and the logs show it."""

from __future__ import annotations

from collections.abc import Sequence

from .problems import Problem


def report(problems: Sequence[Problem]) -> str:
    """Every problem, one per line, then a count."""
    lines = [str(problem) for problem in problems]
    count = len(problems)
    lines.append(f"\n{count} problème{'s' if count > 1 else ''} à corriger.")
    return "\n".join(lines) + "\n"
