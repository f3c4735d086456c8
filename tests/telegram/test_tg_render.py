"""Pure rendering: engine replies to Telegram HTML and keyboards, checked with the fake's
strict HTML parser (the one that answers "can't parse entities") and Telegram's limits."""

from __future__ import annotations

import pytest

from bot.channels.telegram.handlers import UNKNOWN_COMMAND, event_for_text, parse_command
from bot.channels.telegram.keyboard import KeyButton, layout
from bot.channels.telegram.render import (
    Outgoing,
    render_message,
    render_replies,
    split_runs,
    to_html,
    utf16_len,
)
from bot.engine.events import Command, Start, Text
from bot.engine.replies import Action, Button, Card, CardLine, Message, Table
from tests.fakes.telegram_html import parse_html

MAX = 4096


def visible(out: Outgoing) -> str:
    """What Telegram would show, with the strictest parser there is."""
    text, _ = parse_html(out.html, strict_ampersand=True)
    return text


def test_only_double_stars_become_markup_and_everything_else_is_escaped() -> None:
    [out] = render_message(Message(text="**Aide** & soutien <b>pas du HTML</b> a < b > c **x"))
    assert out.html == (
        "<b>Aide</b> &amp; soutien &lt;b&gt;pas du HTML&lt;/b&gt; a &lt; b &gt; c **x"
    )
    assert visible(out) == out.plain == "Aide & soutien <b>pas du HTML</b> a < b > c **x"


@pytest.mark.parametrize(
    "text",
    ["<b>&x</a>", "&amp; &lt; &#39; &", "**<i>**", "a **b & <c>** d", "\"'`<>&;", "**"],
)
def test_any_text_gives_valid_telegram_html(text: str) -> None:
    for out in render_message(Message(text=text)):
        assert visible(out) == out.plain


def test_long_text_is_split_on_paragraphs_and_each_part_is_valid() -> None:
    paragraphs = [(f"**Paragraphe {i}** " + "texte & <suite> " * 40).strip() for i in range(20)]
    text = "\n\n".join(paragraphs)  # about 13,000 characters
    parts = render_message(Message(text=text, buttons=(Button("Suite", data="n.1.0"),)))
    assert len(parts) >= 3
    for part in parts:
        shown = visible(part)
        assert utf16_len(shown) <= MAX
        assert shown.startswith("Paragraphe ")  # every cut falls between two paragraphs
    assert [p.keyboard for p in parts[:-1]] == [()] * (len(parts) - 1)
    assert parts[-1].keyboard == ((KeyButton("Suite", data="n.1.0"),),)
    rebuilt = "\n\n".join(p.plain for p in parts)
    assert rebuilt == text.replace("**", "").strip()


def test_one_huge_paragraph_is_cut_between_sentences_then_words() -> None:
    sentence = "Une phrase assez longue pour remplir l'écran, avec des accents éàü. "
    parts = render_message(Message(text="**" + sentence * 200 + "**"))  # 13,600 characters
    assert len(parts) == 4
    for part in parts:
        assert utf16_len(visible(part)) <= MAX
        assert part.html.startswith("<b>") and part.html.endswith("</b>")
        assert part.plain.endswith(".")
    words = "mot " * 3000
    assert all(p.plain.endswith("mot") for p in render_message(Message(text=words)))


def test_limit_counts_utf16_units_so_emoji_never_overflow() -> None:
    text = "🆘" * 5000  # 10,000 UTF-16 units, no place to cut
    parts = render_message(Message(text=text))
    assert "".join(p.plain for p in parts) == text
    assert all(utf16_len(p.plain) <= MAX for p in parts)


def test_split_runs_keeps_styles_across_a_cut() -> None:
    runs = [("a " * 30, ("b",)), ("z " * 30, ())]
    pieces = split_runs(runs, limit=40)
    html = [to_html(p) for p in pieces]
    assert html[0].startswith("<b>") and html[0].endswith("</b>")
    assert any("<b>" in h and "z" in h for h in html)  # the piece across the change of style
    for piece in html:
        parse_html(piece)


def test_card_is_one_message_with_tappable_numbers_and_a_link_button() -> None:
    card = Card(
        title="Écoute de l'Ordre <24h/24>",
        purpose="Écoute **gratuite** & confidentielle.",
        lines=(
            CardLine("Téléphone", "0800 288 038", "phone"),
            CardLine("Horaires", "24h/24, 7j/7", "text"),
            CardLine("Site", "https://www.ordremk.fr/entraide", "url"),
        ),
        note="Appel anonyme possible.",
        link=Button("Écoute de l'Ordre", url="https://www.ordremk.fr/entraide"),
    )
    [out] = render_message(Message(card=card))
    assert out.html == (
        "<b>Écoute de l'Ordre &lt;24h/24&gt;</b>\nÉcoute <b>gratuite</b> &amp; confidentielle."
        "\nTéléphone : 0800 288 038\nHoraires : 24h/24, 7j/7\nSite : ordremk.fr"
        "\n<i>Appel anonyme possible.</i>"
    )  # the site is named; its button opens the full address
    assert visible(out) == out.plain
    assert out.keyboard == ((KeyButton("Écoute de l'Ordre", url="https://www.ordremk.fr/entraide"),),)


def test_table_reads_line_by_line_on_a_phone() -> None:
    table = Table(
        title="Aides — CACCMK",
        rows=(("À la signature", "30\u00a0000\u00a0€"), ("Année N+2", "9\u00a0000\u00a0€")),
        total=("Total", "39\u00a0000\u00a0€"),
        note="Estimation **indicative**.",
    )
    [out] = render_message(Message(text="Voici :", table=table))
    assert out.plain == (
        "Voici :\n\nAides — CACCMK\nÀ la signature : 30\u00a0000\u00a0€\n"
        "Année N+2 : 9\u00a0000\u00a0€\nTotal : 39\u00a0000\u00a0€\n\nEstimation indicative."
    )
    assert "<b>30\u00a0000\u00a0€</b>" in out.html and "<i>Estimation </i>" in out.html
    assert visible(out) == out.plain


def _card(name: str, url: str) -> Message:
    return Message(card=Card(name, "Pour vous.", (CardLine("Site", url, "url"),),
                             link=Button(name, url=url)))


def test_a_turn_is_one_message_crisis_first_every_button_under_it() -> None:
    table = Table(title="Aides", rows=(("Signature", "30\u00a0000\u00a0€"),),
                  total=("Total", "30\u00a0000\u00a0€"))
    replies = (
        Message(text="Ce menu n'est plus à jour."),
        Message(text="📞 **3114**", alert=True),
        Action.ERASE_CHAT,
        _card("CDO", "https://www.ordremk.fr/accueil/trouver-mon-cdo-cro/"),
        _card("Déclarer", "https://www.ordremk.fr/accueil/trouver-mon-cdo-cro/"),  # same page
        Message(table=table),
        Message(text="Suite", buttons=(Button("Oui", data="a.1.0"),
                                       Button("Menu", data="a.1.1", nav=True))),
    )
    [out] = render_replies(replies)
    assert out.alert
    assert out.plain == (
        "📞 3114\n\nCe menu n'est plus à jour.\n\nCDO\nPour vous.\nSite : ordremk.fr\n\n"
        "Déclarer\nPour vous.\nSite : ordremk.fr\n\nAides\nSignature : 30\u00a0000\u00a0€\n"
        "Total : 30\u00a0000\u00a0€\n\nSuite"
    )
    assert visible(out) == out.plain
    assert [[b.label for b in row] for row in out.keyboard] == [["Oui"], ["CDO"], ["Menu"]]


def test_an_oversized_screen_sends_the_crisis_answer_whole_first() -> None:
    crisis = Message(text="📞 **3114** — prévention du suicide, 24h/24", alert=True)
    long_text = "\n\n".join("Paragraphe & <suite> " * 30 for _ in range(12))  # 7,500 chars
    replies = (Message(text=long_text, buttons=(Button("Menu", data="a.1.0", nav=True),)), crisis)
    parts = render_replies(replies)
    assert len(parts) >= 3
    assert parts[0].plain == "📞 3114 — prévention du suicide, 24h/24" and parts[0].alert
    assert all(utf16_len(visible(p)) <= MAX for p in parts)
    assert [p.keyboard for p in parts[:-1]] == [()] * (len(parts) - 1)
    assert parts[-1].keyboard == ((KeyButton("Menu", data="a.1.0"),),)


def test_keyboard_layout_for_a_phone() -> None:
    buttons = [
        Button("Site de l'Ordre", url="https://www.ordremk.fr"),
        Button("Oui", data="a.1.0"),
        Button("Non", data="a.1.1"),
        Button("Une réponse bien trop longue pour deux", data="a.1.2"),
        Button("Court", data="a.1.3"),
        Button("↩️ Retour", data="a.1.4", nav=True),
        Button("🏠 Menu", data="a.1.5", nav=True),
        Button("🆘 Urgence", data="a.1.6", nav=True),
    ]
    rows = layout(buttons)
    assert [[b.label for b in row] for row in rows] == [
        ["Oui", "Non"],
        ["Une réponse bien trop longue pour deux"],
        ["Court"],
        ["Site de l'Ordre"],
        ["↩️ Retour", "🏠 Menu", "🆘 Urgence"],
    ]


def test_buttons_telegram_would_refuse_are_dropped_not_the_message() -> None:
    rows = layout([
        Button("Trop long", data="é" * 33),  # 66 bytes
        Button("Juste", data="é" * 32),  # 64 bytes: allowed
        Button("Script", url="javascript:alert(1)"),
        Button("   ", data="a.1.0"),
    ])
    assert rows == ((KeyButton("Juste", data="é" * 32),),)


@pytest.mark.parametrize(
    ("typed", "event"),
    [
        ("/start", Start(None)),
        ("/start violences", Start("violences")),
        ("/start@entraide_kine_bot entraide", Start("entraide")),
        ("/MENU", Command("menu")),
        ("/retour@entraide_kine_bot", Command("retour")),
        ("/oubli", Command("oubli")),
        ("/effacer", Command("effacer")),
        ("/quitter", Command(UNKNOWN_COMMAND)),  # console only
        ("/stats", Command(UNKNOWN_COMMAND)),  # admins are recognised before this
        ("/n'importe quoi", Command(UNKNOWN_COMMAND)),
        ("menu", Text("menu")),
        ("2", Text("2")),
    ],
)
def test_typed_text_to_engine_events(typed: str, event: object) -> None:
    assert event_for_text(typed) == event


def test_commands_and_text_are_bounded() -> None:
    assert event_for_text("x" * 10_000) == Text("x" * 4096)
    assert event_for_text("/start " + "a" * 100) == Start("a" * 64)
    assert parse_command("/menu\nsuite") == ("menu", "suite")
    assert parse_command("pas une commande") is None
