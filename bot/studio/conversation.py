"""One turn of the preview: the page sends the conversation's state and what the person did,
the real engine answers, and the page keeps the new state. Nothing is stored anywhere.

The state holds no typed text (the engine's rule); the page may send any state back, so it
is read as untrusted input (:meth:`State.from_json` turns anything unreadable into a fresh
conversation). The profile and department chosen in the page are set as the answers the
person would have given.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Final

from bot.content.bundle import Bundle
from bot.content.keys import COMMANDS
from bot.engine.engine import step
from bot.engine.events import Command, Event, Press, Resume, Start, Text
from bot.engine.replies import Action
from bot.engine.state import State
from bot.engine.turn import department_variable

from . import bubbles
from .markup import Html

MAX_TEXT: Final = 4096
"""Telegram's limit on what a person can send."""
ACTIONS: Final = ("start", "press", "text", "resume", "screen")
UNKNOWN_COMMAND: Final = "?"


@dataclass(frozen=True)
class Request:
    """What the page sends."""

    state: str | None
    action: str
    value: str = ""
    profile: str = ""
    department: str = ""


@dataclass(frozen=True)
class Answer:
    """What the page gets back: the new state, the bubbles, and the answers now known."""

    state: str
    html: Html
    node: str | None
    profile: str
    department: str
    erase: bool = False


def typed(text: str) -> Event:
    """A typed message as Telegram's channel reads it: ``/start x``, ``/menu``, or text."""
    if not text.startswith("/"):
        return Text(text[:MAX_TEXT])
    head, _, rest = text[1:].partition(" ")
    name = head.split("@", 1)[0].strip().lower()
    if name == "start":
        return Start(rest.strip()[:64] or None)
    if name in COMMANDS and name != "quitter":
        return Command(name)
    return Command(UNKNOWN_COMMAND)


def with_answers(bundle: Bundle, state: State, profile: str, department: str) -> State:
    """The state with the profile and department chosen in the page (empty: not answered)."""
    variables = dict(state.variables)
    audience = bundle.interface.audience_variable
    declared = bundle.interface.variables.get(audience)
    if profile and declared is not None and profile in declared.values:
        variables[audience] = profile
    elif not profile:
        variables.pop(audience, None)
    place = department_variable(bundle)
    if place is not None:
        if department in bundle.departments:
            variables[place] = department
        elif not department:
            variables.pop(place, None)
    return state.model_copy(update={"variables": variables})


def at_screen(bundle: Bundle, state: State, address: str) -> State:
    """The conversation moved to ``address`` (a click on the map), as if just shown there."""
    if bundle.node_at(address) is None:
        return state
    return state.model_copy(update={"node": address, "options": (), "awaiting": None})


def play(bundle: Bundle, request: Request) -> Answer:
    """Run one event on the engine and render the turn as bubbles."""
    state = State.from_json(request.state, secrets.token_hex(3))
    state = with_answers(bundle, state, request.profile, request.department)
    event: Event
    if request.action == "start":
        state, event = State.fresh(state.nonce), Start()
        state = with_answers(bundle, state, request.profile, request.department)
    elif request.action == "press":
        event = Press(request.value)
    elif request.action == "text":
        event = typed(request.value)
    elif request.action == "screen":
        state, event = at_screen(bundle, state, request.value), Resume()
    else:
        event = Resume()
    result = step(bundle, state, event)
    new = result.state
    if Action.FORGET in result.replies:
        new = State.fresh(secrets.token_hex(3))
    audience = bundle.interface.audience_variable
    place = department_variable(bundle) or ""
    return Answer(
        state=new.to_json(),
        html=bubbles.turn(result.replies),
        node=result.state.node,
        profile=new.variables.get(audience, ""),
        department=new.variables.get(place, ""),
        erase=Action.ERASE_CHAT in result.replies,
    )
