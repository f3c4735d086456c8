"""Where each piece of content came from, so that a problem can name its file and line.

Filled by :mod:`bot.content.loader` while reading, read by the cross-checks: a separate
module so that neither imports the other.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .problems import Code, Problem, relative
from .yaml_loader import Document

Loc = tuple[str | int, ...]


@dataclass
class Located:
    """The document (and the path inside it) of every flow, resource, department, simulator."""

    flows: dict[str, tuple[Document, Loc]] = field(default_factory=dict)
    resources: dict[str, tuple[Document, Loc]] = field(default_factory=dict)
    departments: dict[str, tuple[Document, Loc]] = field(default_factory=dict)
    simulators: dict[str, tuple[Document, Loc]] = field(default_factory=dict)
    interface: Document | None = None
    understanding: Document | None = None


class Reporter:
    """Collects problems, turning a content path into ``file, ligne N``."""

    def __init__(self, where: Located) -> None:
        self.where = where
        self.problems: list[Problem] = []

    def flow_problem(self, flow: str, loc: Loc, code: Code, msg: str) -> None:
        doc, prefix = self.where.flows[flow]
        self.problems.append(Problem(relative(doc.path), doc.line_of((*prefix, *loc)), code, msg))

    def doc_problem(self, doc: Document | None, loc: Loc, code: Code, msg: str) -> None:
        if doc is None:
            return
        self.problems.append(Problem(relative(doc.path), doc.line_of(loc), code, msg))
