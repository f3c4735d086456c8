"""``entraide eval``: measure free-text understanding on labelled messages.

Each labelled message is sent to the real engine, on the real content, and where
it lands (and what its first screen shows) is compared with its label. The
command fails when a gate of :mod:`bot.evaluation.report` is missed: crisis
recall below 100 %, strict accuracy below 90 %, any crisis screen on the
near-miss set, a first-screen rate below its gate or a flow below its floor.

Modules: ``cases`` (the YAML files), ``run`` (engine, landing, scoring),
``first_screen`` (key-content matching), ``report`` (figures, gates, text).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from bot.config import Settings
from bot.content.bundle import Bundle
from bot.validation import validate

from .cases import (
    DEFAULT_CASES,
    DEFAULT_FIRST_SCREENS,
    DEFAULT_HOLDOUT,
    DEFAULT_NEAR_MISSES,
    DEFAULT_NEAR_MISSES_HOLDOUT,
    NOT_UNDERSTOOD,
    Case,
    CasesError,
    FirstScreens,
    load_cases,
    load_first_screens,
)
from .report import (
    ACCURACY_GATE,
    FIRST_SCREEN_GATE,
    NEAR_MISS_GATE,
    RECALL_GATE,
    Report,
    format_report,
)
from .run import Landing, Outcome, land, run_cases, score

__all__ = [
    "ACCURACY_GATE",
    "DEFAULT_CASES",
    "DEFAULT_FIRST_SCREENS",
    "DEFAULT_HOLDOUT",
    "DEFAULT_NEAR_MISSES",
    "DEFAULT_NEAR_MISSES_HOLDOUT",
    "FIRST_SCREEN_GATE",
    "NEAR_MISS_GATE",
    "NOT_UNDERSTOOD",
    "RECALL_GATE",
    "Case",
    "CasesError",
    "FirstScreens",
    "Landing",
    "Outcome",
    "Report",
    "evaluate",
    "format_report",
    "land",
    "load_cases",
    "load_first_screens",
    "run_eval",
    "score",
]


def evaluate(
    bundle: Bundle,
    cases: Sequence[Case],
    *,
    near_misses: Sequence[Case] = (),
    screens: FirstScreens | None = None,
    floors: bool = False,
) -> Report:
    """Run every case through the engine; ``floors`` applies the per-flow floors. No I/O."""
    limits = {flow: rule.floor / 100 for flow, rule in screens.flows.items()} if screens else {}
    return Report(
        run_cases(bundle, cases, screens),
        run_cases(bundle, near_misses),
        limits if floors else {},
    )


def run_eval(settings: Settings, args: argparse.Namespace) -> int:
    """``entraide eval [--cases FILE] [--near-misses FILE]``: print the report; 0 on PASS.

    Per-flow first-screen floors apply to the main set only.
    """
    path = Path(args.cases) if getattr(args, "cases", None) else DEFAULT_CASES
    near = getattr(args, "near_misses", None)
    near_path = Path(near) if near else DEFAULT_NEAR_MISSES
    loaded = validate(settings.flows_dir, settings.knowledge_dir)
    if loaded.bundle is None:
        sys.stderr.write("\n".join(str(p) for p in loaded.problems) + "\n")
        return 1
    try:
        report = evaluate(
            loaded.bundle,
            load_cases(path),
            near_misses=load_cases(near_path) if near_path.exists() or near else (),
            screens=load_first_screens(DEFAULT_FIRST_SCREENS),
            floors=path == DEFAULT_CASES,
        )
    except CasesError as exc:
        sys.stderr.write(f"{exc}\n")
        return 1
    sys.stdout.write(format_report(report))
    return 0 if report.passed else 1
