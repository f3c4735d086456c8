"""One Mermaid flowchart per flow, generated from the content (``entraide map``, the Carte).

Steps are boxes (a question as a parallelogram, an automatic branch as a diamond, an end as
a rounded box), choices are labelled arrows, automatic sequels dotted arrows, and a jump to
another flow a box of its own. Every label is made of entity codes for anything that is not
a plain letter, digit or space, so no content can break the diagram or inject markup.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

from bot.content.bundle import Bundle, address, resolve_target
from bot.content.models import Flow, Node

from .markup import plain

LABEL_CHARS: Final = 48
"""A step's box shows its name and the start of its first message."""
_SPECIAL: Final = frozenset('"#&<>`\\')
"""Characters that could end a label, start an entity, or be read as markup."""


def label(text: str) -> str:
    """Text as a quoted Mermaid label; the characters that mean something to Mermaid or to
    HTML are written as ``#code;`` entities, which Mermaid shows as those characters."""
    text = " ".join(text.split())
    return '"' + "".join(f"#{ord(c)};" if c in _SPECIAL else c for c in text) + '"'


def short(text: str, size: int = LABEL_CHARS) -> str:
    text = " ".join(plain(text).split())
    return text if len(text) <= size else text[: size - 1].rstrip() + "…"


def step_id(node_id: str) -> str:
    return f"e_{node_id}"


def flow_id(flow: str, node: str = "") -> str:
    return f"f_{flow}__{node}" if node else f"f_{flow}"


@dataclass
class Diagram:
    """A flow's Mermaid text, and which diagram node stands for which content step."""

    flow: str
    title: str
    text: str
    steps: dict[str, str] = field(default_factory=dict)
    """Mermaid node id → content address (``flux/etape``), for clicks."""


def _shape(node_id: str, node: Node) -> str:
    first = node.messages[0] if node.messages else ""
    text = node_id + (" : " + short(first) if first else "")
    body = label(text)
    if node.branches:
        return "{" + body + "}"
    if node.input is not None or (node.variable is not None and node.choices):
        return "[/" + body + "/]"
    if node.end:
        return "([" + body + "])"
    return "[" + body + "]"


def flow_diagram(bundle: Bundle, flow: Flow) -> Diagram:
    """The Mermaid flowchart of one flow."""
    diagram = Diagram(flow.name, flow.title, "")
    lines = ["flowchart TD", f"  debut(({label('début')})) --> {step_id(flow.start)}"]
    outside: dict[str, str] = {}

    def target(to: str | None, flow_name: str | None) -> str:
        full = bundle.canonical(resolve_target(flow.name, to, flow_name)) or ""
        other, _, node = full.partition("/")
        if other == flow.name:
            return step_id(node)
        node_id = flow_id(other, "" if node == bundle.flows[other].start else node)
        if node_id not in outside:
            title = bundle.flows[other].title
            shown = f"→ {title}" + ("" if node == bundle.flows[other].start else f" / {node}")
            outside[node_id] = f"  {node_id}[[{label(shown)}]]"
            diagram.steps[node_id] = full
        return node_id

    for node_id, node in flow.nodes.items():
        me = step_id(node_id)
        diagram.steps[me] = address(flow.name, node_id)
        lines.append(f"  {me}{_shape(node_id, node)}")
        if node.end:
            lines.append(f"  class {me} fin")
        if node.action is not None:
            lines.append(f"  class {me} action")
        for choice in node.choices:
            lines.append(f"  {me} -->|{label(short(choice.label, 30))}| "
                         f"{target(choice.to, choice.flow)}")
        if node.input is not None:
            lines.append(f"  {me} -->|{label('réponse écrite')}| "
                         f"{target(node.input.to, node.input.flow)}")
        for branch in node.branches:
            cond = ", ".join(f"{k} = {'/'.join(v)}" for k, v in branch.when.items())
            lines.append(f"  {me} -.->|{label(short(cond, 30))}| {target(branch.to, branch.flow)}")
        if node.otherwise is not None:
            lines.append(f"  {me} -.->|{label('sinon')}| {target(node.otherwise, None)}")
        if node.next is not None or node.next_flow is not None:
            lines.append(f"  {me} -.-> {target(node.next, node.next_flow)}")
    lines += sorted(outside.values())
    lines.append("  classDef fin fill:#e3f5e1,stroke:#2e7d32")
    lines.append("  classDef action fill:#fdecea,stroke:#c62828")
    diagram.text = "\n".join(lines) + "\n"
    return diagram


def diagrams(bundle: Bundle) -> list[Diagram]:
    """Every flow's diagram, in the order of the files."""
    return [flow_diagram(bundle, flow) for flow in bundle.flows.values()]


def markdown(bundle: Bundle) -> str:
    """All diagrams as Markdown (a heading and a ``mermaid`` block per flow), for a forge."""
    parts = ["# Carte des parcours\n"]
    for diagram in diagrams(bundle):
        parts.append(f"## {diagram.title} (`{diagram.flow}`)\n\n```mermaid\n{diagram.text}```\n")
    return "\n".join(parts)
