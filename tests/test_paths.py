"""Walk every path of every flow (all choices, bounded depth) and check what a user would see:
one Telegram message per turn, within the length budget, never a dead end."""

from __future__ import annotations

import re
from collections import deque

import pytest

from bot.channels.telegram.render import render_replies
from bot.content.bundle import Bundle
from bot.engine import budget
from bot.engine.engine import step
from bot.engine.events import Event, Press, Start, Text
from bot.engine.replies import Message
from bot.engine.screen import compose
from bot.engine.state import State

MAX_DEPTH = 12
SAMPLE_INPUTS = ("14", "2A", "3")
"""Typed answers for free-text questions: departments and numbers."""
PLACEHOLDER = re.compile(r"\{[a-z0-9_]+\}")
STATUSES = ("liberal", "salarie", "etudiant", "proche", "patient", "autre_pro", "nsp", None)


def walk(bundle: Bundle, flow: str, status: str | None, limit: int | None = budget.LIMIT) -> int:
    """Explore every reachable screen from a flow's deep link; returns screens seen."""
    start = State.fresh("w")
    if status is not None:
        start = start.model_copy(update={"variables": {"statut": status}})
    todo: deque[tuple[State, Event, int]] = deque([(start, Start(flow), 0)])
    seen: set[tuple[str | None, tuple[tuple[str, str], ...]]] = set()
    shown: set[str] = set()
    while todo:
        state, event, depth = todo.popleft()
        result = step(bundle, state, event)
        messages = [r for r in result.replies if isinstance(r, Message)]
        assert messages, f"{flow}: no reply to {event}"
        screen = compose(result.replies).text
        if screen not in shown:  # the same screen comes back often: check it once
            shown.add(screen)
            assert not PLACEHOLDER.search(screen), f"{result.state.node}: unrendered {screen!r}"
            [telegram] = render_replies(result.replies)  # one screen, one message
            assert telegram.plain == screen
            if limit is not None:
                assert len(screen) <= limit, f"{result.state.node}: {len(screen)} characters"
        buttons = [b for m in messages for b in m.buttons if b.data]
        assert buttons, f"dead end at {result.state.node} after {event}"
        node = bundle.node_at(result.state.node or "")
        if node is not None and node.end:
            has_resource = any(m.card or m.table for m in messages)
            has_menu = any(b.label == bundle.interface.buttons.menu for b in buttons)
            assert has_resource or has_menu, f"{result.state.node}: end without help nor menu"
        key = (result.state.node, tuple(sorted(result.state.variables.items())))
        if key in seen or depth >= MAX_DEPTH:
            continue
        seen.add(key)
        for b in buttons:
            if not b.nav:
                todo.append((result.state, Press(b.data or ""), depth + 1))
        if result.state.awaiting:
            todo.extend((result.state, Text(sample), depth + 1) for sample in SAMPLE_INPUTS)
    return len(seen)


@pytest.mark.parametrize("status", STATUSES)
def test_every_path_of_the_real_content(real_bundle: Bundle, status: str | None) -> None:
    total = sum(walk(real_bundle, flow, status) for flow in real_bundle.flows)
    assert total >= len(real_bundle.flows)


def test_every_path_of_the_fixture_content(fixture_bundle: Bundle) -> None:
    assert sum(walk(fixture_bundle, flow, None, None) for flow in fixture_bundle.flows) > 20
