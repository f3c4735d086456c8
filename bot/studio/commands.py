"""``entraide studio``, ``entraide preview`` and ``entraide map``: the studio's commands."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import errno
import logging
import sys
from pathlib import Path

from bot.config import Settings
from bot.validation import validate

from .tables import STALE_MONTHS

log = logging.getLogger(__name__)

LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


def add_commands(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register the three commands on the ``entraide`` parser."""
    studio = sub.add_parser("studio", help="the staff studio: a local web page, live")
    _content_options(studio)
    studio.add_argument("--port", type=int, default=8765, help="port (default 8765)")
    studio.add_argument("--host", default="127.0.0.1",
                        help="address to listen on (default 127.0.0.1: this computer only)")
    studio.set_defaults(func=cmd_studio)
    preview = sub.add_parser("preview", help="the studio's pages as static HTML files")
    _content_options(preview)
    preview.add_argument("--out", required=True, help="output directory")
    preview.set_defaults(func=cmd_preview)
    diagram = sub.add_parser("map", help="print the flow diagrams (Mermaid, in Markdown)")
    _content_options(diagram, months=False)
    diagram.add_argument("--flux", help="only this flow, as bare Mermaid text")
    diagram.set_defaults(func=cmd_map)


def _content_options(parser: argparse.ArgumentParser, *, months: bool = True) -> None:
    parser.add_argument("--flows", help="flows directory (default ./flows or $ENTRAIDE_FLOWS)")
    parser.add_argument("--knowledge", help="knowledge directory (default ./knowledge)")
    if months:
        parser.add_argument("--perime-apres", type=int, default=STALE_MONTHS, metavar="MOIS",
                            help=f"mark facts older than this many months (default {STALE_MONTHS})")


def _folders(settings: Settings, args: argparse.Namespace) -> tuple[Path, Path]:
    return (Path(args.flows) if args.flows else settings.flows_dir,
            Path(args.knowledge) if args.knowledge else settings.knowledge_dir)


def cmd_studio(settings: Settings, args: argparse.Namespace) -> int:
    from .server import serve
    from .workspace import Workspace

    flows, knowledge = _folders(settings, args)
    if args.host not in LOOPBACK:
        log.warning("studio listening on %s: anyone who can reach this address sees it", args.host)
        sys.stderr.write(
            f"Attention : le studio écoute sur {args.host} ; toute personne qui peut joindre "
            "cette adresse le verra (il ne modifie aucun fichier).\n"
        )
    workspace = Workspace(flows, knowledge)
    shown = f"[{args.host}]" if ":" in args.host else args.host

    def ready() -> None:
        sys.stdout.write(
            f"Studio ouvert sur http://{shown}:{args.port}/ — il suit les fichiers de {flows} "
            f"et {knowledge}. Ctrl+C pour arrêter.\n"
        )
        sys.stdout.flush()

    try:
        asyncio.run(serve(workspace, args.host, args.port, args.perime_apres, ready))
    except KeyboardInterrupt:
        return 0
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            sys.stderr.write(f"Port {args.port} already in use: try --port {args.port + 1}.\n")
            return 1
        raise
    return 0


def cmd_preview(settings: Settings, args: argparse.Namespace) -> int:
    from .site import build

    flows, knowledge = _folders(settings, args)
    result = validate(flows, knowledge)
    today = dt.datetime.now(dt.UTC).date()
    written = build(result, flows / "scenarios", Path(args.out), today, args.perime_apres)
    print(f"{len(written)} pages written to {args.out}/ (open index.html).")  # noqa: T201
    return 0 if result.bundle is not None else 1


def cmd_map(settings: Settings, args: argparse.Namespace) -> int:
    from bot.content.report import report

    from .diagram import flow_diagram, markdown

    flows, knowledge = _folders(settings, args)
    result = validate(flows, knowledge)
    if result.bundle is None:
        sys.stderr.write(report(result.problems))
        return 1
    if args.flux:
        flow = result.bundle.flows.get(args.flux)
        if flow is None:
            sys.stderr.write(f"Unknown flow {args.flux!r}.\n")
            return 2
        sys.stdout.write(flow_diagram(result.bundle, flow).text)
    else:
        sys.stdout.write(markdown(result.bundle))
    return 0
