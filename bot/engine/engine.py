"""The conversation engine: ``step(content, state, event) -> (state, replies)``.

Pure: no I/O, no clock, no randomness. Channels turn Telegram updates or console
lines into events, render the replies, and store the state. Everything the user
reads comes from the content bundle.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from bot.content.bundle import Bundle, resolve_target
from bot.content.models import Node, Resource
from bot.understanding.normalise import normalise
from bot.understanding.router import match_choice

from . import cards
from .events import Command, Event, Press, Resume, Start, Text
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
class _Turn:
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
            self._render(flow_name, node)
            if node.action is not None:
                self.replies.append(Action(node.action))
            if node.branches:
                addr = self._branch(flow_name, node)
                continue
            if node.next is not None or node.next_flow is not None:
                addr = resolve_target(flow_name, node.next, node.next_flow)
                continue
            self._present(full, flow_name, node)
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
        code = self.variables.get(_department_variable(b) or "")
        dep = b.departments.get(code or "")
        if dep is None:
            self.replies.append(cards.card(b, b.resources[b.interface.default_council]))
            return
        keys = [dep.council if kind == "conseil" else dep.cpam for kind in kinds]
        found = [key for key in keys if key is not None]
        if not found:
            return
        label = value_label(b, _department_variable(b) or "", dep.code)
        self.replies.append(Message(text=b.message("contacts_departement", departement=label)))
        for key in found:
            self.replies.append(cards.card(b, b.resources[key]))

    def _present(self, addr: str, flow: str, node: Node) -> None:
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
        self._show(
            options,
            links=[Button(label=link.label, url=link.url) for link in node.links],
            end=node.end,
            flow=flow,
        )

    def _present_menu_only(self) -> None:
        self.node = f"{self.bundle.interface.menu_flow}/"
        self._show([], links=[], end=True, flow="")

    def _show(
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


def _department_variable(bundle: Bundle) -> str | None:
    for name, var in bundle.interface.variables.items():
        if var.kind == "departement":
            return name
    return None


def adopt(bundle: Bundle, state: State) -> State:
    """Make a state saved under other content usable with this content.

    Buttons shown under the old content become stale (the screen number moves on),
    history frames whose node disappeared are dropped; the current node is kept even
    if gone, so the next event can explain that the content changed.
    """
    if state.content_version == bundle.version:
        return state
    history = tuple(f for f in state.history if bundle.node_at(f.node) is not None)
    return state.model_copy(
        update={"content_version": bundle.version, "history": history, "screen": state.screen + 1}
    )


def step(bundle: Bundle, state: State, event: Event) -> Result:
    """Apply one user event to one conversation."""
    state = adopt(bundle, state)
    turn = _Turn(
        bundle=bundle,
        start=state,
        variables=dict(state.variables),
        history=list(state.history),
        node=state.node,
        screen=state.screen,
        options=state.options,
        awaiting=state.awaiting,
    )
    if isinstance(event, Start):
        _on_start(turn, event)
    elif isinstance(event, Command):
        _on_command(turn, event.name)
    elif isinstance(event, Press):
        _on_press(turn, event.data)
    elif isinstance(event, Text):
        _on_text(turn, event.text)
    elif isinstance(event, Resume):
        turn.reshow()
    return turn.result()


def _on_start(turn: _Turn, event: Start) -> None:
    b = turn.bundle
    payload = (event.payload or "").strip().lower()
    if payload and payload in b.flows:
        turn.outcomes.append(Outcome(payload, "lien_profond"))
        turn.go_flow(payload)
    else:
        turn.go_flow(b.interface.welcome_flow)


def _on_command(turn: _Turn, name: str) -> None:
    ui = turn.bundle.interface
    flows = {
        "menu": ui.menu_flow,
        "urgence": ui.emergency_flow,
        "aide": ui.help_flow,
        "confidentialite": ui.privacy_flow,
        "oubli": ui.forget_flow,
        "effacer": ui.erase_flow,
    }
    if name in flows:
        turn.go_flow(flows[name])
    elif name == "start":
        _on_start(turn, Start())
    elif name == "retour":
        _back(turn)
    elif name == "recommencer":
        turn.variables.clear()
        turn.history.clear()
        turn.go_flow(ui.welcome_flow, push=False)
    elif name == "quitter":
        turn.replies.append(Action.QUIT)
    else:
        turn.say(turn.bundle.message("commande_inconnue"))
        turn.reshow()


def _back(turn: _Turn) -> None:
    if not turn.history:
        turn.say(turn.bundle.message("debut_conversation"))
        turn.reshow()
        return
    frame = turn.history.pop()
    turn.variables = dict(frame.variables)
    turn.count = False
    turn.run(frame.node)


_DATA_RE = re.compile(r"^([0-9a-z]{1,16})\.(\d{1,9})\.(\d{1,3})$")


def _on_press(turn: _Turn, data: str) -> None:
    match = _DATA_RE.match(data or "")
    start = turn.start
    if (
        match is None
        or match.group(1) != start.nonce
        or int(match.group(2)) != start.screen
        or int(match.group(3)) >= len(start.options)
    ):
        if start.node is not None and turn.bundle.node_at(start.node) is None:
            turn.reshow()  # explains that the content changed
        else:
            turn.say(turn.bundle.message("menu_perime"))
            turn.reshow()
        return
    _perform(turn, start.options[int(match.group(3))].action)


def _perform(turn: _Turn, action: str) -> None:
    b = turn.bundle
    kind, _, arg = action.partition(":")
    current = turn.start.node
    node = b.node_at(current) if current else None
    if kind == "nav":
        if arg == "back":
            _back(turn)
        elif arg == "stay":
            turn.reshow()
        else:
            _on_command(turn, "menu" if arg == "menu" else "urgence")
    elif kind == "c" and node is not None and current is not None:
        choice = node.choices[int(arg)]
        flow = current.partition("/")[0]
        turn.push_current()
        for name in choice.clears:
            turn.variables.pop(name, None)
        turn.variables.update(choice.sets)
        turn.run(resolve_target(flow, choice.to, choice.flow))
    elif kind == "route":
        turn.go_flow(arg)
    elif kind == "dep" and node is not None and node.input is not None and current is not None:
        if arg == "none":
            turn.say(b.message("departement_inconnu"))
            _present_input_again(turn, current)
            return
        _accept_input(turn, current, node, arg)
    else:
        turn.say(b.message("menu_perime"))
        turn.reshow()


def _present_input_again(turn: _Turn, addr: str) -> None:
    flow = addr.partition("/")[0]
    node = turn.bundle.node_at(addr)
    assert node is not None
    turn.node = addr
    turn._present(addr, flow, node)


def _accept_input(turn: _Turn, addr: str, node: Node, value: str) -> None:
    assert node.input is not None
    flow = addr.partition("/")[0]
    turn.push_current()
    turn.variables[node.input.variable] = value
    if node.input.kind == "departement":
        label = value_label(turn.bundle, node.input.variable, value)
        turn.say(turn.bundle.message("departement_retenu", departement=label))
    turn.run(resolve_target(flow, node.input.to, node.input.flow))


def _on_text(turn: _Turn, text: str) -> None:
    b = turn.bundle
    if b.crisis.detect(text).is_crisis:
        turn.outcomes.append(Outcome(b.interface.emergency_flow, "crise_detectee"))
        turn.go_flow(b.interface.emergency_flow)
        return
    command = _typed_command(b, text)
    if command is not None:
        _on_command(turn, command)
        return
    start = turn.start
    node = b.node_at(start.awaiting) if start.awaiting else None
    if (
        start.awaiting
        and node is not None
        and node.input is not None
        and _handle_input(turn, start.awaiting, node, text)
    ):
        return
    labels = [o.label for o in start.options]
    if labels:
        index = match_choice(text, labels)
        if index is not None:
            _perform(turn, start.options[index].action)
            return
    _route(turn, text)


def _typed_command(bundle: Bundle, text: str) -> str | None:
    typed = normalise(text.strip().lstrip("/"))
    if not typed or len(typed) > 40:
        return None
    for name, command in bundle.interface.commands.items():
        if typed == normalise(name) or any(typed == normalise(w) for w in command.words):
            return name
    return None


def _handle_input(turn: _Turn, addr: str, node: Node, text: str) -> bool:
    """Take a typed department or number; False when the text is not an answer."""
    b = turn.bundle
    assert node.input is not None
    if node.input.kind == "departement":
        found = b.department_resolver.resolve(text)
        if found.code is not None and found.sure:
            _accept_input(turn, addr, node, found.code)
            return True
        candidates = found.candidates or ((found.code,) if found.code else ())
        if candidates:
            turn.say(b.message("departement_confirmer"))
            turn.node = addr
            turn.awaiting = addr
            options = [
                Option(action=f"dep:{code}", label=value_label(b, node.input.variable, code))
                for code in candidates[:3]
            ]
            options.append(Option(action="dep:none", label=b.interface.buttons.other))
            turn._show(options, links=[], end=False, flow=addr.partition("/")[0], back="nav:stay")
            return True
        return _not_an_answer(turn, addr, text, "departement_inconnu", {})
    number = re.search(r"\d{1,6}", text)
    low, high = node.input.minimum, node.input.maximum
    if number is not None:
        value = int(number.group(0))
        if (low is None or value >= low) and (high is None or value <= high):
            _accept_input(turn, addr, node, str(value))
            return True
    bounds = {"minimum": str(low if low is not None else 0), "maximum": str(high or "")}
    return _not_an_answer(turn, addr, text, "nombre_invalide", bounds)


def _not_an_answer(turn: _Turn, addr: str, text: str, message: str, values: dict[str, str]) -> bool:
    """A confident route wins over a failed answer; otherwise explain and ask again."""
    decision = turn.bundle.router.decide(text)
    if decision.kind == "confident":
        return False
    turn.say(turn.bundle.message(message, **values))
    _present_input_again(turn, addr)
    return True


def _route(turn: _Turn, text: str) -> None:
    b = turn.bundle
    decision = b.router.decide(text)
    if decision.kind == "confident":
        flow = decision.matches[0].key
        turn.outcomes.append(Outcome(flow, "oriente"))
        turn.say(b.message("oriente_vers", titre=b.flows[flow].title))
        turn.go_flow(flow)
        return
    if decision.kind == "close":
        turn.say(b.message("propositions"))
        options = [
            Option(action=f"route:{m.key}", label=b.flows[m.key].title)
            for m in decision.matches[:3]
        ]
        back = "nav:stay" if turn.start.node is not None else "nav:back"
        turn._show(options, links=[], end=False, flow="", back=back)
        return
    turn.outcomes.append(Outcome("", "incompris"))
    turn.say(b.message("incompris"))
    turn.go_flow(b.interface.menu_flow)
