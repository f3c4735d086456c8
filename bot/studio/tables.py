"""What the Fraîcheur and Couverture pages show: plain data, built from the content.

Fraîcheur: every resource and simulator with the date it was last checked, oldest first,
those older than a number of months marked. Couverture: the 101 departments, each with what
a person from there is shown — their council's own contact or the national search page, a
CPAM contact or none — so that a council sees at once what it should add.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Final

from bot.content.bundle import Bundle
from bot.content.checks import ALL_DEPARTMENTS
from bot.content.located import Loc, Located
from bot.content.problems import relative
from bot.content.yaml_loader import Document

STALE_MONTHS: Final = 6
"""Default age, in months, after which a fact is marked as to be checked again."""


def months_before(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` months earlier (the last day of the month if it is shorter)."""
    month = day.month - 1 - months
    year = day.year + month // 12
    month = month % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return dt.date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable")  # pragma: no cover


@dataclass(frozen=True)
class Fact:
    """One resource (or simulator) and when it was last checked."""

    kind: str
    key: str
    name: str
    checked_on: dt.date
    stale: bool
    source: str
    url: str | None
    confidence: str
    file: str
    line: int | None

    def age(self, today: dt.date) -> str:
        days = (today - self.checked_on).days
        if days < 0:
            return "date à venir"
        if days < 31:
            return f"{days} jour{'s' if days > 1 else ''}"
        months = days * 12 // 365
        return f"{months} mois" if months < 24 else f"{days // 365} ans"


def _where(located: dict[str, tuple[Document, Loc]], key: str) -> tuple[str, int | None]:
    found = located.get(key)
    if found is None:
        return "", None
    doc, loc = found
    return relative(doc.path), doc.line_of(loc)


def freshness(
    bundle: Bundle, where: Located, today: dt.date, months: int = STALE_MONTHS
) -> list[Fact]:
    """Every fact with its check date, oldest first; ``stale`` when older than ``months``."""
    limit = months_before(today, months)
    facts: list[Fact] = []
    for key, res in bundle.resources.items():
        file, line = _where(where.resources, key)
        facts.append(Fact("ressource", key, res.name, res.checked_on, res.checked_on < limit,
                          res.source, res.url, res.confidence, file, line))
    for key, sim in bundle.simulators.items():
        file, line = _where(where.simulators, key)
        facts.append(Fact("simulateur", key, sim.title, sim.checked_on, sim.checked_on < limit,
                          sim.source, None, "", file, line))
    return sorted(facts, key=lambda f: (f.checked_on, f.kind, f.key))


@dataclass(frozen=True)
class Coverage:
    """What a person from one department is shown."""

    code: str
    name: str
    region: str
    council: str
    council_name: str
    local: bool
    """The department's own council contact, rather than the national search page."""
    council_contact: str
    cpam: str | None
    cpam_name: str | None
    file: str
    line: int | None


def _reach(bundle: Bundle, key: str) -> str:
    res = bundle.resources.get(key)
    if res is None:
        return ""
    return " · ".join(v for v in (res.phone, res.email, res.url) if v)


def coverage(bundle: Bundle, where: Located) -> list[Coverage]:
    """The 101 departments in code order (those missing from the content are left out:
    the validation refuses such content)."""
    rows: list[Coverage] = []
    for code in ALL_DEPARTMENTS:
        dep = bundle.departments.get(code)
        if dep is None:
            continue
        council = bundle.resources.get(dep.council)
        cpam = bundle.resources.get(dep.cpam) if dep.cpam else None
        file, line = _where(where.departments, code)
        rows.append(
            Coverage(
                code=code,
                name=dep.name,
                region=bundle.regions.get(code, ""),
                council=dep.council,
                council_name=council.name if council else dep.council,
                local=dep.council != bundle.interface.default_council,
                council_contact=_reach(bundle, dep.council),
                cpam=dep.cpam,
                cpam_name=cpam.name if cpam else None,
                file=file,
                line=line,
            )
        )
    return rows
