"""Engine replies as a phone shows them in Telegram: bubbles, bold, tappable contacts, buttons.

The layout follows the Telegram channel's rules, so that what the staff see is what people
get: crisis messages first, one bubble per message, resource cards and simulator tables as
their own bubbles, buttons under the last bubble of the screen — choices first (two per row
when both labels are short), links one per row, navigation (back, menu, emergency) together
on the last row.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Final

from bot.engine.replies import Action, Button, Card, Message, Reply, Table

from .markup import Html, content_text, join, phone_href, tag

SHORT_LABEL: Final = 16
"""Two choices share a row when both labels are at most this long (as on Telegram)."""

ACTIONS: Final = {
    Action.FORGET: "Action : tout ce qui est conservé sur cette personne est effacé.",
    Action.ERASE_CHAT: "Action : les messages de la conversation sont effacés de l'écran.",
    Action.QUIT: "Action : fin de la session.",
}
"""What a channel does for each action; shown in the preview, where nothing is stored."""

Press = Callable[[Button], str | None]
"""Where a button leads in a static page (a file name), or None to make it a live button."""


def _card(card: Card) -> Html:
    lines: list[Html] = [tag("b", None, card.title), tag("br"), content_text(card.purpose)]
    for line in card.lines:
        if line.kind == "phone":
            value = tag("a", {"href": phone_href(line.value)}, line.value)
        elif line.kind == "sms":
            value = tag("a", {"href": "sms:" + line.value.replace(" ", "")}, line.value)
        elif line.kind == "email":
            value = tag("a", {"href": "mailto:" + line.value}, line.value)
        elif line.kind == "url":
            value = tag("a", {"href": line.value, "target": "_blank",
                              "rel": "noopener noreferrer"}, line.value)
        else:
            value = content_text(line.value)
        lines += [tag("br"), tag("span", {"class": "label"}, f"{line.label} : "), value]
    if card.note:
        lines += [tag("br"), tag("i", None, content_text(card.note))]
    return join(lines)


def _table(table: Table) -> Html:
    rows: list[Html] = [tag("b", None, table.title)]
    for label, amount in table.rows:
        rows += [tag("br"), Html(content_text(label) + " : "), tag("b", None, amount)]
    rows += [tag("br"), tag("b", None, f"{table.total[0]} : {table.total[1]}")]
    if table.note:
        rows += [tag("br"), tag("br"), tag("i", None, content_text(table.note))]
    return join(rows)


def _button(button: Button, press: Press | None) -> Html:
    if button.url is not None:
        return tag("a", {"class": "kb lien", "href": button.url, "target": "_blank",
                         "rel": "noopener noreferrer"}, button.label, tag("span", None, " ↗"))
    assert button.data is not None
    css = "kb nav" if button.nav else "kb"
    if press is None:
        return tag("button", {"class": css, "type": "button", "data-press": button.data},
                   button.label)
    target = press(button)
    if target is None:
        return tag("span", {"class": css + " inerte", "title": "sans suite ici"}, button.label)
    return tag("a", {"class": css, "href": target}, button.label)


def keyboard(buttons: Sequence[Button], press: Press | None = None) -> Html:
    """Rows of buttons, laid out as the Telegram channel lays them out."""
    choices = [b for b in buttons if b.data is not None and not b.nav]
    links = [b for b in buttons if b.url is not None]
    nav = [b for b in buttons if b.data is not None and b.nav]
    rows: list[list[Button]] = []
    index = 0
    while index < len(choices):
        pair = choices[index : index + 2]
        if len(pair) == 2 and all(len(b.label) <= SHORT_LABEL for b in pair):
            rows.append(pair)
            index += 2
        else:
            rows.append([choices[index]])
            index += 1
    rows += [[b] for b in links]
    if nav:
        rows.append(nav)
    if not rows:
        return Html("")
    shown = [tag("div", {"class": "rangee"}, *(_button(b, press) for b in row)) for row in rows]
    return tag("div", {"class": "clavier"}, *shown)


def bubble(message: Message, press: Press | None = None) -> Html:
    """One message: its bubble, then its buttons (a card's link button first)."""
    parts: list[Html] = []
    if message.text:
        parts.append(content_text(message.text))
    if message.card is not None:
        parts.append(_card(message.card))
    if message.table is not None:
        parts.append(_table(message.table))
    buttons = list(message.buttons)
    if message.card is not None and message.card.link is not None:
        buttons.insert(0, message.card.link)
    css = "bulle bot alerte" if message.alert else "bulle bot"
    body = join(parts, "\n") if parts else Html("")
    shown = tag("div", {"class": css}, Html(body.replace("\n", "<br><br>"))) if parts else Html("")
    return join([shown, keyboard(buttons, press)])


def turn(replies: Sequence[Reply], press: Press | None = None, said: str | None = None) -> Html:
    """A whole turn: what the person did (``said``), then the bot's messages, crisis first."""
    out: list[Html] = []
    if said:
        out.append(tag("div", {"class": "bulle moi"}, said))
    messages = [r for r in replies if isinstance(r, Message)]
    for message in [m for m in messages if m.alert] + [m for m in messages if not m.alert]:
        out.append(bubble(message, press))
    for reply in replies:
        if isinstance(reply, Action):
            out.append(tag("div", {"class": "systeme"}, ACTIONS[reply]))
    return tag("div", {"class": "tour"}, *out)
