"""The studio's pages as HTML: what they show, and that nothing in the content or in typed
text can become markup."""

from __future__ import annotations

import datetime as dt
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from bot.content.bundle import Bundle
from bot.engine.replies import Button, Card, CardLine, Message
from bot.studio import bubbles, conversation, pages, tables
from bot.studio.diagram import diagrams, label, markdown
from bot.studio.markup import content_text, json_script, tag
from bot.studio.workspace import Workspace
from tests.studio.breakage import break_as_in_the_issue, edit

NASTY = '<script>alert(1)</script><img src=x onerror="alert(2)">&amp;'


class Elements(HTMLParser):
    """Every element and attribute of a page, as a browser would parse them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, name: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((name, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse(html: str) -> Elements:
    found = Elements()
    found.feed(html)
    return found


def assert_inert(html: str) -> None:
    """No element or attribute that content could have injected."""
    found = parse(html)
    for name, attrs in found.tags:
        assert name != "img", html
        assert not any(key.startswith("on") for key in attrs), (name, attrs)
        if name == "script":
            assert attrs.get("src") or attrs.get("type") == "application/json", attrs
        for key in ("href", "src"):
            assert not (attrs.get(key) or "").lower().startswith("javascript"), attrs


# -- markup -------------------------------------------------------------------------------


def test_content_text_keeps_bold_and_contacts_and_escapes_the_rest() -> None:
    html = content_text(f"**Appelez** le 3114 ou https://www.ordremk.fr {NASTY}\nfin")
    assert "<b>Appelez</b>" in html
    assert '<a href="tel:3114">3114</a>' in html
    assert 'href="https://www.ordremk.fr"' in html
    assert "&lt;script&gt;" in html and "<br>" in html
    assert_inert(html)


def test_amounts_and_years_are_not_phone_links() -> None:
    html = content_text("30 455 € en 2024, 1 954 485 € depuis 2006")
    assert "tel:" not in html


def test_links_refuse_scripts() -> None:
    assert "href" not in tag("a", {"href": "javascript:alert(1)"}, "x")
    assert 'href="https://a.fr/?q=&quot;x&quot;"' in tag("a", {"href": 'https://a.fr/?q="x"'}, "x")


def test_json_for_scripts_cannot_close_its_element() -> None:
    html = json_script("d", {"x": "</script><script>alert(1)</script>"})
    assert html.count("</script>") == 1
    assert json.loads(re.sub(r"^<script[^>]*>|</script>$", "", html)) == {
        "x": "</script><script>alert(1)</script>"
    }


# -- bubbles ------------------------------------------------------------------------------


def test_a_turn_looks_like_telegram() -> None:
    card = Card(title="Numéro vert", purpose="Écoute 24h/24",
                lines=(CardLine("Téléphone", "0800 288 038", "phone"),),
                link=Button("Site", url="https://www.ordremk.fr"))
    replies = (
        Message(text="Bienvenue", buttons=(Button("Oui", data="n.1.0"), Button("Non", data="n.1.1"),
                                           Button("↩️ Retour", data="n.1.2", nav=True))),
        Message(text="Appelez le **3114**", alert=True),
        Message(card=card),
    )
    html = bubbles.turn(replies, said="je veux mourir")
    found = parse(html)
    classes = [attrs.get("class") for _, attrs in found.tags]
    bubbles_shown = [c for c in classes if c and c.startswith("bulle bot")]
    assert bubbles_shown == ["bulle bot alerte"], "one screen, one message, marked as a crisis"
    assert classes.index("bulle moi") < classes.index("bulle bot alerte")
    text = found.text
    assert text.index("3114") < text.index("Bienvenue") < text.index("Numéro vert"), "crisis first"
    assert '<a href="tel:0800288038">0800 288 038</a>' in html
    first_keyboard = html.split('<div class="clavier">')[1]
    rows = re.findall(r'<div class="rangee">(.*?)</div>', first_keyboard.split("</div></div>")[0] + "</div>")
    assert 'data-press="n.1.0"' in rows[0] and 'data-press="n.1.1"' in rows[0], "short pair"
    assert "Retour" in rows[-1]
    assert 'class="kb lien"' in html


def test_typed_text_and_content_never_become_markup(real_bundle: Bundle) -> None:
    first = conversation.play(real_bundle, conversation.Request(None, "start"))
    answer = conversation.play(real_bundle, conversation.Request(first.state, "text", NASTY))
    assert_inert(answer.html)
    html = bubbles.turn((Message(text=NASTY, buttons=(Button(NASTY, data="a.1.0"),
                                                      Button(NASTY, url="javascript:x()"))),),
                        said=NASTY)
    assert_inert(html)
    assert parse(html).text.count(NASTY) >= 2


# -- the preview's engine turns -------------------------------------------------------------


def test_crisis_words_bring_the_emergency_numbers_first(real_bundle: Bundle) -> None:
    start = conversation.play(real_bundle, conversation.Request(None, "start"))
    answer = conversation.play(real_bundle, conversation.Request(start.state, "text",
                                                                 "je veux mourir"))
    assert answer.node == f"{real_bundle.interface.emergency_flow}/numeros"
    first = parse(answer.html).text
    assert "3114" in "".join(first[:8])


def test_profile_and_department_chosen_in_the_page(real_bundle: Bundle) -> None:
    request = conversation.Request(None, "start", profile="liberal", department="14")
    answer = conversation.play(real_bundle, request)
    assert (answer.profile, answer.department) == ("liberal", "14")
    state = json.loads(answer.state)
    assert state["variables"] == {"statut": "liberal", "departement": "14"}
    assert answer.node == "menu/principal", "the known profile skips the question"


def test_a_tampered_state_starts_afresh(real_bundle: Bundle) -> None:
    answer = conversation.play(real_bundle, conversation.Request('{"node": 5}', "resume"))
    assert answer.node == f"{real_bundle.interface.welcome_flow}/qui"


def test_opening_the_preview_at_a_screen(real_bundle: Bundle) -> None:
    answer = conversation.play(real_bundle, conversation.Request(None, "screen",
                                                                 "entraide/formulaires"))
    assert answer.node == "entraide/formulaires"
    assert "formulaire" in answer.html.lower()


@pytest.mark.parametrize(("typed", "kind"), [("/menu", "Command"), ("/start entraide", "Start"),
                                               ("/stats", "Command"), ("bonjour", "Text")])
def test_typed_commands_as_on_telegram(typed: str, kind: str) -> None:
    assert type(conversation.typed(typed)).__name__ == kind


# -- pages ----------------------------------------------------------------------------------


def test_every_page_of_the_real_content(content: Path) -> None:
    ws = Workspace(content / "flows", content / "knowledge")
    studio = pages.Pages(ws)
    for page in ("etat", "apercu", "carte", "fraicheur", "couverture", "scenarios"):
        html = studio.full(page)
        assert html.startswith("<!DOCTYPE html>") and 'lang="fr"' in html
        assert "✓ Contenu valide" in html
        assert_inert(html)
    assert "0 en échec" in studio.full("scenarios")


def test_the_state_page_shows_causes_with_file_and_line(content: Path) -> None:
    break_as_in_the_issue(content)
    ws = Workspace(content / "flows", content / "knowledge")
    assert ws.bundle is None
    html = pages.Pages(ws).full("etat")
    assert "3 problèmes à corriger, dans 2 fichiers" in html
    causes = re.findall(r'<li class="probleme" data-fichier="([^"]+)" data-ligne="(\d*)"', html)
    assert [(Path(f).name, line) for f, line in causes] == [
        ("urgence.yaml", "18"), ("lignes_ecoute.yaml", "12"), ("lignes_ecoute.yaml", "19")]
    assert html.count("<details") == 4
    assert "✗ 3 problèmes à corriger" in html


def test_content_cannot_inject_markup_in_any_page(content: Path) -> None:
    edit(content / "flows" / "aide.yaml", r'titre: "[^"]*"', 'titre: "<b>x</b>&"')
    edit(content / "knowledge" / "ressources" / "ordre.yaml", r'nom: "[^"]*"',
         'nom: "<script>alert(1)</script>"')
    edit(content / "knowledge" / "ressources" / "ordre.yaml", r'source: "[^"]*"',
         'source: "<img src=x onerror=alert(1)> javascript:alert(1)"')
    edit(content / "flows" / "scenarios" / "aide.yaml", r'nom: "[^"]*"', 'nom: "<i onclick=x>"')
    ws = Workspace(content / "flows", content / "knowledge")
    assert ws.bundle is not None, ws.result.problems
    studio = pages.Pages(ws)
    for page in ("etat", "carte", "fraicheur", "couverture", "scenarios"):
        assert_inert(studio.full(page))
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in studio.full("fraicheur")


def test_freshness_oldest_first_and_stale_marked(content: Path) -> None:
    edit(content / "knowledge" / "ressources" / "lignes_ecoute.yaml",
         r"verifie_le: \d{4}-\d\d-\d\d", "verifie_le: 2020-01-15")
    ws = Workspace(content / "flows", content / "knowledge")
    assert ws.bundle is not None and ws.good is not None
    facts = tables.freshness(ws.bundle, ws.good.where, dt.date(2026, 12, 1))
    assert facts[0].checked_on == dt.date(2020, 1, 15) and facts[0].stale
    assert facts[0].file.endswith("lignes_ecoute.yaml") and facts[0].line
    assert [f.checked_on for f in facts] == sorted(f.checked_on for f in facts)
    assert sum(f.stale for f in facts) == 1
    html = str(pages.fraicheur(pages.Site(live=True), ws.bundle, ws.good, dt.date(2026, 12, 1), 6))
    assert html.count('class="perime"') == 1 and "1 à revérifier" in html
    assert sum(f.stale for f in tables.freshness(ws.bundle, ws.good.where,
                                                 dt.date(2026, 12, 1), 0)) == len(facts)


def test_months_before() -> None:
    assert tables.months_before(dt.date(2026, 8, 31), 6) == dt.date(2026, 2, 28)
    assert tables.months_before(dt.date(2026, 3, 15), 6) == dt.date(2025, 9, 15)


def test_coverage_lists_the_101_departments_and_what_they_show(content: Path) -> None:
    edit(content / "knowledge" / "departements" / "centre-val-de-loire.yaml",
         r'(code: "18"\n    nom: "[^"]*"\n    conseil: )trouver_mon_cdo', r"\1cnomk")
    ws = Workspace(content / "flows", content / "knowledge")
    assert ws.bundle is not None and ws.good is not None
    rows = tables.coverage(ws.bundle, ws.good.where)
    assert len(rows) == 101
    cher = next(r for r in rows if r.code == "18")
    assert cher.local and cher.cpam
    assert not next(r for r in rows if r.code == "14").local
    html = pages.couverture(pages.Site(live=True), ws.bundle, ws.good)
    assert "1 département sur 101 avec un contact local" in html


# -- map ------------------------------------------------------------------------------------


def test_one_diagram_per_flow_with_every_step(real_bundle: Bundle) -> None:
    found = diagrams(real_bundle)
    assert [d.flow for d in found] == list(real_bundle.flows)
    for diagram, flow in zip(found, real_bundle.flows.values(), strict=True):
        assert diagram.text.startswith("flowchart TD\n")
        for node_id in flow.nodes:
            assert diagram.steps[f"e_{node_id}"] == f"{flow.name}/{node_id}"
    text = markdown(real_bundle)
    assert text.count("```mermaid") == len(real_bundle.flows)


def test_diagram_labels_cannot_break_out() -> None:
    assert label('a "b" <c> & #d') == '"a #34;b#34; #60;c#62; #38; #35;d"'
    assert "\n" not in label("a\nb")


def test_map_links_open_the_preview_at_the_step(real_bundle: Bundle) -> None:
    html = pages.carte(pages.Site(live=True), real_bundle)
    data = re.search(r'<script type="application/json" id="liens-entraide">(.*?)</script>', html)
    assert data is not None
    links = json.loads(data.group(1))
    assert links["e_formulaires"] == "/apercu?ecran=entraide/formulaires"
