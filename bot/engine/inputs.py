"""Typed answers to a question that waits for one: a department or a number.

A typed text that is not an answer is handed back to the caller (the router may still
understand it); one that is close asks for confirmation with buttons. A number is read
as people type it ("1 an", "six", "un an et demi"; :mod:`bot.understanding.numbers`),
converted to the question's unit; a negative, fractional or out-of-range value is
refused with a sentence that says why, and the question is asked again.
"""

from __future__ import annotations

import math
from fractions import Fraction

from bot.content.bundle import resolve_target
from bot.content.models import Input, Node
from bot.understanding.numbers import read_number

from .state import Option
from .text import value_label
from .turn import TurnBuilder


def present_input_again(turn: TurnBuilder, addr: str) -> None:
    flow = addr.partition("/")[0]
    node = turn.bundle.node_at(addr)
    assert node is not None
    turn.node = addr
    turn.present(addr, flow, node)


def accept_input(turn: TurnBuilder, addr: str, node: Node, value: str) -> None:
    assert node.input is not None
    flow = addr.partition("/")[0]
    turn.push_current()
    turn.variables[node.input.variable] = value
    if node.input.kind == "departement":
        label = value_label(turn.bundle, node.input.variable, value)
        turn.say(turn.bundle.message("departement_retenu", departement=label))
    turn.run(resolve_target(flow, node.input.to, node.input.flow))


def handle_input(turn: TurnBuilder, addr: str, node: Node, text: str) -> bool:
    """Take a typed department or number; False when the text is not an answer."""
    b = turn.bundle
    assert node.input is not None
    if node.input.kind == "departement":
        found = b.department_resolver.resolve(text)
        if found.code is not None and found.sure:
            accept_input(turn, addr, node, found.code)
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
            turn.show(options, links=[], end=False, flow=addr.partition("/")[0], back="nav:stay")
            return True
        return _not_an_answer(turn, addr, text, "departement_inconnu", {})
    return _number(turn, addr, node, node.input, text)


def _number(turn: TurnBuilder, addr: str, node: Node, spec: Input, text: str) -> bool:
    low, high = spec.minimum, spec.maximum
    bounds = {"minimum": str(low if low is not None else 0), "maximum": str(high or "")}
    reading = read_number(text)
    if reading is None:
        return _not_an_answer(turn, addr, text, "nombre_invalide", bounds)
    value = reading.in_unit(spec.unit)
    shown = _shown(value)
    if value.denominator != 1:
        down, up = math.floor(value), math.ceil(value)
        _ask_again(turn, addr, "nombre_entier", valeur=shown, bas=str(down), haut=str(up))
        return True
    if value < 0 or (low is not None and value < low) or (high is not None and value > high):
        _ask_again(turn, addr, "nombre_impossible", valeur=shown, **bounds)
        return True
    accept_input(turn, addr, node, str(int(value)))
    return True


def _shown(value: Fraction) -> str:
    """A value as French writes it: "2,5", "-1", "120"."""
    text = str(value.numerator) if value.denominator == 1 else f"{float(value):.4g}"
    return text.replace(".", ",")


def _ask_again(turn: TurnBuilder, addr: str, message: str, **values: str) -> None:
    turn.say(turn.bundle.message(message, **values))
    present_input_again(turn, addr)


def _not_an_answer(
    turn: TurnBuilder, addr: str, text: str, message: str, values: dict[str, str]
) -> bool:
    """A confident route wins over a failed answer; otherwise explain and ask again."""
    decision = turn.bundle.router.decide(text)
    if decision.kind == "confident":
        return False
    turn.say(turn.bundle.message(message, **values))
    present_input_again(turn, addr)
    return True
