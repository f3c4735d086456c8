"""Checks of the flows as a graph: every destination exists, every step can be reached from
its flow's start, an end can be reached from every step, and automatic steps never loop.

Separate from :mod:`bot.content.checks` (the rules about what a step says and uses): these
only look at where each step leads.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from .bundle import address, canonical_in, resolve_target
from .located import Reporter
from .models import Flow
from .problems import Code, Problem, closest, did_you_mean


@dataclass(frozen=True)
class _Edge:
    source: str
    target: str
    loc: tuple[str | int, ...]
    key: str  # the French key that holds the destination


def edges(flow: Flow) -> Iterator[_Edge]:
    for node_id, node in flow.nodes.items():
        src = address(flow.name, node_id)
        base: tuple[str | int, ...] = ("etapes", node_id)
        for i, c in enumerate(node.choices):
            yield _Edge(
                src,
                resolve_target(flow.name, c.to, c.flow),
                (*base, "choix", i, "vers" if c.to else "flux"),
                "vers",
            )
        if node.input is not None:
            yield _Edge(
                src,
                resolve_target(flow.name, node.input.to, node.input.flow),
                (*base, "saisie"),
                "vers",
            )
        for i, br in enumerate(node.branches):
            yield _Edge(src, resolve_target(flow.name, br.to, br.flow), (*base, "selon", i), "vers")
        if node.otherwise is not None:
            yield _Edge(
                src, resolve_target(flow.name, node.otherwise, None), (*base, "sinon"), "sinon"
            )
        if node.next is not None or node.next_flow is not None:
            yield _Edge(
                src,
                resolve_target(flow.name, node.next, node.next_flow),
                (*base, "suite" if node.next else "suite_flux"),
                "suite",
            )


@dataclass(frozen=True)
class _BrokenEdge:
    """A destination that does not exist, its problem, and what it most likely meant."""

    edge: _Edge
    problem: Problem
    repaired: str | None
    """Canonical address of the closest existing destination, if one is close enough."""


class GraphChecks:
    """The graph rules, reporting through a :class:`Reporter`.

    A step that is unreachable, or from which no end can be reached, *only because* a
    destination is mistyped is reported as a consequence of that destination's problem:
    the graph is checked again with the destination repaired (to the name it most likely
    meant, or, for the ends, to "somewhere that goes on").
    """

    def __init__(self, flows: dict[str, Flow], report: Reporter) -> None:
        self.flows = flows
        self.report = report
        self.broken: list[_BrokenEdge] = []

    def canonical(self, addr: str) -> str | None:
        return canonical_in(self.flows, addr)

    def flow_problem(
        self,
        flow: str,
        loc: tuple[str | int, ...],
        code: Code,
        msg: str,
        about: str = "",
        cause: Problem | None = None,
    ) -> Problem:
        return self.report.flow_problem(flow, loc, code, msg, about, cause)

    def run(self) -> None:
        self.check_starts()
        graph = self.check_targets()
        self.check_reachable(graph)
        self.check_ends(graph)
        self.check_auto_loops()

    def check_starts(self) -> None:
        for flow in self.flows.values():
            if flow.start not in flow.nodes:
                self.flow_problem(
                    flow.name,
                    ("debut",),
                    Code.UNKNOWN_TARGET,
                    f"le début « {flow.start} » n'est pas une étape de ce flux"
                    f"{did_you_mean(flow.start, flow.nodes)}",
                )

    def check_targets(self) -> dict[str, list[str]]:
        graph: dict[str, list[str]] = {}
        for flow in self.flows.values():
            for node_id in flow.nodes:
                graph.setdefault(address(flow.name, node_id), [])
            for edge in edges(flow):
                full = self.canonical(edge.target)
                if full is not None:
                    graph[edge.source].append(full)
                    continue
                self.broken.append(self._unknown_target(flow, edge))
        return graph

    def _unknown_target(self, flow: Flow, edge: _Edge) -> _BrokenEdge:
        target_flow, _, node_id = edge.target.partition("/")
        where_said = self._describe_edge(flow, edge)
        if target_flow not in self.flows:
            guess = closest(target_flow, self.flows)
            problem = self.flow_problem(
                flow.name,
                edge.loc,
                Code.UNKNOWN_FLOW,
                f"{where_said} mène au flux « {target_flow} », qui n'existe pas"
                f"{did_you_mean(target_flow, self.flows)}",
                about=f"flux:{target_flow}",
            )
            repaired = self.canonical(f"{guess}/{node_id}") if guess else None
            return _BrokenEdge(edge, problem, None if problem.cause else repaired)
        known = self.flows[target_flow].nodes
        shown = node_id if target_flow == flow.name else edge.target
        names = known if target_flow == flow.name else [f"{target_flow}/{n}" for n in known]
        problem = self.flow_problem(
            flow.name,
            edge.loc,
            Code.UNKNOWN_TARGET,
            f"{where_said} mène à « {shown} », qui n'existe pas{did_you_mean(shown, names)}",
        )
        guess = closest(shown, names)
        full_guess = (guess if "/" in guess else address(flow.name, guess)) if guess else None
        return _BrokenEdge(edge, problem, self.canonical(full_guess) if full_guess else None)

    def _describe_edge(self, flow: Flow, edge: _Edge) -> str:
        node_id = edge.source.partition("/")[2]
        if len(edge.loc) >= 4 and edge.loc[2] == "choix":
            choice = flow.nodes[node_id].choices[int(edge.loc[3])]
            return f"le choix « {choice.label} »"
        return f"« {edge.key} » de l'étape « {node_id} »"

    def _blame(
        self, before: set[str], after: Callable[[list[_BrokenEdge]], set[str]]
    ) -> dict[str, Problem]:
        """Which broken destination each node owes its problem to: the first whose repair
        alone solves it, else the first of all (when only repairing them all does)."""
        blame: dict[str, Problem] = {}
        for broken in self.broken:
            for node in after([broken]) - before:
                blame.setdefault(node, broken.problem.root)
        if self.broken:
            for node in after(self.broken) - before:
                blame.setdefault(node, self.broken[0].problem.root)
        return blame

    def _reach(
        self, flow: Flow, graph: dict[str, list[str]], repairs: list[_BrokenEdge]
    ) -> set[str]:
        """Steps of ``flow`` reachable from its start, with ``repairs`` applied."""
        links = {src: list(targets) for src, targets in graph.items()}
        for broken in repairs:
            if broken.repaired is not None:
                links[broken.edge.source].append(broken.repaired)
        start = address(flow.name, flow.start)
        seen = {start}
        todo = [start]
        while todo:
            for nxt in links.get(todo.pop(), []):
                if nxt.startswith(flow.name + "/") and nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        return seen

    def check_reachable(self, graph: dict[str, list[str]]) -> None:
        for flow in self.flows.values():
            if flow.start not in flow.nodes:
                continue
            seen = self._reach(flow, graph, [])
            if len(seen) == len(flow.nodes):
                continue
            blame = self._blame(seen, functools.partial(self._reach, flow, graph))
            for node_id in flow.nodes:
                if address(flow.name, node_id) not in seen:
                    self.flow_problem(
                        flow.name,
                        ("etapes", node_id),
                        Code.UNREACHABLE,
                        f"l'étape « {node_id} » est inaccessible : aucun choix ni "
                        "« suite » n'y mène depuis le début du flux ; reliez-la ou "
                        "supprimez-la",
                        about=f"etape:{flow.name}/{node_id}",
                        cause=blame.get(address(flow.name, node_id)),
                    )

    def check_ends(self, graph: dict[str, list[str]]) -> None:
        ends = {
            f"{f.name}/{n}"
            for f in self.flows.values()
            for n, node in f.nodes.items()
            if node.end or node.action is not None
        }

        def can_end(repairs: list[_BrokenEdge]) -> set[str]:
            """Nodes from which an end can be reached; a repaired destination leads to what
            it most likely meant, or, when nothing is close, counts as going on."""
            good = set(ends)
            reverse: dict[str, list[str]] = {}
            for src, targets in graph.items():
                for t in targets:
                    reverse.setdefault(t, []).append(src)
            for broken in repairs:
                if broken.repaired is None:
                    good.add(broken.edge.source)
                else:
                    reverse.setdefault(broken.repaired, []).append(broken.edge.source)
            todo = list(good)
            while todo:
                for prev in reverse.get(todo.pop(), []):
                    if prev not in good:
                        good.add(prev)
                        todo.append(prev)
            return good

        good = can_end([])
        blame = self._blame(good, can_end) if len(good) < len(graph) else {}
        for flow in self.flows.values():
            for node_id in flow.nodes:
                if f"{flow.name}/{node_id}" not in good:
                    self.flow_problem(
                        flow.name,
                        ("etapes", node_id),
                        Code.NO_END,
                        f"depuis l'étape « {node_id} », aucune fin (« fin: oui ») "
                        "ne peut être atteinte : la personne tournerait en rond",
                        about=f"etape:{flow.name}/{node_id}",
                        cause=blame.get(address(flow.name, node_id)),
                    )

    def check_auto_loops(self) -> None:
        """Automatic steps (suite, selon) must not loop without the user."""
        auto: dict[str, list[str]] = {}
        for flow in self.flows.values():
            for edge in edges(flow):
                node = flow.nodes[edge.source.partition("/")[2]]
                if (node.branches or node.next or node.next_flow) and (
                    full := self.canonical(edge.target)
                ):
                    auto.setdefault(edge.source, []).append(full)
        state: dict[str, int] = {}

        def visit(n: str) -> bool:
            state[n] = 1
            for m in auto.get(n, []):
                if state.get(m) == 1 or (state.get(m) is None and visit(m)):
                    return True
            state[n] = 2
            return False

        for n in auto:
            if state.get(n) is None and visit(n):
                flow_name, _, node_id = n.partition("/")
                self.flow_problem(
                    flow_name,
                    ("etapes", node_id),
                    Code.NO_END,
                    f"l'étape « {node_id} » enchaîne automatiquement en boucle "
                    "(« suite » / « selon ») : ajoutez une question ou une fin",
                )


def check_graph(flows: dict[str, Flow], report: Reporter) -> None:
    """Report every graph problem of ``flows``."""
    GraphChecks(flows, report).run()
