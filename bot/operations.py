"""Operating the bot from the command line: one retention pass, and the anonymous counters.

``entraide purge`` runs the same retention pass as the running bot (hourly), once, for a
cron job; ``entraide stats`` prints the counters (day, flow, outcome) for the Ordre's
reporting. Both work on either backend through :func:`bot.storage.factory.create_store`;
there is no user data to export, only these counts.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import datetime as dt
import io
import logging
import sys
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from bot.config import Settings
from bot.storage.base import Counter, Purged, StorageError, Store
from bot.storage.factory import create_store

log = logging.getLogger(__name__)


@asynccontextmanager
async def opened_store(settings: Settings) -> AsyncIterator[Store]:
    """The configured store, open for one command, closed after it whatever happens."""
    store = create_store(settings)
    await store.open()
    try:
        yield store
    finally:
        await store.close()


async def purge(settings: Settings, now: dt.datetime) -> Purged:
    async with opened_store(settings) as store:
        return await store.purge(now)


async def counters(settings: Settings, since: dt.date) -> list[Counter]:
    async with opened_store(settings) as store:
        return await store.counters(since)


def purged_report(purged: Purged, described: str) -> str:
    return (
        f"{described}: removed {purged.conversations} expired conversation(s), "
        f"{purged.handled_updates} handled update id(s), {purged.outbox} outbox entr(ies), "
        f"{purged.recent_messages} message id(s)\n"
    )


def counters_report(rows: Sequence[Counter], fmt: str) -> str:
    """CSV (``day,flow,outcome,count``) or an aligned table with a total."""
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(("day", "flow", "outcome", "count"))
        writer.writerows((c.day, c.flow, c.outcome, c.count) for c in rows)
        return out.getvalue()
    header = ("day", "flow", "outcome", "count")
    lines = [header, *((c.day, c.flow, c.outcome, str(c.count)) for c in rows)]
    widths = [max(len(line[i]) for line in lines) for i in range(4)]
    text = [
        "  ".join(cell.rjust(w) if i == 3 else cell.ljust(w) for i, (cell, w) in
                  enumerate(zip(line, widths, strict=True))).rstrip()
        for line in lines
    ]
    text.append(f"total: {sum(c.count for c in rows)}")
    return "\n".join(text) + "\n"


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date YYYY-MM-DD, got {text!r}") from None


def cmd_purge(settings: Settings, args: argparse.Namespace) -> int:
    try:
        purged = asyncio.run(purge(settings, dt.datetime.now(dt.UTC)))
    except StorageError as exc:
        sys.stderr.write(f"Database error: {exc}\n")
        return 1
    sys.stdout.write(purged_report(purged, create_store(settings).describe()))
    return 0


def cmd_stats(settings: Settings, args: argparse.Namespace) -> int:
    since = args.since or dt.date(1970, 1, 1)
    try:
        rows = asyncio.run(counters(settings, since))
    except StorageError as exc:
        sys.stderr.write(f"Database error: {exc}\n")
        return 1
    sys.stdout.write(counters_report(rows, args.format))
    return 0


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """``purge`` and ``stats`` on the ``entraide`` parser."""
    purge_cmd = sub.add_parser("purge", help="one retention pass (for cron); prints what went")
    purge_cmd.set_defaults(func=cmd_purge)
    stats = sub.add_parser("stats", help="anonymous counters by day, flow and outcome")
    stats.add_argument("--since", type=_date, default=None, help="first day, YYYY-MM-DD")
    stats.add_argument("--format", choices=("table", "csv"), default="table")
    stats.set_defaults(func=cmd_stats)
