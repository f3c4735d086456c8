"""The length budget: how long each screen is, as the person reads it, at its longest.

A screen is what one turn shows in its one message (:func:`bot.engine.screen.compose`): the
texts of every step the turn passes through (``suite``, ``selon``, skipped questions), their
resource cards and the simulator's table, and the engine's line said in the same turn
("Je vous oriente vers : …" after a typed message, "C'est noté : …" after a department).

What a screen shows depends on the answers known (the profile filters cards, the department
picks local contacts, the simulator's answers make its table). Each screen is measured for
every combination of the answers *it reads*, found by running the real engine with answers
that stop the turn when it looks at one not chosen yet, then try each of its values: an answer no
step reads is never varied, so the count stays small (a few hundred turns for the whole content).
A profile only hides cards, so cards are measured all shown unless the profile is known.

Channel lines said on rare paths ("Ce menu n'est plus à jour", "Je ne connais pas cette
commande") are not counted: they add at most a sentence, far below Telegram's limit.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from bot.content.bundle import Bundle, resolve_target
from bot.content.models import Node, Resource

from .inputs import accept_input
from .screen import compose
from .state import State
from .text import value_label
from .turn import TurnBuilder

LIMIT = 1200
"""Characters a screen may show: above, ``entraide check`` refuses the content."""
ADVICE = 800
"""Above this, ``entraide check`` advises shortening (the content is still accepted)."""


@dataclass(frozen=True)
class Measure:
    """The longest form of one screen: where it starts, what it passes through, for whom."""

    flow: str
    node: str
    """The step the screen starts with (where to look first)."""
    chain: tuple[str, ...]
    """Every step shown, as ``flux/etape``."""
    length: int
    answers: tuple[tuple[str, str], ...]
    """The answers (variable, readable value) that make it this long."""
    after: str | None = None
    """The engine line said first in the same turn, if any."""

    def describe(self) -> str:
        """French summary for staff: the steps, and for whom it is this long."""
        steps = " → ".join(self.chain) or f"{self.flow}/{self.node}"
        details = [f"{name} = {value}" for name, value in self.answers]
        if self.after:
            details.append(f"après « {self.after} »")
        return f"« {steps} »" + (f" ({', '.join(details)})" if details else "")


class _Asked(Exception):
    """The turn looked at an answer not chosen yet: try it with each of its values."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


class _Answers(dict[str, str]):
    """The answers of a measured turn; looking at one not chosen yet stops the turn.

    ``chosen`` holds the answers fixed for this run (given, or chosen "not given"); an
    answer the turn sets itself is known from then on.
    """

    def __init__(self, chosen: dict[str, str | None]) -> None:
        super().__init__({k: v for k, v in chosen.items() if v is not None})
        self._known: set[str] = set(chosen)

    def knows(self, key: str) -> bool:
        return key in self._known

    def _look(self, key: object) -> None:
        if isinstance(key, str) and key not in self._known:
            raise _Asked(key)

    def __contains__(self, key: object) -> bool:
        self._look(key)
        return super().__contains__(key)

    def __getitem__(self, key: str) -> str:
        self._look(key)
        return super().__getitem__(key)

    def get(self, key: str, default: Any = None) -> Any:
        self._look(key)
        return super().get(key, default)

    def __setitem__(self, key: str, value: str) -> None:
        self._known.add(key)
        super().__setitem__(key, value)

    def update(self, other: Any = (), /, **kwargs: str) -> None:
        values = dict(other, **kwargs)
        self._known.update(values)
        super().update(values)

    def pop(self, key: str, *default: Any) -> Any:
        self._known.add(key)
        return super().pop(key, *default)


class _MeasuredTurn(TurnBuilder):
    """A turn measured for its text: no buttons built, and every card shown while the
    profile is unknown (a profile only hides cards, so "not given" is the longest)."""

    def show(self, options: Any, *, links: Any, end: bool, flow: str, back: str = "") -> None:
        self._attach([])

    def _for_this_user(self, resource: Resource) -> bool:
        answers = self.variables
        profile = self.bundle.interface.audience_variable
        if isinstance(answers, _Answers) and not answers.knows(profile):
            return True
        return super()._for_this_user(resource)


Start = Callable[[TurnBuilder], None]
"""How a turn begins: run a step, route typed text, accept a typed answer."""


def _domains(bundle: Bundle) -> dict[str, list[str | None]]:
    """The values worth trying for each answer, ``None`` meaning "not given".

    Declared values and those the content sets; for a department, one per pair of local
    contacts; for a number, its bounds (only its digits change the text).
    """
    numbers = {
        node.input.variable: node.input
        for flow in bundle.flows.values()
        for node in flow.nodes.values()
        if node.input is not None and node.input.kind == "nombre"
    }
    values: dict[str, set[str]] = {}
    for name, declared in bundle.interface.variables.items():
        values.setdefault(name, set()).update(declared.values)
    for flow in bundle.flows.values():
        for node in flow.nodes.values():
            for sets in (node.sets, *(c.sets for c in node.choices)):
                for name, value in sets.items():
                    values.setdefault(name, set()).add(value)
            for branch in node.branches:
                for name, wanted in branch.when.items():
                    values.setdefault(name, set()).update(v for v in wanted if v != "inconnu")
            if node.input is not None and node.input.kind == "departement":
                values.setdefault(node.input.variable, set()).update(_department_samples(bundle))
    for name, question in numbers.items():
        values[name] = {str(v) for v in (question.minimum or 0, question.maximum) if v is not None}
    return {name: [*sorted(found), None] for name, found in values.items()}


def _department_samples(bundle: Bundle) -> set[str]:
    """One department per pair of local contacts (council, CPAM): the longest-named one."""
    best: dict[tuple[str, str | None], str] = {}
    for code, dep in bundle.departments.items():
        key = (dep.council, dep.cpam)
        if key not in best or len(dep.name) > len(bundle.departments[best[key]].name):
            best[key] = code
    return set(best.values())


def _opening(bundle: Bundle, key: str) -> str:
    """An engine line as staff recognise it: its words up to the first blank, then "…"."""
    return bundle.interface.messages[key].split("{", 1)[0].strip(" *") + " …"


def _run_at(addr: str) -> Start:
    return lambda turn: turn.run(addr)


def _orient(flow: str) -> Start:
    return lambda turn: turn.orient(flow)


def _answer(addr: str, node: Node, value: str) -> Start:
    return lambda turn: accept_input(turn, addr, node, value)


def _starts(
    bundle: Bundle, domains: dict[str, list[str | None]]
) -> Iterator[tuple[str, Start, str | None]]:
    """Every way a turn can begin: the step it starts from, how, and the engine line first."""
    addresses: set[str] = set()
    for name, flow in bundle.flows.items():
        addresses.add(f"{name}/{flow.start}")
        for node_id, node in flow.nodes.items():
            if node.choices or node.input is not None or node.end:
                addresses.add(f"{name}/{node_id}")  # shown again: back, stale button
            for choice in node.choices:
                addresses.add(resolve_target(name, choice.to, choice.flow))
    for addr in sorted(a for a in (bundle.canonical(x) for x in addresses) if a):
        yield addr, _run_at(addr), None
    routed = _opening(bundle, "oriente_vers")
    for name in sorted(n for n in bundle.understanding.routes if n in bundle.flows):
        yield f"{name}/{bundle.flows[name].start}", _orient(name), routed
    noted = _opening(bundle, "departement_retenu")
    for name, flow in sorted(bundle.flows.items()):
        for node_id, node in flow.nodes.items():
            if node.input is None:
                continue
            target = bundle.canonical(resolve_target(name, node.input.to, node.input.flow))
            line = noted if node.input.kind == "departement" else None
            for value in domains.get(node.input.variable, []):
                if value is not None and target is not None:
                    yield target, _answer(f"{name}/{node_id}", node, value), line


def _variants(
    bundle: Bundle, begin: Start, domains: dict[str, list[str | None]]
) -> Iterator[tuple[TurnBuilder, dict[str, str | None]]]:
    """The turn for every combination of the answers it reads (depth-first, lazily)."""
    pending: list[dict[str, str | None]] = [{}]
    while pending:
        chosen = pending.pop()
        turn = _MeasuredTurn(bundle=bundle, start=State(nonce="0"), variables=_Answers(chosen))
        turn.count = False
        try:
            begin(turn)
        except _Asked as asked:
            pending.extend({**chosen, asked.name: v} for v in domains.get(asked.name, [None]))
            continue
        yield turn, chosen


def measure(bundle: Bundle) -> list[Measure]:
    """Each screen at its longest, one per step a screen can start with, longest first."""
    domains = _domains(bundle)
    longest: dict[str, Measure] = {}
    for addr, begin, line in _starts(bundle, domains):
        for turn, chosen in _variants(bundle, begin, domains):
            length = len(compose(turn.replies).text)
            key = turn.shown[0] if turn.shown else addr
            if key in longest and longest[key].length >= length:
                continue
            flow, _, node = key.partition("/")
            answers = tuple(
                (name, value_label(bundle, name, value))
                for name, value in sorted(chosen.items())
                if value is not None
            )
            longest[key] = Measure(flow, node, tuple(turn.shown), length, answers, line)
    return sorted(longest.values(), key=lambda m: (-m.length, m.flow, m.node))
