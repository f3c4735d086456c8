"""One step in the making: the mutable scratchpad that becomes an immutable :class:`Result`.

It knows how to move (show a node and follow automatic steps), render a node's messages,
cards and tables, and present a screen with its buttons. The event handlers of
:mod:`bot.engine.engine` decide *where* to move; this module does the moving.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from bot.content.bundle import Bundle, resolve_target
from bot.content.models import Node, Resource

from . import cards
from .replies import Action, Button, Message, Reply
from .state import MAX_HISTORY, Frame, Option, State
from .text import fill, value_label

log = logging.getLogger(__name__)

MAX_HOPS = 40
"""Automatic steps (``suite``, ``selon``, skipped questions) allowed in one turn."""


@dataclass(frozen=True)
class Outcome:
    """An anonymous statistic: a flow and what happened in it."""

    flow: str
    kind: str


@dataclass(frozen=True)
class Result:
    """The new state, what to send, and what to count."""

    state: State
    replies: tuple[Reply, ...]
    outcomes: tuple[Outcome, ...] = ()


@dataclass
class TurnBuilder:
    """Mutable scratchpad of one step; becomes an immutable :class:`Result`."""

    bundle: Bundle
    start: State
    variables: dict[str, str] = field(default_factory=dict)
    history: list[Frame] = field(default_factory=list)
    node: str | None = None
    screen: int = 0
    options: tuple[Option, ...] = ()
    awaiting: str | None = None
    replies: list[Reply] = field(default_factory=list)
    outcomes: list[Outcome] = field(default_factory=list)
    count: bool = True
    shown: list[str] = field(default_factory=list)
    """Addresses of the nodes this turn rendered, in order (what its one screen is made of)."""

    # -- helpers ---------------------------------------------------------------

    def say(self, text: str, *, alert: bool = False) -> None:
        self.replies.append(Message(text=fill(self.bundle, text, self.variables), alert=alert))

    def push_current(self) -> None:
        """Remember the screen being left, with the answers known when it was shown."""
        if self.start.node is not None:
            self.history.append(Frame(node=self.start.node, variables=dict(self.start.variables)))
            del self.history[:-MAX_HISTORY]

    def result(self) -> Result:
        state = State(
            nonce=self.start.nonce,
            content_version=self.bundle.version,
            node=self.node,
            variables=self.variables,
            history=tuple(self.history),
            screen=self.screen,
            options=self.options,
            awaiting=self.awaiting,
        )
        return Result(state, tuple(self.replies), tuple(self.outcomes))

    # -- moving ----------------------------------------------------------------

    def go(self, addr: str, *, push: bool = True) -> None:
        """Leave the current screen for ``addr`` and run until the next screen."""
        if push:
            self.push_current()
        self.run(addr)

    def go_flow(self, flow: str, *, push: bool = True) -> None:
        self.go(f"{flow}/", push=push)

    def orient(self, flow: str) -> None:
        """Typed text understood as ``flow``: say where it leads, then show it (one screen)."""
        self.say(self.bundle.message("oriente_vers", titre=self.bundle.flows[flow].title))
        self.go_flow(flow)

    def run(self, addr: str) -> None:
        """Show ``addr`` and follow automatic steps until a node that waits for the user."""
        b = self.bundle
        for _ in range(MAX_HOPS):
            full = b.canonical(addr)
            node = b.node_at(addr)
            if full is None or node is None:
                log.warning("missing node %s; back to the menu", addr)
                self.say(b.message("etape_disparue"))
                addr = f"{b.interface.menu_flow}/"
                continue
            flow_name, _, node_id = full.partition("/")
            flow = b.flows[flow_name]
            if node_id == flow.start and self.count:
                self.outcomes.append(Outcome(flow_name, "debut"))
            for name in node.clears:
                self.variables.pop(name, None)
            self.variables.update(node.sets)
            skip = self._skip_known(flow_name, node)
            if skip is not None:
                addr = skip
                continue
            self.shown.append(full)
            self._render(flow_name, node)
            if node.action is not None:
                self.replies.append(Action(node.action))
            if node.branches:
                addr = self._branch(flow_name, node)
                continue
            if node.next is not None or node.next_flow is not None:
                addr = resolve_target(flow_name, node.next, node.next_flow)
                continue
            self.present(full, flow_name, node)
            return
        log.error("too many automatic steps from %s", addr)  # validation prevents loops
        self.say(b.message("erreur"))
        self._present_menu_only()

    def _skip_known(self, flow: str, node: Node) -> str | None:
        """Target to follow without asking, when the answer is already known."""
        if node.variable is not None and node.variable in self.variables:
            known = self.variables[node.variable]
            for choice in node.choices:
                if choice.sets.get(node.variable) == known:
                    self.variables.update(choice.sets)
                    return resolve_target(flow, choice.to, choice.flow)
        if node.input is not None and node.input.variable in self.variables:
            return resolve_target(flow, node.input.to, node.input.flow)
        return None

    def _branch(self, flow: str, node: Node) -> str:
        for branch in node.branches:
            if all(
                self.variables.get(var, "inconnu") in values for var, values in branch.when.items()
            ):
                return resolve_target(flow, branch.to, branch.flow)
        assert node.otherwise is not None
        return resolve_target(flow, node.otherwise, None)

    # -- rendering -------------------------------------------------------------

    def _render(self, flow: str, node: Node) -> None:
        b = self.bundle
        alert = flow == b.interface.emergency_flow
        for text in node.messages:
            self.say(text, alert=alert)
        if node.local_contacts:
            self._local_contacts(node.local_contacts)
        for key in node.resources:
            resource = b.resources[key]
            if self._for_this_user(resource):
                self.replies.append(cards.card(b, resource))
        if node.simulation is not None:
            table = cards.simulation(b, b.simulators[node.simulation], self.variables)
            if table is not None:
                self.replies.append(table)

    def _for_this_user(self, resource: Resource) -> bool:
        who = self.variables.get(self.bundle.interface.audience_variable)
        if who is None or who == "nsp" or "tous" in resource.audience:
            return True
        return who in resource.audience

    def _local_contacts(self, kinds: Sequence[str]) -> None:
        b = self.bundle
        code = self.variables.get(department_variable(b) or "")
        dep = b.departments.get(code or "")
        if dep is None:
            self.replies.append(cards.card(b, b.resources[b.interface.default_council]))
            return
        keys = [dep.council if kind == "conseil" else dep.cpam for kind in kinds]
        found = [key for key in keys if key is not None]
        if not found:
            return
        label = value_label(b, department_variable(b) or "", dep.code)
        self.replies.append(Message(text=b.message("contacts_departement", departement=label)))
        for key in found:
            self.replies.append(cards.card(b, b.resources[key]))

    def present(self, addr: str, flow: str, node: Node) -> None:
        """Make ``addr`` the screen on display, with its buttons."""
        b = self.bundle
        options: list[Option] = [
            Option(action=f"c:{i}", label=fill(b, choice.label, self.variables))
            for i, choice in enumerate(node.choices)
        ]
        self.awaiting = addr if node.input is not None else None
        if node.end and self.count:
            self.outcomes.append(Outcome(flow, "fin"))
        self.node = addr
        self.show(
            options,
            links=[Button(label=link.label, url=link.url) for link in node.links],
            end=node.end,
            flow=flow,
        )

    def _present_menu_only(self) -> None:
        self.node = f"{self.bundle.interface.menu_flow}/"
        self.show([], links=[], end=True, flow="")

    def show(
        self,
        options: list[Option],
        *,
        links: list[Button],
        end: bool,
        flow: str,
        back: str = "nav:back",
    ) -> None:
        b = self.bundle
        ui = b.interface
        nav: list[Option] = []
        if self.history or back != "nav:back":
            nav.append(Option(action=back, label=ui.buttons.back))
        if flow != ui.menu_flow:
            nav.append(Option(action="nav:menu", label=ui.buttons.menu))
        if end and flow not in (ui.emergency_flow, ui.menu_flow):
            nav.append(Option(action="nav:urgence", label=ui.buttons.emergency))
        self.screen += 1
        self.options = (*options, *nav)
        buttons = [
            Button(label=o.label, data=self._data(i), nav=o.action.startswith("nav:"))
            for i, o in enumerate(self.options)
        ]
        self._attach([*links, *buttons])

    def _data(self, index: int) -> str:
        return f"{self.start.nonce}.{self.screen}.{index}"

    def _attach(self, buttons: list[Button]) -> None:
        """Put the buttons under the last message of the turn."""
        for i in range(len(self.replies) - 1, -1, -1):
            reply = self.replies[i]
            if isinstance(reply, Message):
                self.replies[i] = replace(reply, buttons=(*reply.buttons, *buttons))
                return
        self.replies.append(Message(text=self.bundle.message("incompris"), buttons=tuple(buttons)))

    def reshow(self) -> None:
        """Show the current screen again (after a stale button or an unknown command)."""
        self.count = False
        self.variables = dict(self.start.variables)
        if self.start.node is None or self.bundle.node_at(self.start.node) is None:
            if self.start.node is not None:
                self.say(self.bundle.message("etape_disparue"))
            ui = self.bundle.interface
            self.run(f"{ui.welcome_flow if self.start.node is None else ui.menu_flow}/")
            return
        self.run(self.start.node)


def department_variable(bundle: Bundle) -> str | None:
    for name, var in bundle.interface.variables.items():
        if var.kind == "departement":
            return name
    return None
