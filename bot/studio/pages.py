"""The studio's pages, from the templates of ``templates/`` (tornado's template engine).

Tornado templates escape every ``{{ value }}``; the few ``{% raw %}`` insert markup that
:mod:`.markup` built from escaped parts. The same functions serve the live studio and the
static preview: :class:`Site` says where links lead in each.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final
from urllib.parse import quote

from tornado.template import Loader

from bot.content.bundle import Bundle
from bot.content.loader import LoadResult
from bot.content.report import entries, headline

from . import tables
from .diagram import diagrams
from .markup import Html, content_text, json_script
from .scenario_runs import run_all
from .workspace import Workspace

HERE: Final = Path(__file__).resolve().parent
TEMPLATES: Final = HERE / "templates"
STATIC: Final = HERE / "static"
MENU: Final = (
    ("etat", "État du contenu"),
    ("apercu", "Aperçu"),
    ("carte", "Carte"),
    ("fraicheur", "Fraîcheur"),
    ("couverture", "Couverture"),
    ("scenarios", "Scénarios"),
)
TITLES: Final = dict(MENU)

_templates = Loader(str(TEMPLATES))


@dataclass(frozen=True)
class Site:
    """Where links lead: the live studio's addresses, or the static preview's files."""

    live: bool
    screens: Mapping[str, str] = field(default_factory=dict)
    """Static preview: content address → file of the screen a click on the map opens."""
    start: str = ""
    """Static preview: the file of the first screen."""
    menu: tuple[tuple[str, str], ...] = MENU

    def page(self, name: str) -> str:
        if self.live:
            return "/" if name == "etat" else f"/{name}"
        if name == "apercu":
            return self.start
        return "index.html" if name == "etat" else f"{name}.html"

    def asset(self, name: str) -> str:
        return f"/static/{name}" if self.live else f"static/{name}"

    def screen(self, address: str) -> str | None:
        if self.live:
            return f"/apercu?ecran={quote(address, safe='/')}"
        return self.screens.get(address)


@dataclass(frozen=True)
class Status:
    """The line every page shows about the content on disk."""

    valid: bool
    badge: str
    summary: str = ""
    banner: str = ""


def summary(bundle: Bundle) -> str:
    nodes = sum(len(f.nodes) for f in bundle.flows.values())
    return (
        f"Contenu valide : {len(bundle.flows)} flux, {nodes} étapes, {len(bundle.resources)} "
        f"ressources, {len(bundle.departments)} départements (version {bundle.version})."
    )


def status(result: LoadResult, shown: Bundle | None) -> Status:
    """``result``: the files as they are; ``shown``: the valid content the pages use."""
    if result.bundle is not None:
        return Status(True, "✓ Contenu valide", summary(result.bundle))
    count = len(entries(result.problems))
    badge = f"✗ {count} problème{'s' if count > 1 else ''} à corriger"
    if shown is None:
        return Status(False, badge, banner="Aucune version valide du contenu : l'aperçu et les "
                      "tableaux attendent que les problèmes soient corrigés.")
    return Status(False, badge, banner=(
        "Les fichiers ont des erreurs (voir « État du contenu ») : les autres pages montrent la "
        f"dernière version valide ({shown.version}), comme le bot en service."))


def render(template: str, **values: Any) -> Html:
    return Html(_templates.load(template).generate(**values).decode("utf-8"))


def document(site: Site, page: str, body: Html, scripts: tuple[str, ...] = ()) -> str:
    """A whole HTML page around a body (header and main)."""
    live = ("studio.js",) if site.live else ()
    return render("layout.html", site=site, page=page, title=TITLES.get(page, page), body=body,
                  scripts=(*scripts, *live))


def body(site: Site, page: str, state: Status, main: Html) -> Html:
    return Html(render("header.html", site=site, page=page, status=state) + main)


def etat(site: Site, state: Status, result: LoadResult) -> Html:
    found = entries(result.problems)
    return render("etat.html", site=site, status=state, entries=found,
                  headline=headline(found) if found else "")


def carte(site: Site, bundle: Bundle | None) -> Html:
    found = diagrams(bundle) if bundle is not None else []
    links = {
        d.flow: json_script(f"liens-{d.flow}", {
            mermaid_id: url for mermaid_id, address in d.steps.items()
            if (url := site.screen(address)) is not None
        })
        for d in found
    }
    return render("carte.html", site=site, bundle=bundle, diagrams=found, links=links)


def fraicheur(site: Site, bundle: Bundle | None, result: LoadResult | None, today: dt.date,
              months: int = tables.STALE_MONTHS) -> Html:
    facts = tables.freshness(bundle, result.where, today, months) if bundle and result else []
    return render("fraicheur.html", site=site, bundle=bundle, facts=facts, today=today,
                  months=months, stale=sum(f.stale for f in facts),
                  text=lambda t: content_text(t, phones=False))


def couverture(site: Site, bundle: Bundle | None, result: LoadResult | None) -> Html:
    rows = tables.coverage(bundle, result.where) if bundle and result else []
    return render("couverture.html", site=site, bundle=bundle, rows=rows,
                  local=sum(r.local for r in rows), cpam=sum(r.cpam is not None for r in rows))


def scenarios(site: Site, bundle: Bundle | None, folder: Path) -> Html:
    files = run_all(bundle, folder) if bundle is not None else []
    total = sum(len(f.runs) for f in files)
    return render("scenarios.html", site=site, bundle=bundle, files=files, total=total,
                  failed=sum(f.failed for f in files))


def profiles(bundle: Bundle) -> list[tuple[str, str]]:
    """The profile values the page offers, with their readable labels (from interface.yaml)."""
    declared = bundle.interface.variables.get(bundle.interface.audience_variable)
    values = declared.values if declared is not None else {}
    return [(value, text[:1].upper() + text[1:]) for value, text in values.items()]


def apercu(site: Site, bundle: Bundle | None, screen: str = "") -> Html:
    departments = [(d.code, f"{d.name} ({d.code})") for d in (bundle.departments.values()
                                                              if bundle else [])]
    return render("apercu.html", site=site, bundle=bundle, screen=screen,
                  profiles=profiles(bundle) if bundle else [], departments=departments)


class Pages:
    """Every page of the live studio, from the workspace as it is now."""

    def __init__(self, workspace: Workspace, months: int = tables.STALE_MONTHS) -> None:
        self.workspace = workspace
        self.months = months
        self.site = Site(live=True)

    def status(self) -> Status:
        return status(self.workspace.result, self.workspace.bundle)

    def main(self, page: str, screen: str = "") -> Html:
        ws = self.workspace
        state = self.status()
        if page == "etat":
            return etat(self.site, state, ws.result)
        if page == "carte":
            return carte(self.site, ws.bundle)
        if page == "fraicheur":
            today = dt.datetime.now(dt.UTC).date()
            return fraicheur(self.site, ws.bundle, ws.good, today, self.months)
        if page == "couverture":
            return couverture(self.site, ws.bundle, ws.good)
        if page == "scenarios":
            return scenarios(self.site, ws.bundle, ws.scenarios_dir)
        return apercu(self.site, ws.bundle, screen)

    def body(self, page: str, screen: str = "") -> Html:
        return body(self.site, page, self.status(), self.main(page, screen))

    def full(self, page: str, screen: str = "") -> str:
        scripts = ("mermaid.min.js", "carte.js") if page == "carte" else ()
        return document(self.site, page, self.body(page, screen), scripts)
