"""``entraide preview --out DIR``: the studio's pages as plain HTML files, for a CI artefact
or a forge's static pages, so that a reviewer can click through a proposed change.

Every screen is found by playing the real engine: from ``/start``, every button of every
screen is pressed, and each new screen becomes a file; its buttons are links to the files
of the screens they lead to. A screen is identified by where the conversation stands, the
person's profile and what the screen shows, so a screen that reads differently for a
liberal physiotherapist and for a patient has a page for each, and the page links to the
other profiles' versions. Every step of the map also gets a page (the screen it opens in
the default profile), even one no button reaches.
"""

from __future__ import annotations

import datetime as dt
import logging
import shutil
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from bot.content.bundle import Bundle
from bot.content.loader import LoadResult
from bot.engine.engine import Result, step
from bot.engine.events import Press, Resume, Start
from bot.engine.replies import Button, Message
from bot.engine.screen import compose
from bot.engine.state import State

from . import bubbles, pages
from .markup import Html

log = logging.getLogger(__name__)

MAX_SCREENS: Final = 5000
"""A bound on exploration, far above what the content produces (a few hundred)."""
DEFAULT: Final = "defaut"
ASSETS: Final = ("studio.css", "mermaid.min.js", "mermaid-LICENSE.txt", "carte.js")

Key = tuple[str, str, tuple[str, ...]]


@dataclass
class Screen:
    """One page of the static preview."""

    name: str
    node: str | None
    profile: str
    state: State
    result: Result
    said: str | None
    links: dict[str, str] = field(default_factory=dict)
    """Button data → file of the screen it leads to."""

    @property
    def text(self) -> str:
        return compose(self.result.replies).text


def _key(result: Result, profile: str) -> Key:
    """Where the conversation stands, for whom, and what the screen shows (not which
    buttons data or back history: those differ with the path that led there)."""
    screen = compose(result.replies)
    shown = [screen.text]
    shown += [b.label for b in screen.buttons if not b.nav]
    shown += [b.url or "" for b in screen.buttons if b.url]
    shown += [str(r) for r in result.replies if not isinstance(r, Message)]
    return (result.state.node or "", profile, tuple(shown))


class Explorer:
    """Plays every button of every screen, breadth first."""

    def __init__(self, bundle: Bundle) -> None:
        self.bundle = bundle
        self.audience = bundle.interface.audience_variable
        self.screens: dict[Key, Screen] = {}
        self.entries: dict[str, str] = {}
        """Content address → the screen a click on the map opens (default profile)."""
        self._queue: deque[Screen] = deque()
        self._names: set[str] = set()

    def _name(self, node: str | None, profile: str) -> str:
        flow, _, step_id = (node or "fin/").partition("/")
        base = f"ecran-{flow}-{step_id or 'debut'}-{profile or DEFAULT}"
        name, n = f"{base}.html", 1
        while name in self._names:
            n += 1
            name = f"{base}-{n}.html"
        self._names.add(name)
        return name

    def add(self, result: Result, said: str | None) -> Screen:
        profile = result.state.variables.get(self.audience, "")
        key = _key(result, profile)
        found = self.screens.get(key)
        if found is None:
            found = Screen(self._name(result.state.node, profile), result.state.node, profile,
                           result.state, result, said)
            self.screens[key] = found
            if len(self.screens) <= MAX_SCREENS:
                self._queue.append(found)
            else:  # pragma: no cover - the content is far from this
                log.warning("static preview stopped at %d screens", MAX_SCREENS)
        return found

    def explore(self) -> list[Screen]:
        start = self.add(step(self.bundle, State.fresh("apercu"), Start()), None)
        for flow in self.bundle.flows.values():
            for node_id in flow.nodes:
                address = f"{flow.name}/{node_id}"
                state = State(nonce="apercu", content_version=self.bundle.version, node=address)
                self.entries[address] = self.add(step(self.bundle, state, Resume()), None).name
        while self._queue:
            screen = self._queue.popleft()
            for button in _data_buttons(screen.result):
                assert button.data is not None
                result = step(self.bundle, screen.state, Press(button.data))
                screen.links[button.data] = self.add(result, button.label).name
        screens = list(self.screens.values())
        screens.remove(start)
        return [start, *screens]


def _data_buttons(result: Result) -> list[Button]:
    return [b for r in result.replies if isinstance(r, Message) for b in r.buttons if b.data]


def _press(links: dict[str, str]) -> bubbles.Press:
    def press(button: Button) -> str | None:
        return links.get(button.data or "")

    return press


def _variants(screens: list[Screen], labels: dict[str, str]) -> dict[str, list[tuple[str, str]]]:
    """For each screen, the same screen for the other profiles, when it reads differently."""
    by_node: dict[str, dict[str, Screen]] = {}
    for screen in screens:
        by_node.setdefault(screen.node or "", {}).setdefault(screen.profile, screen)
    out: dict[str, list[tuple[str, str]]] = {}
    for group in by_node.values():
        if len({s.text for s in group.values()}) < 2:
            continue
        choices = [(labels.get(p, p) if p else "Non précisé", s.name) for p, s in group.items()]
        for screen in group.values():
            out[screen.name] = choices
    return out


def build(result: LoadResult, scenarios_dir: Path, out: Path, today: dt.date,
          months: int) -> list[Path]:
    """Write every page into ``out``; returns the files written."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "static").mkdir(exist_ok=True)
    for asset in ASSETS:
        shutil.copyfile(pages.STATIC / asset, out / "static" / asset)
    bundle = result.bundle
    screens: list[Screen] = []
    explorer_entries: dict[str, str] = {}
    if bundle is not None:
        explorer = Explorer(bundle)
        screens = explorer.explore()
        explorer_entries = explorer.entries
    site = pages.Site(live=False, screens=explorer_entries,
                      start=screens[0].name if screens else "index.html")
    state = pages.status(result, bundle)
    written: list[Path] = []

    def write(name: str, page: str, main: Html, scripts: tuple[str, ...] = ()) -> None:
        path = out / name
        path.write_text(pages.document(site, page, pages.body(site, page, state, main), scripts),
                        encoding="utf-8")
        written.append(path)

    write("index.html", "etat", pages.etat(site, state, result))
    write("carte.html", "carte", pages.carte(site, bundle), ("mermaid.min.js", "carte.js"))
    write("fraicheur.html", "fraicheur", pages.fraicheur(site, bundle, result, today, months))
    write("couverture.html", "couverture", pages.couverture(site, bundle, result))
    write("scenarios.html", "scenarios", pages.scenarios(site, bundle, scenarios_dir))
    if bundle is None:
        return written
    labels = dict(pages.profiles(bundle))
    variants = _variants(screens, labels)
    for screen in screens:
        html = bubbles.turn(screen.result.replies, _press(screen.links), screen.said)
        node = bundle.node_at(screen.node) if screen.node else None
        main = pages.render(
            "ecran.html", site=site, screen=screen, bubbles=html,
            flow=(screen.node or "").partition("/")[0],
            profile_text=labels.get(screen.profile, ""),
            variants=[(text, href, href == screen.name) for text, href in
                      variants.get(screen.name, [])],
            waits_for_text=node is not None and node.input is not None,
        )
        write(screen.name, "apercu", main)
    return written
