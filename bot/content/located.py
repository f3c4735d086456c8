"""Where each piece of content came from, so that a problem can name its file and line.

Filled by :mod:`bot.content.loader` while reading, read by the cross-checks: a separate
module so that neither imports the other. It also remembers the items that are written in
the files but could not be loaded (``broken``): a cross-check that finds a reference to one
of them reports a *consequence* of that item's problem, not a new root cause.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from rapidfuzz.distance import Levenshtein

from .problems import Code, Problem, relative
from .yaml_loader import Document

Loc = tuple[str | int, ...]

CLOSE_DIGITS = 2
"""A number in a text within this many typed digits of a broken resource's number is taken
to be that resource's number (``0805 23 23 36`` written, ``0805 23 23 3`` mistyped)."""


def contact_key(value: str) -> str:
    """How a phone number or web address is compared: digits only, or the bare address."""
    digits = re.sub(r"\D", "", value)
    if digits and not re.search(r"[A-Za-z]", value):
        return digits
    return value.split("://", 1)[-1].rstrip("/").lower()


@dataclass
class Located:
    """The document (and the path inside it) of every flow, resource, department, simulator."""

    flows: dict[str, tuple[Document, Loc]] = field(default_factory=dict)
    resources: dict[str, tuple[Document, Loc]] = field(default_factory=dict)
    departments: dict[str, tuple[Document, Loc]] = field(default_factory=dict)
    simulators: dict[str, tuple[Document, Loc]] = field(default_factory=dict)
    interface: Document | None = None
    understanding: Document | None = None
    broken: dict[str, Problem] = field(default_factory=dict)
    """Items present in the files but not loaded (``ressource:sps``, ``flux:urgence``,
    ``departement:14``, ``simulateur:x``, ``variable:x``), with the problem that broke them."""
    broken_contacts: dict[str, Problem] = field(default_factory=dict)
    """Phone numbers and addresses held by broken resources (:func:`contact_key`)."""

    def break_item(self, about: str, problem: Problem) -> None:
        """Remember that ``about`` could not be loaded because of ``problem`` (first one wins)."""
        self.broken.setdefault(about, problem)

    def break_contact(self, value: str, problem: Problem) -> None:
        self.broken_contacts.setdefault(contact_key(value), problem)

    def cause_of(self, about: str) -> Problem | None:
        """The problem that made a reference to ``about`` fail, or None if it is a real one."""
        if not about:
            return None
        if about in self.broken:
            return self.broken[about]
        kind, _, value = about.partition(":")
        if kind != "contact" or not self.broken_contacts:
            return None
        key = contact_key(value)
        if key in self.broken_contacts:
            return self.broken_contacts[key]
        if key.isdigit() and len(key) >= 4:
            near = [
                (Levenshtein.distance(key, other), other)
                for other in self.broken_contacts
                if other.isdigit()
            ]
            near = [(d, other) for d, other in near if d <= CLOSE_DIGITS]
            if near:
                return self.broken_contacts[min(near)[1]]
        return None


class Reporter:
    """Collects problems, turning a content path into ``file, ligne N``.

    ``about`` names what the problem refers to; when that item is broken, the problem is
    recorded as a consequence of the item's own problem (``cause``).
    """

    def __init__(self, where: Located) -> None:
        self.where = where
        self.problems: list[Problem] = []

    def add(self, problem: Problem) -> Problem:
        self.problems.append(problem)
        return problem

    def problem(
        self,
        file: str,
        line: int | None,
        code: Code,
        msg: str,
        about: str = "",
        cause: Problem | None = None,
    ) -> Problem:
        return self.add(Problem(file, line, code, msg, about, cause or self.where.cause_of(about)))

    def flow_problem(
        self,
        flow: str,
        loc: Loc,
        code: Code,
        msg: str,
        about: str = "",
        cause: Problem | None = None,
    ) -> Problem:
        doc, prefix = self.where.flows[flow]
        return self.problem(
            relative(doc.path), doc.line_of((*prefix, *loc)), code, msg, about, cause
        )

    def doc_problem(
        self, doc: Document | None, loc: Loc, code: Code, msg: str, about: str = ""
    ) -> Problem | None:
        if doc is None:
            return None
        return self.problem(relative(doc.path), doc.line_of(loc), code, msg, about)
