"""``entraide preview --out DIR``: the static pages a reviewer clicks through.

Built once from the real content with the real command; every link must lead to a file,
every screen reachable by buttons from the start must have its page, and every step of the
map must open one.
"""

from __future__ import annotations

import json
import re
from collections import deque
from html.parser import HTMLParser
from pathlib import Path

import pytest

from bot.cli import main
from bot.content.bundle import Bundle
from bot.engine.engine import step
from bot.engine.events import Press, Start
from bot.engine.replies import Message
from bot.engine.state import State

ROOT = Path(__file__).resolve().parents[2]
EXTERNAL = ("https://", "http://", "tel:", "mailto:", "sms:", "data:")


class Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.screen: str | None = None

    def handle_starttag(self, name: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        for key in ("href", "src"):
            if found.get(key):
                self.links.append(str(found[key]))
        if name == "main" and "data-ecran" in found:
            self.screen = found["data-ecran"]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("preview")
    code = main(["preview", "--out", str(out), "--flows", str(ROOT / "flows"),
                 "--knowledge", str(ROOT / "knowledge")])
    assert code == 0
    return out


def parsed(site: Path) -> dict[str, Links]:
    found = {}
    for path in site.glob("*.html"):
        links = Links()
        links.feed(path.read_text(encoding="utf-8"))
        found[path.name] = links
    return found


def test_every_link_resolves_to_a_file(site: Path) -> None:
    pages = parsed(site)
    assert {"index.html", "carte.html", "fraicheur.html", "couverture.html",
            "scenarios.html"} <= set(pages)
    broken = []
    for name, links in pages.items():
        for link in links.links:
            if link.startswith(EXTERNAL) or link.startswith("#"):
                continue
            target = link.split("#", 1)[0]
            if not (site / target).is_file():
                broken.append((name, link))
    assert broken == []


def test_every_screen_reachable_by_buttons_has_a_page(site: Path, real_bundle: Bundle) -> None:
    shown = {links.screen for links in parsed(site).values() if links.screen is not None}
    audience = real_bundle.interface.audience_variable
    start = step(real_bundle, State.fresh("t"), Start())
    seen = {(start.state.node, start.state.variables.get(audience))}
    todo = deque([start])
    while todo:
        result = todo.popleft()
        assert result.state.node in shown, result.state.node
        for reply in result.replies:
            if not isinstance(reply, Message):
                continue
            for button in reply.buttons:
                if button.data is None:
                    continue
                nxt = step(real_bundle, result.state, Press(button.data))
                key = (nxt.state.node, nxt.state.variables.get(audience))
                if key not in seen:
                    seen.add(key)
                    todo.append(nxt)
    reached = {node for node, _ in seen}
    assert len(reached) > 50
    assert {p for _, p in seen} >= {None, "liberal", "patient"}


def test_every_step_of_the_map_opens_a_page(site: Path, real_bundle: Bundle) -> None:
    html = (site / "carte.html").read_text(encoding="utf-8")
    for flow in real_bundle.flows.values():
        block = re.search(rf'id="liens-{flow.name}">(.*?)</script>', html)
        assert block is not None
        links = json.loads(block.group(1))
        for node_id in flow.nodes:
            assert (site / links[f"e_{node_id}"]).is_file(), (flow.name, node_id)


def test_a_screen_that_depends_on_the_profile_links_its_versions(site: Path) -> None:
    pages = sorted(site.glob("ecran-soutien_psy-*.html"))
    with_variants = [p for p in pages if "Cet écran change selon le profil" in p.read_text()]
    assert with_variants, "soutien_psy shows different lines to kinés and to patients"
    text = with_variants[0].read_text(encoding="utf-8")
    assert "Kiné libéral·e" in text and "Patient·e ou particulier" in text


def test_the_start_page_is_the_welcome_screen(site: Path) -> None:
    index = (site / "index.html").read_text(encoding="utf-8")
    start = re.search(r'<a href="(ecran-[^"]+)">Aperçu</a>', index)
    assert start is not None
    first = (site / start.group(1)).read_text(encoding="utf-8")
    assert "Entraide Kiné" in first and 'data-ecran="accueil/qui"' in first
    assert 'href="ecran-menu-principal-liberal.html"' in first


def test_map_prints_mermaid(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["map", "--flows", str(ROOT / "flows"), "--knowledge",
                 str(ROOT / "knowledge")]) == 0
    out = capsys.readouterr().out
    assert out.count("```mermaid\nflowchart TD") >= 19
    assert main(["map", "--flux", "urgence", "--flows", str(ROOT / "flows"),
                 "--knowledge", str(ROOT / "knowledge")]) == 0
    assert capsys.readouterr().out.startswith("flowchart TD\n")
