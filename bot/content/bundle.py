"""The validated, immutable content the engine runs on.

Built once by :mod:`bot.content.loader`; the engine only reads it. Node addresses
are ``"flux/etape"`` strings: stable names, never positions, so content can change
under users who are mid-conversation.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property

from bot.understanding.crisis import CrisisDetector
from bot.understanding.departments import Department as PlainDepartment
from bot.understanding.departments import DepartmentResolver
from bot.understanding.router import Router, Target

from .lexicon import background_words
from .models import Department, Flow, Interface, Node, Resource, Simulator, Understanding


def address(flow: str, node: str) -> str:
    """Stable address of a node."""
    return f"{flow}/{node}"


def resolve_target(current_flow: str, to: str | None, flow: str | None) -> str:
    """Address of a destination written ``vers: etape``, ``vers: flux/etape`` or ``flux: nom``.

    A bare flow name (``flux: nom``) resolves to ``"nom/"``; :meth:`Bundle.node_at` maps it
    to the flow's start.
    """
    if flow is not None:
        return f"{flow}/"
    assert to is not None
    return to if "/" in to else address(current_flow, to)


def canonical_in(flows: Mapping[str, Flow], addr: str) -> str | None:
    """Full ``flux/etape`` address for ``addr`` (``"flux/"`` means its start), or None."""
    flow_name, _, node_id = addr.partition("/")
    flow = flows.get(flow_name)
    if flow is None:
        return None
    node_id = node_id or flow.start
    return address(flow_name, node_id) if node_id in flow.nodes else None


@dataclass(frozen=True)
class Bundle:
    """All content, validated; the engine's only input besides the state and the event."""

    flows: dict[str, Flow]
    resources: dict[str, Resource]
    departments: dict[str, Department]
    regions: dict[str, str]
    simulators: dict[str, Simulator]
    interface: Interface
    understanding: Understanding
    version: str
    loaded_at: dt.datetime
    files: tuple[str, ...] = field(default=())

    def canonical(self, addr: str) -> str | None:
        """Full ``flux/etape`` address for ``addr`` (``"flux/"`` means its start), or None."""
        return canonical_in(self.flows, addr)

    def node_at(self, addr: str) -> Node | None:
        """The node at ``addr``, or None when the content no longer has it."""
        full = self.canonical(addr)
        if full is None:
            return None
        flow_name, _, node_id = full.partition("/")
        return self.flows[flow_name].nodes[node_id]

    def message(self, key: str, **values: str) -> str:
        """An interface message with its ``{placeholders}`` filled."""
        text = self.interface.messages[key]
        for name, value in values.items():
            text = text.replace("{" + name + "}", value)
        return text

    @cached_property
    def router(self) -> Router:
        """Free-text router over the entry points named in comprehension.yaml."""
        return Router(
            [
                Target(key, tuple(t.examples), tuple(t.keywords))
                for key, t in self.understanding.routes.items()
            ]
        )

    @cached_property
    def crisis(self) -> CrisisDetector:
        """Crisis detector from the staff-editable expressions."""
        expressions = [*self.understanding.crisis.keywords, *self.understanding.crisis.examples]
        return CrisisDetector(
            expressions, self.understanding.crisis_exceptions, words=background_words()
        )

    @cached_property
    def department_resolver(self) -> DepartmentResolver:
        """Department resolver over the knowledge's departments."""
        return DepartmentResolver(
            [PlainDepartment(d.code, d.name) for d in self.departments.values()]
        )

    def warm_up(self) -> None:
        """Build the matchers now, so that the first user does not wait for them."""
        _ = self.router, self.crisis, self.department_resolver
