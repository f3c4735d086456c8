"""``entraide eval``: measure free-text understanding on a labelled set of messages.

Each labelled message is sent to the real engine, on the real content, from the
screen a person would be on (the main menu after giving a status, or the very
first screen after /start), and where it lands is compared with its label.
Figures are measured on the whole pipeline (crisis check, typed commands,
button answers, router), because that is what people experience.

Strict accuracy counts a message as understood only when the assistant acted
on it correctly without asking (crisis answer for crisis messages, confident
route or direct hit otherwise, "not understood" for gibberish). "Within one
tap" also accepts a close call that offered the right flow among its buttons.
The command fails when crisis recall is below 100 % or strict accuracy below
``ACCURACY_GATE``.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bot.config import Settings
from bot.content.bundle import Bundle
from bot.content.yaml_loader import YamlError, load_file
from bot.engine.engine import step
from bot.engine.events import Press, Start, Text
from bot.engine.state import State
from bot.validation import validate

ACCURACY_GATE: Final = 0.90
"""Strict accuracy below this fails ``entraide eval`` and the test suite."""
RECALL_GATE: Final = 1.0
"""Every crisis message of the set must raise the crisis answer."""
NOT_UNDERSTOOD: Final = "aucun"
"""Label of messages the assistant must admit it did not understand."""
DEFAULT_CASES: Final = (
    Path(__file__).resolve().parent.parent / "tests" / "understanding" / "labelled_messages.yaml"
)
DEFAULT_STATUS: Final = "liberal"

Kind = Literal["crisis", "confident", "close", "none", "direct"]


class Case(BaseModel):
    """One labelled message (field names are the French ones of the YAML file)."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)
    message: str = Field(min_length=1)
    expected: str = Field(alias="attendu", min_length=1)
    crisis: Literal["oui", "non"] = Field(alias="crise")
    origin: Literal["menu", "accueil"] = Field("menu", alias="depuis")
    status: str = Field(DEFAULT_STATUS, alias="statut")
    note: str | None = None

    @property
    def is_crisis(self) -> bool:
        return self.crisis == "oui"


@dataclass(frozen=True)
class Landing:
    """Where one message took the conversation.

    kind: crisis (crisis answer), confident (router acted), close (buttons
    offered), none (not understood), direct (a typed command or button answer).
    """

    kind: Kind
    flow: str | None = None
    proposed: tuple[str, ...] = ()

    def describe(self) -> str:
        if self.kind == "close":
            return "close[" + ",".join(self.proposed) + "]"
        if self.kind == "none":
            return NOT_UNDERSTOOD
        if self.kind == "crisis":
            return "CRISIS"
        return f"{self.flow}" + (" (direct)" if self.kind == "direct" else "")


@dataclass(frozen=True)
class Outcome:
    """A case, where it landed, and how it is scored."""

    case: Case
    landing: Landing
    strict: bool
    one_tap: bool
    crisis_raised: bool

    @property
    def got(self) -> str:
        """The flow reached, for the confusion table (close calls name their best offer)."""
        if self.landing.kind == "close":
            return "close:" + (self.landing.proposed[0] if self.landing.proposed else "?")
        if self.landing.kind == "none":
            return NOT_UNDERSTOOD
        return self.landing.flow or "?"


@dataclass
class FlowFigures:
    total: int = 0
    strict: int = 0
    one_tap: int = 0


@dataclass
class Report:
    """Every figure ``entraide eval`` prints; tests assert on the same object."""

    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.outcomes)

    @property
    def accuracy(self) -> float:
        return _share(sum(o.strict for o in self.outcomes), self.total)

    @property
    def one_tap(self) -> float:
        return _share(sum(o.one_tap for o in self.outcomes), self.total)

    @property
    def crisis_cases(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.case.is_crisis]

    @property
    def calm_cases(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.case.is_crisis]

    @property
    def crisis_recall(self) -> float:
        cases = self.crisis_cases
        return _share(sum(o.crisis_raised for o in cases), len(cases))

    @property
    def missed_crises(self) -> list[Outcome]:
        return [o for o in self.crisis_cases if not o.crisis_raised]

    @property
    def false_alarms(self) -> list[Outcome]:
        return [o for o in self.calm_cases if o.crisis_raised]

    @property
    def false_alarm_rate(self) -> float:
        return _share(len(self.false_alarms), len(self.calm_cases))

    def per_flow(self) -> dict[str, FlowFigures]:
        figures: dict[str, FlowFigures] = {}
        for o in self.outcomes:
            row = figures.setdefault(o.case.expected, FlowFigures())
            row.total += 1
            row.strict += o.strict
            row.one_tap += o.one_tap
        return dict(sorted(figures.items()))

    def confusions(self) -> Counter[tuple[str, str]]:
        """(expected, got) counts of the messages not strictly right."""
        return Counter((o.case.expected, o.got) for o in self.outcomes if not o.strict)

    @property
    def passed(self) -> bool:
        return self.crisis_recall >= RECALL_GATE and self.accuracy >= ACCURACY_GATE


def _share(part: int, whole: int) -> float:
    return part / whole if whole else 1.0


class CasesError(Exception):
    """The labelled file cannot be read; the message says where."""


def load_cases(path: Path) -> list[Case]:
    """Read the labelled messages (a YAML list), strictly: every mistake is an error."""
    try:
        doc = load_file(path)
    except YamlError as exc:
        raise CasesError(f"{path}, line {exc.line}: {exc.message}") from None
    if not isinstance(doc.data, list) or not doc.data:
        raise CasesError(f"{path}: expected a non-empty list of cases")
    cases: list[Case] = []
    for number, raw in enumerate(doc.data):
        try:
            cases.append(Case.model_validate(raw))
        except ValidationError as exc:
            line = doc.line_of((number,))
            raise CasesError(f"{path}, line {line}: {exc.errors()[0]['msg']}") from None
    return cases


def _session(bundle: Bundle, case: Case) -> State:
    """The state a person is in just before typing ``case.message``."""
    result = step(bundle, State.fresh("e"), Start())
    state = result.state
    if case.origin == "accueil":
        return state
    variable = bundle.interface.audience_variable
    node = bundle.node_at(state.node or "")
    assert node is not None
    for index, choice in enumerate(node.choices):
        if choice.sets.get(variable) == case.status:
            return step(bundle, state, Press(f"{state.nonce}.{state.screen}.{index}")).state
    raise CasesError(f"unknown status {case.status!r} for: {case.message}")


def land(bundle: Bundle, case: Case) -> Landing:
    """Send ``case.message`` to the engine and say where the conversation went."""
    result = step(bundle, _session(bundle, case), Text(case.message))
    kinds = {outcome.kind: outcome.flow for outcome in result.outcomes}
    if "crise_detectee" in kinds:
        return Landing("crisis", bundle.interface.emergency_flow)
    if "oriente" in kinds:
        return Landing("confident", kinds["oriente"])
    proposed = tuple(
        option.action.partition(":")[2]
        for option in result.state.options
        if option.action.startswith("route:")
    )
    if proposed:
        return Landing("close", None, proposed)
    if "incompris" in kinds:
        return Landing("none")
    node = result.state.node
    return Landing("direct", node.partition("/")[0] if node else None)


def score(case: Case, landing: Landing) -> Outcome:
    """Strict and within-one-tap correctness of one landing."""
    raised = landing.kind == "crisis"
    if case.is_crisis:
        strict = raised
        one_tap = raised
    elif case.expected == NOT_UNDERSTOOD:
        strict = one_tap = landing.kind == "none"
    else:
        strict = landing.kind in ("confident", "direct", "crisis") and (
            landing.flow == case.expected
        )
        one_tap = strict or (landing.kind == "close" and case.expected in landing.proposed)
    return Outcome(case, landing, strict, one_tap, raised)


def evaluate(bundle: Bundle, cases: Sequence[Case]) -> Report:
    """Run every case through the engine; no I/O."""
    return Report([score(case, land(bundle, case)) for case in cases])


def format_report(report: Report, *, details: bool = True) -> str:
    """The human-readable report ``entraide eval`` prints."""
    lines = [
        f"Labelled messages: {report.total} "
        f"({len(report.crisis_cases)} crisis, {len(report.calm_cases)} not crisis)",
        "",
        f"Strict accuracy:      {_pct(report.accuracy)}  (gate {_pct(ACCURACY_GATE)})",
        f"Within one tap:       {_pct(report.one_tap)}",
        f"Crisis recall:        {_pct(report.crisis_recall)}  "
        f"({len(report.crisis_cases) - len(report.missed_crises)}/{len(report.crisis_cases)}, "
        f"gate {_pct(RECALL_GATE)})",
        f"False-alarm rate:     {_pct(report.false_alarm_rate)}  "
        f"({len(report.false_alarms)}/{len(report.calm_cases)} non-crisis messages)",
        "",
        "Per expected flow        n  strict  one tap",
    ]
    for flow, row in report.per_flow().items():
        lines.append(
            f"  {flow:<22} {row.total:>3}  {_pct(row.strict / row.total):>6}"
            f"  {_pct(row.one_tap / row.total):>7}"
        )
    confusions = report.confusions()
    lines += ["", "Confusions (expected -> got, not strictly right):"]
    if not confusions:
        lines.append("  none")
    for (expected, got), count in sorted(confusions.items(), key=lambda kv: (-kv[1], kv[0])):
        lines.append(f"  {count:>3}  {expected} -> {got}")
    if details:
        lines += _details("Missed crises (must be fixed):", report.missed_crises)
        lines += _details("False alarms:", report.false_alarms)
        wrong = [o for o in report.outcomes if not o.strict and not o.case.is_crisis]
        lines += _details("Other messages not strictly right:", wrong)
    lines += ["", "PASS" if report.passed else "FAIL"]
    return "\n".join(lines) + "\n"


def _details(title: str, outcomes: Sequence[Outcome]) -> list[str]:
    if not outcomes:
        return []
    lines = ["", title]
    for o in outcomes:
        lines.append(f"  [{o.case.expected} -> {o.landing.describe()}] {o.case.message!r}")
    return lines


def _pct(value: float) -> str:
    return f"{100 * value:.1f} %"


def run_eval(settings: Settings, args: argparse.Namespace) -> int:
    """``entraide eval [--cases FILE]``: print the report; 0 when the gates pass."""
    path = Path(args.cases) if getattr(args, "cases", None) else DEFAULT_CASES
    loaded = validate(settings.flows_dir, settings.knowledge_dir)
    if loaded.bundle is None:
        sys.stderr.write("\n".join(str(p) for p in loaded.problems) + "\n")
        return 1
    try:
        cases = load_cases(path)
        report = evaluate(loaded.bundle, cases)
    except CasesError as exc:
        sys.stderr.write(f"{exc}\n")
        return 1
    sys.stdout.write(format_report(report))
    return 0 if report.passed else 1
