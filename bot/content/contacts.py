"""Phone numbers and web addresses written in content text.

A contact may only be shown if a knowledge resource holds it, with its source and
the date it was checked: this module finds those written in prose, as a reader
would read them (amounts, years, article numbers and decimals are not phone numbers).
"""

from __future__ import annotations

import re
from collections.abc import Collection

from .models import PHONE_RE, Resource

NUMBER_RUN_RE = re.compile(r"(?<![\d/°-])(?<!\d[.,])\d+(?: \d+)*(?![\d/-])(?![.,]\d)")
"""A run of digits and single spaces: a phone number, an amount, a year… Decimals
(``1,5``), dates (``12/03``) and references joined by a hyphen (``226-14``,
``n° 2020-936``) are not runs."""
THOUSANDS_RE = re.compile(r"^\d{1,3}(?: \d{3})+$")
"""``4 500``, ``1 954 485``: a number written in groups of thousands."""
NOT_A_PHONE_AFTER = re.compile(
    r"^\s?(?:€|%|euros?\b|actes?\b|mois\b|jours?\b|ans?\b|heures?\b|h\b|e\b|ème\b|°)"
)
"""Amounts, durations and ordinals are not phone numbers."""
URL_IN_TEXT_RE = re.compile(r"https?://[^\s)»\"']+|www\.[^\s)»\"']+")
SHORT_NUMBERS_OK = re.compile(r"^(?:1[0-9]{3}|20[0-9]{2}|[0-9]{1,2})$")
"""Years and small numbers are not phone numbers."""


def bare_url(url: str) -> str:
    """An address without scheme nor trailing slash, to compare as a reader would."""
    return url.split("://", 1)[-1].rstrip("/")


def unknown_contacts(text: str, resources: Collection[Resource]) -> list[tuple[str, str]]:
    """Phone numbers and web addresses in a text that no knowledge resource holds:
    ``(the number or address, the French problem)`` for each."""
    found: list[tuple[str, str]] = []
    phones = {r.phone for r in resources} | {r.sms for r in resources}
    for match in NUMBER_RUN_RE.finditer(text):
        if NOT_A_PHONE_AFTER.match(text[match.end() :]):
            continue
        run = match.group(0)
        if PHONE_RE.match(run):
            candidates = [run]
        elif THOUSANDS_RE.match(run):
            continue
        else:
            candidates = run.split(" ")
        for number in candidates:
            if (
                PHONE_RE.match(number)
                and number not in phones
                and not SHORT_NUMBERS_OK.match(number)
            ):
                found.append(
                    (
                        number,
                        f"le numéro « {number} » n'est dans aucune ressource de knowledge/ : "
                        "ajoutez-le d'abord à une ressource, avec sa source",
                    )
                )
    bare = {bare_url(r.url) for r in resources if r.url}
    for match in URL_IN_TEXT_RE.finditer(text):
        url = match.group(0).rstrip(".,;:")
        if bare_url(url) not in bare:
            found.append(
                (
                    url,
                    f"l'adresse « {url} » n'est dans aucune ressource de knowledge/ : "
                    "ajoutez-la d'abord à une ressource, avec sa source",
                )
            )
    return found
