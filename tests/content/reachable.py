"""Every contact and legal reference a person can reach by buttons, per deep link and profile.

Walks the real engine from each flow's deep link, for each profile (``statut``), pressing every
choice and typing an answer to every question that waits for one, and collects what the screens
show: phone numbers, web addresses, e-mails, legal references. Used by
``tests/content/test_facts_kept.py`` to prove a content rewrite lost no fact; run as a script
to (re)compute the reference set::

    python -m tests.content.reachable FLOWS_DIR KNOWLEDGE_DIR > tests/fixtures/reachable_facts.txt

It only uses the engine's public surface (``step``, events, replies), so it runs unchanged on
older trees of the project (that is how the fixture was made from main, commit 5e1674f).
"""

from __future__ import annotations

import functools
import re
import sys
from collections import deque
from collections.abc import Iterable, Iterator
from pathlib import Path

from bot.content.bundle import Bundle
from bot.content.loader import load_content
from bot.engine.engine import step
from bot.engine.events import Event, Press, Start, Text
from bot.engine.replies import Message, Reply
from bot.engine.state import State

STATUSES = ("liberal", "salarie", "etudiant", "proche", "patient", "autre_pro", "nsp", None)
NUMBERS = ("0", "3", "60")
"""Typed answers to number questions (the simulator's months of internship)."""

URL_RE = re.compile(r"https?://[^\s)»\"']+")
EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
ARTICLE_RE = re.compile(r"\b(?:articles?|art\.)\s*((?:[LRD]\.\s?)?\d+(?:[.-]\d+)*)", re.IGNORECASE)
CODED_ARTICLE_RE = re.compile(r"\b([LRD]\.\s?\d{3,4}(?:-\d+)+)")
LAW_RE = re.compile(r"\b(loi|décret|ordonnance|arrêté)\s+n°\s*(\d{4}-\d+)", re.IGNORECASE)
CODE_RE = re.compile(
    r"\bcode (pénal|de la santé publique|civil|du travail|de la sécurité sociale)", re.IGNORECASE
)
AVENANT_RE = re.compile(r"\bavenant\s+(?:n°\s*)?(\d+)", re.IGNORECASE)

Fact = tuple[str, str]
"""(kind, value): ``("phone", "3114")``, ``("url", "www.ordremk.fr")``, ``("law", "loi n° …")``."""


def bare(url: str) -> str:
    return url.split("://", 1)[-1].rstrip("/").rstrip(".,;:")


def _texts(message: Message) -> Iterator[str]:
    yield message.text
    if message.card is not None:
        card = message.card
        yield from (card.title, card.purpose, card.note or "")
        yield from (line.value for line in card.lines)
    if message.table is not None:
        table = message.table
        yield from (table.title, table.note or "", *table.total)
        for row in table.rows:
            yield from row


def facts_of(replies: Iterable[Reply], phones: frozenset[str]) -> set[Fact]:
    """The contacts and legal references shown by one turn (text, cards, link buttons)."""
    found: set[Fact] = set()
    for message in replies:
        if not isinstance(message, Message):
            continue
        if message.card is not None:
            for line in message.card.lines:
                kind = {"sms": "phone", "url": "url"}.get(line.kind, line.kind)
                if kind in ("phone", "email", "url"):
                    found.add((kind, bare(line.value) if kind == "url" else line.value))
            if message.card.link is not None and message.card.link.url:
                found.add(("url", bare(message.card.link.url)))
        found |= {("url", bare(b.url)) for b in message.buttons if b.url}
        for text in _texts(message):
            found |= _facts_in_text(text, phones)
    return found


@functools.lru_cache(maxsize=4096)
def _facts_in_text(text: str, phones: frozenset[str]) -> frozenset[Fact]:
    found: set[Fact] = {("url", bare(u)) for u in URL_RE.findall(text)}
    found |= {("email", e) for e in EMAIL_RE.findall(text)}
    for phone in phones:
        if re.search(rf"(?<![\d,.]){re.escape(phone)}(?!\d|[,.]\d)", text):
            found.add(("phone", phone))
    for number in ARTICLE_RE.findall(text) + CODED_ARTICLE_RE.findall(text):
        found.add(("article", number.replace(" ", "")))
    for kind, number in LAW_RE.findall(text):
        found.add(("law", f"{kind.lower()} n° {number}"))
    found |= {("law", f"code {name.lower()}") for name in CODE_RE.findall(text)}
    found |= {("law", f"avenant {n}") for n in AVENANT_RE.findall(text)}
    return frozenset(found)


def department_samples(bundle: Bundle) -> tuple[str, ...]:
    """One department per distinct pair of local contacts (council, CPAM), plus 2A."""
    by_contacts: dict[tuple[str, str | None], str] = {}
    for code, dep in sorted(bundle.departments.items()):
        by_contacts.setdefault((dep.council, dep.cpam), code)
    return tuple(sorted({*by_contacts.values(), "2A"}))


Key = tuple[str | None, tuple[tuple[str, str], ...]]
"""A conversation as far as what comes next is concerned: the screen and the answers."""


def explore(bundle: Bundle, status: str | None) -> tuple[dict[str, Key], dict[Key, set[Key]], dict[Key, set[Fact]]]:
    """The graph of conversations for one profile, from every deep link, pressing every choice.

    Returns each flow's first conversation, the conversations each one leads to, and the
    facts each one shows. Walked once for all flows: what follows depends only on the screen
    and the answers, never on how the person got there.
    """
    phones = frozenset(p for r in bundle.resources.values() for p in (r.phone, r.sms) if p)
    samples = department_samples(bundle)
    start = State.fresh("w")
    if status is not None:
        start = start.model_copy(update={"variables": {"statut": status}})
    roots: dict[str, Key] = {}
    edges: dict[Key, set[Key]] = {}
    shown: dict[Key, set[Fact]] = {}
    todo: deque[tuple[Key | None, State, Event, str | None]] = deque(
        (None, start, Start(flow), flow) for flow in sorted(bundle.flows)
    )
    while todo:
        parent, state, event, root = todo.popleft()
        result = step(bundle, state, event)
        key: Key = (result.state.node, tuple(sorted(result.state.variables.items())))
        if root is not None:
            roots[root] = key
        if parent is not None:
            edges[parent].add(key)
        facts = facts_of(result.replies, phones)
        if key in shown:
            shown[key] |= facts
            continue
        shown[key] = facts
        edges[key] = set()
        for message in result.replies:
            if isinstance(message, Message):
                for b in message.buttons:
                    if b.data and not b.nav:
                        todo.append((key, result.state, Press(b.data), None))
        if result.state.awaiting:
            node = bundle.node_at(result.state.awaiting)
            typed = samples if node and node.input and node.input.kind == "departement" else NUMBERS
            todo.extend((key, result.state, Text(t), None) for t in typed)
    return roots, edges, shown


def walk(bundle: Bundle, flow: str, status: str | None) -> set[Fact]:
    """Facts reachable from ``flow``'s deep link for one profile."""
    return _closure(*explore(bundle, status))[flow]


def _closure(
    roots: dict[str, Key], edges: dict[Key, set[Key]], shown: dict[Key, set[Fact]]
) -> dict[str, set[Fact]]:
    out: dict[str, set[Fact]] = {}
    for flow, root in roots.items():
        seen = {root}
        stack = [root]
        facts: set[Fact] = set()
        while stack:
            key = stack.pop()
            facts |= shown[key]
            for nxt in edges[key] - seen:
                seen.add(nxt)
                stack.append(nxt)
        out[flow] = facts
    return out


def reachable(bundle: Bundle) -> dict[Fact, set[tuple[str, str]]]:
    """Each fact, with every (deep link, profile) from which it can be reached."""
    where: dict[Fact, set[tuple[str, str]]] = {}
    for status in STATUSES:
        for flow, facts in _closure(*explore(bundle, status)).items():
            for fact in facts:
                where.setdefault(fact, set()).add((flow, status or "-"))
    return where


def dump(where: dict[Fact, set[tuple[str, str]]]) -> str:
    """One line per (fact, deep link): ``kind<TAB>value<TAB>flow<TAB>profiles``."""
    lines = []
    for (kind, value), places in sorted(where.items()):
        flows = sorted({flow for flow, _ in places})
        for flow in flows:
            profiles = sorted(s for f, s in places if f == flow)
            shown = "*" if len(profiles) == len(STATUSES) else ",".join(profiles)
            lines.append(f"{kind}\t{value}\t{flow}\t{shown}")
    return "\n".join(lines) + "\n"


def load(text: str) -> dict[Fact, set[tuple[str, str]]]:
    """Read :func:`dump`'s format back (comment lines start with ``#``)."""
    where: dict[Fact, set[tuple[str, str]]] = {}
    everyone = [s or "-" for s in STATUSES]
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        kind, value, flow, shown = line.split("\t")
        profiles = everyone if shown == "*" else shown.split(",")
        where.setdefault((kind, value), set()).update((flow, p) for p in profiles)
    return where


def main(argv: list[str]) -> int:  # pragma: no cover - run by hand to make the fixture
    result = load_content(Path(argv[0]), Path(argv[1]))
    if result.bundle is None:
        sys.stderr.write("\n".join(map(str, result.problems)) + "\n")
        return 1
    sys.stdout.write(dump(reachable(result.bundle)))
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main(sys.argv[1:]))
