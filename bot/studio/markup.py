"""HTML built safely: every piece of text is escaped, markup only comes from this code.

Content and typed text are data, never markup: a ``<script>`` written in a YAML message or
typed in the preview shows as those characters. :class:`Html` marks a string that is
already safe to insert; :func:`tag` builds an element from escaped parts. Content text
keeps the two things it may mean: ``**gras**`` (bold) and contacts (phone numbers and web
addresses), which become tappable as in Telegram's apps.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable, Mapping
from typing import Final

from bot.content.contacts import NOT_A_PHONE_AFTER, NUMBER_RUN_RE
from bot.content.models import PHONE_RE

BOLD_RE: Final = re.compile(r"\*\*(.+?)\*\*", re.DOTALL)
URL_RE: Final = re.compile(r"https?://[^\s)»\"'<>]+")
YEAR_RE: Final = re.compile(r"^(?:19|20)\d\d$")
"""Four digits that read as a year are not a number to call."""
SAFE_SCHEMES: Final = ("https://", "http://", "tel:", "mailto:")
_ATTRIBUTE_RE: Final = re.compile(r"^[a-z][a-z0-9-]*$")


class Html(str):
    """A string of HTML that is safe to insert as it is."""

    __slots__ = ()


def escape(text: str | Html) -> Html:
    """Text as HTML; what is already :class:`Html` is kept."""
    if isinstance(text, Html):
        return text
    return Html(html.escape(str(text), quote=True))


def join(parts: Iterable[str | Html], separator: str = "") -> Html:
    return Html(escape(separator).join(escape(p) for p in parts))


def safe_url(url: str) -> str | None:
    """Only web, phone and mail links; anything else (``javascript:``…) is refused."""
    cleaned = url.strip()
    if cleaned.lower().startswith(SAFE_SCHEMES) or (
        cleaned and not re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:", cleaned)
    ):
        return cleaned
    return None


def tag(name: str, attrs: Mapping[str, str | None] | None = None, *children: str | Html) -> Html:
    """``<name attrs>children</name>``; ``href``/``src`` must be safe URLs, others are escaped."""
    assert _ATTRIBUTE_RE.match(name)
    parts = [f"<{name}"]
    for key, value in (attrs or {}).items():
        assert _ATTRIBUTE_RE.match(key), key
        if value is None:
            continue
        if key in ("href", "src", "action") and safe_url(value) is None:
            continue
        parts.append(f' {key}="{html.escape(value, quote=True)}"')
    parts.append(">")
    if name in ("br", "img", "input", "meta", "link"):
        return Html("".join(parts))
    return Html("".join(parts) + join(children) + f"</{name}>")


def json_script(element_id: str, data: object) -> Html:
    """Data for the page's scripts, in a ``<script type="application/json">`` that no
    content can close early (``<``, ``>`` and ``&`` are written as JSON escapes)."""
    text = json.dumps(data, ensure_ascii=False)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Html(f'<script type="application/json" id="{html.escape(element_id)}">{text}</script>')


def phone_href(number: str) -> str:
    return "tel:" + re.sub(r"[^\d+]", "", number)


def contacts(text: str, phones: bool = True) -> Html:
    """Plain text with its web addresses (and phone numbers) made into links."""
    spans: list[tuple[int, int, str]] = []
    for match in URL_RE.finditer(text):
        url = match.group(0).rstrip(".,;:")
        spans.append((match.start(), match.start() + len(url), url))
    for match in NUMBER_RUN_RE.finditer(text if phones else ""):
        run = match.group(0)
        if (
            PHONE_RE.match(run)
            and len(run.replace(" ", "")) >= 3
            and not YEAR_RE.match(run)
            and not NOT_A_PHONE_AFTER.match(text[match.end() :])
            and not any(s <= match.start() < e for s, e, _ in spans)
        ):
            spans.append((match.start(), match.end(), phone_href(run)))
    out: list[Html] = []
    position = 0
    for start, end, href in sorted(spans):
        if start < position:
            continue
        out.append(escape(text[position:start]))
        out.append(tag("a", {"href": href, "target": None if href.startswith("tel:") else "_blank",
                             "rel": None if href.startswith("tel:") else "noopener noreferrer"},
                       text[start:end]))
        position = end
    out.append(escape(text[position:]))
    return join(out)


def content_text(text: str, *, links: bool = True, phones: bool = True) -> Html:
    """Content text as HTML: ``**gras**`` in bold, line breaks kept, contacts tappable."""
    out: list[Html] = []
    position = 0

    def render(part: str) -> Html:
        return contacts(part, phones) if links else escape(part)

    for match in BOLD_RE.finditer(text):
        out.append(render(text[position : match.start()]))
        out.append(tag("b", None, render(match.group(1))))
        position = match.end()
    out.append(render(text[position:]))
    return Html(join(out).replace("\n", "<br>"))


def plain(text: str) -> str:
    """Content text without its ``**`` marks (for diagrams and titles)."""
    return BOLD_RE.sub(r"\1", text)
