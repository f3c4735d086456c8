"""No fact lost: every contact and legal reference reachable by buttons before the screens
were rewritten (issue 10) is still reachable, from the same deep link, for the same profile.

The reference is ``tests/fixtures/reachable_facts.txt``, computed once from main (5e1674f);
see its header. What is reachable now is walked on the real engine
(:mod:`tests.content.reachable`).
"""

from __future__ import annotations

from pathlib import Path

from bot.content.bundle import Bundle
from bot.engine.replies import Button, Card, CardLine, Message, Table
from tests.content.reachable import facts_of, load, reachable

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "reachable_facts.txt"


def test_every_fact_reachable_before_the_rewrite_is_still_reachable(real_bundle: Bundle) -> None:
    before = load(FIXTURE.read_text(encoding="utf-8"))
    assert len(before) >= 40  # the reference really lists the contacts
    now = reachable(real_bundle)
    lost = [
        f"{kind} « {value} » : plus accessible depuis /start {flow} pour « {profile} »"
        for (kind, value), places in sorted(before.items())
        for flow, profile in sorted(places - now.get((kind, value), set()))
    ]
    assert not lost, "\n".join(lost)


def test_the_walker_sees_facts_in_text_cards_tables_and_link_buttons() -> None:
    card = Card(
        "CNOMK", "Le siège (art. L.4321-14 du code de la santé publique).",
        (CardLine("Téléphone", "01 46 22 32 97", "phone"), CardLine("E-mail", "cno@ordremk.fr", "email")),
        link=Button("Site", url="https://www.ordremk.fr/"),
    )
    replies = [
        Message(text="Appelez le 3114, ou le 15. Loi n° 2020-936, article R.4321-90 ; 15 jours."),
        Message(card=card),
        Message(table=Table("Aides (avenant 7)", (("Signature", "30 000 €"),), ("Total", "30 000 €"))),
        Message(text="Suite", buttons=(Button("Formulaire", url="https://forms.gle/x"),)),
    ]
    found = facts_of(replies, frozenset({"3114", "15", "01 46 22 32 97", "119"}))
    assert found == {
        ("phone", "3114"), ("phone", "15"), ("phone", "01 46 22 32 97"),
        ("email", "cno@ordremk.fr"), ("url", "www.ordremk.fr"), ("url", "forms.gle/x"),
        ("law", "loi n° 2020-936"), ("article", "R.4321-90"), ("article", "L.4321-14"),
        ("law", "code de la santé publique"), ("law", "avenant 7"),
    }
