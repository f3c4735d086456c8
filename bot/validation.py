"""The one way to load content for use: every check, whoever asks (check, chat, run, studio,
the running bot's reload).

:func:`bot.content.loader.load_content` reads and cross-checks the YAML; checks that need the
engine (how a screen renders) are added here, above both layers, so that ``bot/content``
never imports ``bot/engine``: today the length budget of every screen
(:mod:`bot.engine.budget`).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path

from bot.config import Settings
from bot.content.bundle import Bundle
from bot.content.loader import LoadResult, load_content
from bot.content.problems import Code, Problem, relative
from bot.content.report import report
from bot.content.yaml_loader import Document, YamlError, load_file
from bot.engine import budget


@dataclass
class Validation(LoadResult):
    """A :class:`LoadResult` plus advice: things worth improving that do not block."""

    advice: list[Problem] = field(default_factory=list)


def validate(flows_dir: Path, knowledge_dir: Path) -> Validation:
    """The content with every problem found; ``bundle`` is None unless it is all valid."""
    loaded = load_content(flows_dir, knowledge_dir)
    if loaded.bundle is None:
        return Validation(None, loaded.problems, loaded.version, loaded.where)
    errors, advice = screen_lengths(loaded.bundle, flows_dir)
    if errors:
        return Validation(
            None, sorted(loaded.problems + errors), loaded.version, loaded.where, advice
        )
    return Validation(loaded.bundle, loaded.problems, loaded.version, loaded.where, advice)


def screen_lengths(bundle: Bundle, flows_dir: Path) -> tuple[list[Problem], list[Problem]]:
    """Screens over the budget (errors) and over the advised length (advice), located."""
    lines = _FlowLines(flows_dir)
    errors: list[Problem] = []
    advice: list[Problem] = []
    for m in budget.measure(bundle):
        if m.length <= budget.ADVICE:
            break
        file, line = lines.locate(m.flow, m.node)
        count = _french(m.length)
        if m.length > budget.LIMIT:
            errors.append(Problem(file, line, Code.SCREEN_TOO_LONG, (
                f"l'écran {m.describe()} fait {count} caractères ; un écran en affiche "
                f"{_french(budget.LIMIT)} au plus : raccourcissez-le, ou mettez les détails "
                "derrière un bouton « En savoir plus » (voir flows/README.md, « Longueur des "
                "écrans »)"
            )))
        else:
            advice.append(Problem(file, line, Code.SCREEN_LONG, (
                f"l'écran {m.describe()} fait {count} caractères ; au-delà de {budget.ADVICE}, "
                "il se lit mal sur un téléphone : pouvez-vous le raccourcir ?"
            )))
    return sorted(errors), sorted(advice)


def _french(number: int) -> str:
    """``1 200``: thousands apart with a no-break space, the French way."""
    return f"{number:,}".replace(",", "\u00a0")


class _FlowLines:
    """The file and line of a step, read again only for the flows that are reported."""

    def __init__(self, flows_dir: Path) -> None:
        self.flows_dir = flows_dir
        self._docs: dict[str, Document | None] = {}

    def locate(self, flow: str, node: str) -> tuple[str, int | None]:
        if flow not in self._docs:
            self._docs[flow] = self._find(flow)
        found = self._docs[flow]
        if found is None:
            return relative(self.flows_dir), None
        return relative(found.path), found.line_of(("etapes", node))

    def _find(self, flow: str) -> Document | None:
        """``flows/<flow>.yaml`` as the README advises, else whichever file declares it."""
        named = [self.flows_dir / f"{flow}.yaml", self.flows_dir / f"{flow}.yml"]
        others = sorted(p for p in self.flows_dir.glob("*.y*ml") if p not in named)
        for path in [*(p for p in named if p.is_file()), *others]:
            try:
                doc = load_file(path)
            except YamlError:
                continue
            if isinstance(doc.data, dict) and doc.data.get("flux") == flow:
                return doc
        return None


def advice_report(advice: list[Problem]) -> str:
    """Advice, one per line, said to be advice (``entraide check`` still succeeds)."""
    if not advice:
        return ""
    lines = [f"Conseil : {item}" for item in advice]
    count = len(advice)
    lines.append(f"{count} conseil{'s' if count > 1 else ''} (le contenu est accepté).\n")
    return "\n".join(lines) + "\n"


def load_or_report(settings: Settings) -> LoadResult:
    """Load the content and print its problems in French on stderr."""
    result = validate(settings.flows_dir, settings.knowledge_dir)
    if result.problems:
        sys.stderr.write(report(result.problems))
    return result
