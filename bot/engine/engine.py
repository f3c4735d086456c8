"""The conversation engine: ``step(content, state, event) -> (state, replies)``.

Pure: no I/O, no clock, no randomness. Channels turn Telegram updates or console
lines into events, render the replies, and store the state. Everything the user
reads comes from the content bundle.

This module decides what each event means (a command, a press, typed text); the
moving and rendering is :mod:`bot.engine.turn`, typed answers :mod:`bot.engine.inputs`.
"""

from __future__ import annotations

import logging
import re

from bot.content.bundle import Bundle, resolve_target
from bot.understanding.normalise import normalise
from bot.understanding.router import match_choice

from .events import Command, Event, Press, Resume, Start, Text
from .inputs import accept_input, handle_input, present_input_again
from .replies import Action
from .state import Option, State
from .turn import Outcome, Result, TurnBuilder

log = logging.getLogger(__name__)

__all__ = ["Outcome", "Result", "adopt", "step"]


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
    turn = TurnBuilder(
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


def _on_start(turn: TurnBuilder, event: Start) -> None:
    b = turn.bundle
    payload = (event.payload or "").strip().lower()
    if payload and payload in b.flows:
        turn.outcomes.append(Outcome(payload, "lien_profond"))
        turn.go_flow(payload)
    else:
        turn.go_flow(b.interface.welcome_flow)


def _on_command(turn: TurnBuilder, name: str) -> None:
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


def _back(turn: TurnBuilder) -> None:
    if not turn.history:
        turn.say(turn.bundle.message("debut_conversation"))
        turn.reshow()
        return
    frame = turn.history.pop()
    turn.variables = dict(frame.variables)
    turn.count = False
    turn.run(frame.node)


_DATA_RE = re.compile(r"^([0-9a-z]{1,16})\.(\d{1,9})\.(\d{1,3})$")


def _on_press(turn: TurnBuilder, data: str) -> None:
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


def _perform(turn: TurnBuilder, action: str) -> None:
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
            present_input_again(turn, current)
            return
        accept_input(turn, current, node, arg)
    else:
        turn.say(b.message("menu_perime"))
        turn.reshow()


def _on_text(turn: TurnBuilder, text: str) -> None:
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
        and handle_input(turn, start.awaiting, node, text)
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


def _route(turn: TurnBuilder, text: str) -> None:
    b = turn.bundle
    decision = b.router.decide(text)
    if decision.kind == "confident":
        flow = decision.matches[0].key
        turn.outcomes.append(Outcome(flow, "oriente"))
        turn.orient(flow)
        return
    if decision.kind == "close":
        turn.say(b.message("propositions"))
        options = [
            Option(action=f"route:{m.key}", label=b.flows[m.key].title)
            for m in decision.matches[:3]
        ]
        back = "nav:stay" if turn.start.node is not None else "nav:back"
        turn.show(options, links=[], end=False, flow="", back=back)
        return
    turn.outcomes.append(Outcome("", "incompris"))
    turn.say(b.message("incompris"))
    turn.go_flow(b.interface.menu_flow)
