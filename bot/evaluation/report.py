"""The figures of ``entraide eval``, their gates, and the text it prints.

Strict accuracy counts a message as understood only when the assistant acted
on it correctly without asking (crisis answer for crisis messages, confident
route or direct hit otherwise, "not understood" for gibberish). "Within one
tap" also accepts a close call that offered the right flow among its buttons.
The first-screen rate counts the messages whose first screen showed the key
content annotated for them (``first_screens.yaml``). Near misses are calm
messages written with crisis-like words; any crisis screen on them is counted.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final

from .run import Outcome

ACCURACY_GATE: Final = 0.90
"""Strict accuracy below this fails ``entraide eval`` and the test suite."""
RECALL_GATE: Final = 1.0
"""Every crisis message of the set must raise the crisis answer."""
NEAR_MISS_GATE: Final = 0
"""Crisis screens allowed on the near-miss set (calm messages with crisis-like words)."""
FIRST_SCREEN_GATE: Final = 0.962
"""Overall first-screen rate (non-crisis messages) below this fails. It was 0.331
(97/293) when the figure was introduced; the "action first" rewrite of the start
steps (issue 11 §2, target 0.80) reached 0.963 (285/296): raise it as the content
improves, never lower it."""


@dataclass
class FlowFigures:
    total: int = 0
    strict: int = 0
    one_tap: int = 0
    screened: int = 0
    """Messages with key content required of their first screen..."""
    shown: int = 0
    """...and those whose first screen showed it."""

    @property
    def first_screen(self) -> float | None:
        return self.shown / self.screened if self.screened else None


@dataclass
class Report:
    """Every figure ``entraide eval`` prints; tests assert on the same object.

    ``floors`` maps a flow to the first-screen rate (0-1) it must keep; empty
    for sets other than the main one.
    """

    outcomes: list[Outcome] = field(default_factory=list)
    near_misses: list[Outcome] = field(default_factory=list)
    floors: Mapping[str, float] = field(default_factory=dict)

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

    @property
    def near_miss_screens(self) -> list[Outcome]:
        """Near-miss messages that got the crisis screen (must be none), by any path."""
        return [o for o in self.near_misses if o.landing.alert]

    @property
    def screened(self) -> list[Outcome]:
        """Non-crisis messages with key content required of their first screen."""
        return [o for o in self.calm_cases if o.first_screen is not None]

    @property
    def first_screen_rate(self) -> float:
        screened = self.screened
        return _share(sum(bool(o.first_screen) for o in screened), len(screened))

    def per_flow(self) -> dict[str, FlowFigures]:
        figures: dict[str, FlowFigures] = {}
        for o in self.outcomes:
            row = figures.setdefault(o.case.expected, FlowFigures())
            row.total += 1
            row.strict += o.strict
            row.one_tap += o.one_tap
            if o.first_screen is not None:
                row.screened += 1
                row.shown += o.first_screen
        return dict(sorted(figures.items()))

    def below_floor(self) -> list[tuple[str, float, float]]:
        """(flow, first-screen rate, floor) of every flow under its floor."""
        below = []
        for flow, row in self.per_flow().items():
            rate = row.first_screen
            floor = self.floors.get(flow, 0.0)
            if rate is not None and rate < floor - 1e-9:
                below.append((flow, rate, floor))
        return below

    def confusions(self) -> Counter[tuple[str, str]]:
        """(expected, got) counts of the messages not strictly right."""
        return Counter((o.case.expected, o.got) for o in self.outcomes if not o.strict)

    @property
    def passed(self) -> bool:
        return (
            self.crisis_recall >= RECALL_GATE
            and self.accuracy >= ACCURACY_GATE
            and len(self.near_miss_screens) <= NEAR_MISS_GATE
            and self.first_screen_rate >= FIRST_SCREEN_GATE
            and not self.below_floor()
        )


def _share(part: int, whole: int) -> float:
    return part / whole if whole else 1.0


def format_report(report: Report, *, details: bool = True) -> str:
    """The human-readable report ``entraide eval`` prints."""
    near = report.near_misses
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
        f"First-screen rate:    {_pct(report.first_screen_rate)}  "
        f"({sum(bool(o.first_screen) for o in report.screened)}/{len(report.screened)}"
        f" non-crisis messages, gate {_pct(FIRST_SCREEN_GATE)}, target 80.0 %)",
    ]
    if near:
        lines.append(
            f"Near-miss crisis screens: {len(report.near_miss_screens)}/{len(near)}  "
            f"(calm messages with crisis-like words, gate {NEAR_MISS_GATE}; "
            f"routed right: {sum(o.strict for o in near)}/{len(near)})"
        )
    lines += ["", "Per expected flow        n  strict  one tap  first screen (floor)"]
    for flow, row in report.per_flow().items():
        rate = row.first_screen
        first = "     n/a" if rate is None else f"{_pct(rate):>8}"
        floor = report.floors.get(flow)
        first += f" ({_pct(floor)})" if floor is not None and rate is not None else ""
        lines.append(
            f"  {flow:<22} {row.total:>3}  {_pct(row.strict / row.total):>6}"
            f"  {_pct(row.one_tap / row.total):>7}  {first}"
        )
    for flow, rate, floor in report.below_floor():
        lines.append(f"  BELOW FLOOR: {flow} first screen {_pct(rate)} < {_pct(floor)}")
    confusions = report.confusions()
    lines += ["", "Confusions (expected -> got, not strictly right):"]
    if not confusions:
        lines.append("  none")
    for (expected, got), count in sorted(confusions.items(), key=lambda kv: (-kv[1], kv[0])):
        lines.append(f"  {count:>3}  {expected} -> {got}")
    if details:
        lines += _details("Missed crises (must be fixed):", report.missed_crises)
        lines += _details("Near-miss crisis screens (must be fixed):", report.near_miss_screens)
        lines += _details("False alarms:", report.false_alarms)
        wrong = [o for o in report.outcomes if not o.strict and not o.case.is_crisis]
        lines += _details("Other messages not strictly right:", wrong)
        lines += _first_screen_details(report.screened)
    lines += ["", "PASS" if report.passed else "FAIL"]
    return "\n".join(lines) + "\n"


def _details(title: str, outcomes: Sequence[Outcome]) -> list[str]:
    if not outcomes:
        return []
    lines = ["", title]
    for o in outcomes:
        lines.append(f"  [{o.case.expected} -> {o.landing.describe()}] {o.case.message!r}")
    return lines


def _first_screen_details(outcomes: Sequence[Outcome]) -> list[str]:
    lacking = [o for o in outcomes if o.first_screen is False]
    if not lacking:
        return []
    lines = ["", "First screens without their key content (expected: missing):"]
    for o in lacking:
        lines.append(f"  [{o.case.expected}: {' ; '.join(o.lacking)}] {o.case.message!r}")
    return lines


def _pct(value: float) -> str:
    return f"{100 * value:.1f} %"
