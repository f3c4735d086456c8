"""The studio's local web server (``entraide studio``), on tornado.

Why tornado: it is already installed with python-telegram-bot's webhook extra, it serves
HTTP, static files and server-sent events from one small asyncio program, and its templates
escape every value by default. No new dependency.

- ``GET /``, ``/apercu``, ``/carte``, ``/fraicheur``, ``/couverture``, ``/scenarios``: pages
  (``?partie=1``: only the part a live page swaps in);
- ``POST /api/tour``: one preview turn (:mod:`.conversation`), JSON in and out;
- ``GET /api/evenements``: server-sent events, one each time the files changed and were
  checked again (``data:`` is the generation number);
- ``GET /static/…``: the style sheet, the scripts and Mermaid.

Listens on 127.0.0.1 unless told otherwise; answers only requests addressed to the host it
listens on (a web page elsewhere cannot reach it by DNS tricks); never writes a file.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable
from typing import Any, Final

import tornado.web
from tornado.httpserver import HTTPServer
from tornado.iostream import StreamClosedError

from .conversation import ACTIONS, Request, play
from .pages import STATIC, Pages
from .workspace import Workspace

log = logging.getLogger(__name__)

WATCH_EVERY: Final = 0.5
"""Seconds between two looks at the files: a save shows within about a second."""
KEEPALIVE: Final = 15.0
"""Seconds between two comments on an idle event stream (detects closed pages)."""
LOCAL_HOSTS: Final = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})
MAX_BODY: Final = 64 * 1024
CSP: Final = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'"
)
PAGES: Final = ("apercu", "carte", "fraicheur", "couverture", "scenarios")


class Watcher:
    """Checks the files every :data:`WATCH_EVERY` seconds; wakes the event streams on change."""

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace
        self._changed = asyncio.Event()

    async def changed(self, timeout: float) -> None:  # noqa: ASYNC109 (own deadline)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._changed.wait(), timeout)

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            if await loop.run_in_executor(None, self.workspace.refresh):
                self._changed.set()
                self._changed = asyncio.Event()
            await asyncio.sleep(WATCH_EVERY)


class Base(tornado.web.RequestHandler):
    def initialize(self, pages: Pages, watcher: Watcher, hosts: frozenset[str]) -> None:
        self.pages = pages
        self.watcher = watcher
        self.hosts = hosts

    def prepare(self) -> None:
        host = self.request.host_name.lower()
        if host not in self.hosts:
            log.warning("request for host %r refused", host[:80])
            raise tornado.web.HTTPError(403)

    def set_default_headers(self) -> None:
        self.set_header("Content-Security-Policy", CSP)
        self.set_header("X-Content-Type-Options", "nosniff")
        self.set_header("Referrer-Policy", "no-referrer")
        self.set_header("Cache-Control", "no-store")

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        self.set_header("Content-Type", "text/plain; charset=utf-8")
        self.finish(f"Erreur {status_code}.")


class PageHandler(Base):
    def initialize(self, pages: Pages, watcher: Watcher, hosts: frozenset[str],
                   page: str = "etat") -> None:
        super().initialize(pages, watcher, hosts)
        self.page = page

    def get(self) -> None:
        screen = self.get_query_argument("ecran", "")[:120]
        if self.get_query_argument("partie", ""):
            self.finish(self.pages.body(self.page, screen))
        else:
            self.finish(self.pages.full(self.page, screen))


class TurnHandler(Base):
    def post(self) -> None:
        bundle = self.pages.workspace.bundle
        if bundle is None:
            raise tornado.web.HTTPError(409)
        if len(self.request.body) > MAX_BODY:
            raise tornado.web.HTTPError(413)
        try:
            data = json.loads(self.request.body or b"{}")
            if not isinstance(data, dict):
                raise TypeError
            request = Request(
                state=_text(data.get("state")) or None,
                action=_text(data.get("action")) if data.get("action") in ACTIONS else "resume",
                value=_text(data.get("value"))[:4096],
                profile=_text(data.get("profil"))[:40],
                department=_text(data.get("departement"))[:8],
            )
        except (ValueError, TypeError):
            raise tornado.web.HTTPError(400) from None
        answer = play(bundle, request)
        self.set_header("Content-Type", "application/json; charset=utf-8")
        self.finish(json.dumps({
            "state": answer.state, "html": str(answer.html), "node": answer.node,
            "profil": answer.profile, "departement": answer.department, "effacer": answer.erase,
            "version": bundle.version, "generation": self.pages.workspace.generation,
        }))


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


class StatusHandler(Base):
    def get(self) -> None:
        ws = self.pages.workspace
        header = self.pages.body("apercu").split("</header>", 1)[0] + "</header>"
        state = self.pages.status()
        self.set_header("Content-Type", "application/json; charset=utf-8")
        self.finish(json.dumps({"generation": ws.generation, "valide": state.valid,
                                "entete": header, "bandeau": state.banner}))


class EventsHandler(Base):
    async def get(self) -> None:
        self.set_header("Content-Type", "text/event-stream; charset=utf-8")
        seen = -1
        try:
            while True:
                generation = self.pages.workspace.generation
                if generation != seen:
                    self.write(f"data: {generation}\n\n")
                    seen = generation
                else:
                    self.write(": rien\n\n")
                await self.flush()
                await self.watcher.changed(KEEPALIVE)
        except StreamClosedError:
            return


def make_app(workspace: Workspace, watcher: Watcher, host: str, port: int,
             months: int) -> tornado.web.Application:
    pages = Pages(workspace, months)
    hosts = frozenset({*LOCAL_HOSTS, host.lower(), host.lower().strip("[]")})
    common = {"pages": pages, "watcher": watcher, "hosts": hosts}
    routes: list[Any] = [(r"/", PageHandler, {**common, "page": "etat"})]
    routes += [(f"/{name}", PageHandler, {**common, "page": name}) for name in PAGES]
    routes += [
        (r"/api/tour", TurnHandler, common),
        (r"/api/etat", StatusHandler, common),
        (r"/api/evenements", EventsHandler, common),
        (r"/static/(.*)", tornado.web.StaticFileHandler, {"path": str(STATIC)}),
    ]
    return tornado.web.Application(routes, compress_response=True)


async def serve(workspace: Workspace, host: str, port: int, months: int,
                ready: Callable[[], None] | None = None) -> None:
    """Serve until cancelled; ``ready`` is called once the port is open."""
    watcher = Watcher(workspace)
    app = make_app(workspace, watcher, host, port, months)
    server = HTTPServer(app, max_body_size=16 * MAX_BODY)
    server.listen(port, address=host)
    task = asyncio.create_task(watcher.run(), name="studio:watch")
    if ready is not None:
        ready()
    try:
        await asyncio.Event().wait()
    finally:
        task.cancel()
        server.stop()
        with contextlib.suppress(asyncio.CancelledError):
            await task
