"""Problems found in the content, reported all at once, in French, with file and line.

Each problem has a stable ``code`` (tests assert it) and a sentence for the staff
member who edits the files, saying what is wrong and how to fix it.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path


class Code(StrEnum):
    """Kinds of problem; one per validation rule."""

    YAML = "yaml"
    SCHEMA = "schema"
    DUPLICATE_ID = "duplicate_id"
    UNKNOWN_TARGET = "unknown_target"
    UNKNOWN_FLOW = "unknown_flow"
    UNKNOWN_RESOURCE = "unknown_resource"
    UNKNOWN_SIMULATOR = "unknown_simulator"
    UNREACHABLE = "unreachable"
    NO_END = "no_end"
    UNSET_VARIABLE = "unset_variable"
    UNKNOWN_VALUE = "unknown_value"
    UNKNOWN_PLACEHOLDER = "unknown_placeholder"
    MISSING_DEPARTMENT = "missing_department"
    MISSING_FILE = "missing_file"
    MESSAGE_TOO_LONG = "message_too_long"
    MISSING_TEXT = "missing_text"
    VARIABLE_CHOICE = "variable_choice"
    UNKNOWN_CONTACT = "unknown_contact"
    SCENARIO = "scenario"
    SCREEN_TOO_LONG = "screen_too_long"
    SCREEN_LONG = "screen_long"
    """Advice only: the screen is accepted."""


@dataclass(frozen=True, order=True)
class Problem:
    """One thing to fix; ``line`` is 1-based, ``None`` when the whole file is concerned.

    ``about`` names the item the problem refers to (``ressource:sps``, ``flux:urgence``,
    ``departement:14``, ``contact:3114``…). ``cause`` is set when the problem exists only
    because another item is invalid (its file failed to parse, it failed its schema, a
    destination is mistyped): it is then a *consequence*, shown folded under that root
    cause (:mod:`bot.content.report`). Neither takes part in equality or ordering.
    """

    file: str
    line: int | None
    code: Code
    message: str
    about: str = field(default="", compare=False)
    cause: Problem | None = field(default=None, compare=False, repr=False)

    def __str__(self) -> str:
        where = f"{self.file}, ligne {self.line}" if self.line else self.file
        return f"{where} : {self.message}"

    @property
    def root(self) -> Problem:
        """The root cause of this problem (itself when it is one)."""
        problem = self
        while problem.cause is not None:
            problem = problem.cause
        return problem


def relative(path: Path) -> str:
    """Path as the staff see it: relative to the working directory when possible."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def closest(name: str, known: Iterable[str]) -> str | None:
    """The known name a misspelt ``name`` most likely meant, if any is close enough."""
    close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
    return close[0] if close else None


def did_you_mean(name: str, known: Iterable[str]) -> str:
    """French suggestion suffix for a misspelt name, or an empty string."""
    close = closest(name, known)
    return f" — vouliez-vous dire « {close} » ?" if close else ""
