"""Key-content matching on the first screen: what staff write must find what people read."""

from __future__ import annotations

from bot.engine.replies import Action, Button, Card, CardLine, Message, Table
from bot.evaluation.first_screen import fold, missing, screen_text, shows


def _screen(*replies: Message | Action) -> str:
    return screen_text(replies)


def test_numbers_match_whatever_their_spacing() -> None:
    screen = _screen(Message(text="Appelez le **0 800 288 038** ou le 0805.23.23.36"))
    assert shows(screen, ["0800 288 038", "0805 23 23 36"])
    assert shows(screen, ["0800288038"])


def test_case_and_accents_are_ignored() -> None:
    screen = _screen(Message(text="Contactez votre Conseil Départemental de l'Ordre"))
    assert shows(screen, ["conseil departemental"])
    assert shows(screen, ["CONSEIL DÉPARTEMENTAL"])


def test_an_item_is_satisfied_by_any_of_its_alternatives() -> None:
    screen = _screen(Message(text="Le CAIMK : jusqu'à 34 000 €"))
    assert shows(screen, ["CACCMK | CAIMK | CAMMK", "€"])
    assert missing(screen, ["CACCMK", "€"]) == ["CACCMK"]


def test_a_short_number_is_not_found_inside_a_longer_one() -> None:
    screen = _screen(Message(text="SPS : 0805 23 23 36, ou le 3114"))
    assert not shows(screen, ["15"])
    assert not shows(screen, ["112"])
    assert shows(screen, ["3114"])
    assert not shows(_screen(Message(text="la plaintive")), ["plainte"])


def test_cards_tables_and_links_are_read_but_not_buttons_to_other_screens() -> None:
    card = Card(
        title="CPAM de votre lieu d'exercice",
        purpose="Arrêt maladie",
        lines=(CardLine("Téléphone", "36 46", "phone"),),
    )
    table = Table(
        title="CACCMK", rows=(("À la signature", "30 000 €"),), total=("Total", "49 000 €")
    )
    form = Button(label="Formulaire de contact", url="https://forms.example/entraide")
    screen = _screen(
        Message(card=card),
        Message(table=table),
        Message(text="Et ensuite ?", buttons=(form, Button(label="Porter plainte", data="n.1.0"))),
        Action.QUIT,
    )
    assert shows(screen, ["CPAM", "3646", "49 000 €", "formulaire"])
    assert not shows(screen, ["plainte"])


def test_fold_keeps_words_apart() -> None:
    assert fold("Rézone\u00a0:  l'outil") == "rezone : l'outil"
