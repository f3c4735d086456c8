"""Engine replies as a phone shows them in Telegram: bubbles, bold, tappable contacts, buttons.

The layout follows the Telegram channel's rules, so that what the staff see is what people
get: one bubble per screen (:func:`bot.engine.screen.compose`, as on Telegram), the crisis
answer first in it, the buttons under it — choices first (two per row when both labels are
short), links one per row, navigation (back, menu, emergency) together on the last row.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Final

from bot.engine.replies import Action, Button, Reply
from bot.engine.screen import Run, compose

from .markup import Html, contacts, join, tag

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


def runs_html(runs: Sequence[Run]) -> Html:
    """A screen's text as HTML: bold and italic as in Telegram, contacts tappable."""
    out: list[Html] = []
    for text, style in runs:
        body = contacts(text)
        for name in reversed(style):
            body = tag(name, None, body)
        out.append(body)
    return Html(join(out).replace("\n", "<br>"))


def turn(replies: Sequence[Reply], press: Press | None = None, said: str | None = None) -> Html:
    """A whole turn: what the person did (``said``), then the bot's messages, crisis first."""
    out: list[Html] = []
    if said:
        out.append(tag("div", {"class": "bulle moi"}, said))
    screen = compose(replies)
    if screen.text:
        css = "bulle bot alerte" if screen.alert else "bulle bot"
        out.append(tag("div", {"class": css}, runs_html(screen.runs)))
    out.append(keyboard(screen.buttons, press))
    for reply in replies:
        if isinstance(reply, Action):
            out.append(tag("div", {"class": "systeme"}, ACTIONS[reply]))
    return tag("div", {"class": "tour"}, *out)
