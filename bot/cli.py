"""``entraide``: the command line of the assistant.

- ``entraide chat``: talk to the assistant in the terminal (no token needed).
- ``entraide check``: validate flows and knowledge; exit 1 with every problem.
- ``entraide schema``: export JSON Schemas for editors.
- ``entraide scenarios``: replay the scenario files of ``flows/scenarios/``.
- ``entraide run [--webhook]``: the Telegram bot.
- ``entraide eval``: measure free-text understanding on the labelled test set.
- ``entraide studio`` / ``preview`` / ``map``: the staff studio (:mod:`bot.studio`).
- ``entraide purge`` / ``stats``: retention pass and anonymous counters (:mod:`bot.operations`).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import getpass
import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from bot.config import ConfigError, Settings
from bot.operations import add_commands as add_operations_commands
from bot.validation import advice_report, load_or_report, validate

if TYPE_CHECKING:
    from bot.content.bundle import Bundle

log = logging.getLogger("bot")

STUDIO_COMMANDS = {
    "studio": "the staff studio: a local web page, live",
    "preview": "the studio's pages as static HTML files",
    "map": "print the flow diagrams (Mermaid, in Markdown)",
}
"""Registered by :mod:`bot.studio.commands`, imported only when one of them (or help) is
asked for: ``entraide run`` and ``chat`` start without the studio."""


def setup_logging(level: str = "WARNING") -> None:
    """Plain logs to stderr; httpx would log request URLs, which contain the bot token."""
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)


def cmd_check(settings: Settings, args: argparse.Namespace) -> int:
    from bot.content.report import report

    flows = Path(args.flows) if args.flows else settings.flows_dir
    knowledge = Path(args.knowledge) if args.knowledge else settings.knowledge_dir
    result = validate(flows, knowledge)
    sys.stderr.write(advice_report(result.advice))
    if result.bundle is None:
        sys.stderr.write(report(result.problems, details=args.detail))
        return 1
    b = result.bundle
    for line in stale_facts(b, dt.datetime.now(dt.UTC).date()):
        sys.stderr.write(line + "\n")
    nodes = sum(len(f.nodes) for f in b.flows.values())
    print(  # noqa: T201 - the summary is the command's output
        f"Contenu valide : {len(b.flows)} flux, {nodes} étapes, {len(b.resources)} ressources, "
        f"{len(b.departments)} départements (version {b.version})."
    )
    return 0


STALE_AFTER = dt.timedelta(days=365)
"""Contacts change: a fact not re-checked for a year is flagged (not refused)."""


def stale_facts(bundle: Bundle, today: dt.date) -> list[str]:
    """French reminders for resources whose check is older than :data:`STALE_AFTER`."""
    return [
        f"À revérifier : la ressource « {key} » a été vérifiée le "
        f"{res.checked_on.strftime('%d/%m/%Y')} (il y a plus d'un an)."
        for key, res in sorted(bundle.resources.items())
        if today - res.checked_on > STALE_AFTER
    ]


def cmd_schema(settings: Settings, args: argparse.Namespace) -> int:
    from bot.content.schema import export

    for path in export(Path(args.out)):
        print(path)  # noqa: T201
    return 0


def cmd_chat(settings: Settings, args: argparse.Namespace) -> int:
    from bot.channels.console import chat
    from bot.service import Conversations, utcnow
    from bot.storage.base import StorageError
    from bot.storage.factory import create_store, pseudonym_secret

    result = load_or_report(settings)
    if result.bundle is None:
        return 1

    async def session() -> None:
        store = create_store(settings)
        await store.open()
        try:
            await store.purge(utcnow())
            secret = pseudonym_secret(settings)
            assert result.bundle is not None
            conversations = Conversations(result.bundle, store, secret)
            await chat(conversations, getpass.getuser(), sys.stdin, sys.stdout)
        finally:
            await store.close()

    try:
        asyncio.run(session())
    except KeyboardInterrupt:
        return 0
    except StorageError as exc:
        sys.stderr.write(f"Database error: {exc}. Set ENTRAIDE_DB to a writable file path.\n")
        return 1
    return 0


def cmd_scenarios(settings: Settings, args: argparse.Namespace) -> int:
    from bot.scenarios import run_file, scenario_files

    result = load_or_report(settings)
    if result.bundle is None:
        return 1
    folder = Path(args.folder) if args.folder else settings.flows_dir / "scenarios"
    total, failures = 0, []
    for path in scenario_files(folder):
        count, found = run_file(result.bundle, path)
        total += count
        failures.extend(found)
    for failure in failures:
        sys.stderr.write(f"{failure}\n")
    print(f"{total} scénarios joués, {len(failures)} en échec.")  # noqa: T201
    return 1 if failures or total == 0 else 0


def cmd_run(settings: Settings, args: argparse.Namespace) -> int:
    from bot.channels.telegram.runner import run

    return run(settings, webhook=args.webhook)


def cmd_eval(settings: Settings, args: argparse.Namespace) -> int:
    from bot.evaluation import run_eval

    return run_eval(settings, args)


def build_parser(argv: list[str] | None = None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="entraide", description="Entraide Kiné")
    parser.add_argument("--log-level", default=None, help="DEBUG, INFO, WARNING (default)")
    sub = parser.add_subparsers(dest="command", required=True)
    check = sub.add_parser("check", help="validate flows and knowledge")
    check.add_argument("--flows", help="flows directory (default ./flows or $ENTRAIDE_FLOWS)")
    check.add_argument("--knowledge", help="knowledge directory (default ./knowledge)")
    check.add_argument(
        "--detail", action="store_true", help="also list each consequence folded under its cause"
    )
    check.set_defaults(func=cmd_check)
    schema = sub.add_parser("schema", help="export JSON Schemas for editors")
    schema.add_argument("--out", default="schemas", help="output directory (default ./schemas)")
    schema.set_defaults(func=cmd_schema)
    chat = sub.add_parser("chat", help="talk to the assistant in the terminal")
    chat.set_defaults(func=cmd_chat)
    scenarios = sub.add_parser("scenarios", help="replay the scenario files")
    scenarios.add_argument("--folder", help="scenario folder (default flows/scenarios)")
    scenarios.set_defaults(func=cmd_scenarios)
    run = sub.add_parser("run", help="run the Telegram bot (long polling by default)")
    run.add_argument("--webhook", action="store_true", help="webhook mode (WEBHOOK_URL, PORT)")
    run.set_defaults(func=cmd_run)
    evaluate = sub.add_parser("eval", help="measure free-text understanding")
    evaluate.add_argument("--cases", default=None, help="labelled cases file")
    evaluate.add_argument("--near-misses", default=None, help="near-miss cases file")
    evaluate.set_defaults(func=cmd_eval)
    words = set(sys.argv[1:] if argv is None else argv)
    if words & {*STUDIO_COMMANDS, "-h", "--help"}:
        from bot.studio.commands import add_commands

        add_commands(sub)
    else:  # named for the usage line; never chosen, since none of them was typed
        for name, description in STUDIO_COMMANDS.items():
            sub.add_parser(name, help=description)
    add_operations_commands(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser(argv).parse_args(argv)
    setup_logging(args.log_level or "WARNING")
    try:
        settings = Settings.from_env()
        return int(args.func(settings, args))
    except ConfigError as exc:
        sys.stderr.write(f"Configuration error: {exc}\n")
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
