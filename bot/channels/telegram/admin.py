"""``/stats`` and ``/version`` for the operators listed in ``ENTRAIDE_ADMIN_IDS``.

Only aggregate counters exist (day, flow, outcome, count): nothing here can name or
single out a user. Words come from ``interface.yaml`` (``admin_*`` messages); the
figures are laid out in monospace blocks.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter as Tally
from collections.abc import Sequence
from typing import Final

from bot.content.bundle import Bundle
from bot.storage.base import Counter

from .render import PLAIN, Outgoing, Run, markup_runs, split_runs, to_html, to_plain

ADMIN_COMMANDS: Final = frozenset({"stats", "version"})
DAYS: Final = 7
WEEKS: Final = 4
STARTS: Final = "debut"
DEEP_LINK: Final = "lien_profond"


def stats_since(today: dt.date) -> dt.date:
    """First day :func:`stats` needs counters from (the Monday of the oldest week shown)."""
    return today - dt.timedelta(days=today.weekday() + 7 * (WEEKS - 1))


def _is_conversation_start(bundle: Bundle, counter: Counter) -> bool:
    """A conversation starts at the welcome flow, or at a flow opened by a deep link."""
    welcome = bundle.interface.welcome_flow
    return counter.outcome == DEEP_LINK or (counter.flow == welcome and counter.outcome == STARTS)


def _block(lines: Sequence[tuple[str, int]]) -> list[Run]:
    width = max((len(label) for label, _ in lines), default=0)
    body = "\n".join(f"{label.ljust(width)}  {count:>5}" for label, count in lines)
    return [("\n", PLAIN), (body, ("pre",)), ("\n\n", PLAIN)]


def stats(bundle: Bundle, counters: Sequence[Counter], today: dt.date) -> list[Outgoing]:
    """Conversations per day (last 7) and per ISO week (last 4), then flows and outcomes."""
    days = [today - dt.timedelta(days=n) for n in range(DAYS - 1, -1, -1)]
    per_day: Tally[str] = Tally()
    per_week: Tally[str] = Tally()
    per_topic: Tally[str] = Tally()
    first_day = days[0].isoformat()
    for counter in counters:
        day = dt.date.fromisoformat(counter.day)
        if _is_conversation_start(bundle, counter):
            per_day[counter.day] += counter.count
            year, week, _ = day.isocalendar()
            per_week[f"{year}-W{week:02d}"] += counter.count
        if counter.day >= first_day:
            per_topic[f"{counter.flow or '-'} {counter.outcome}"] += counter.count
    weeks = sorted({f"{d.isocalendar()[0]}-W{d.isocalendar()[1]:02d}" for d in (
        today - dt.timedelta(weeks=n) for n in range(WEEKS - 1, -1, -1))})
    runs: list[Run] = markup_runs(bundle.message("admin_stats"))
    runs += [("\n\n", PLAIN), *markup_runs(bundle.message("admin_stats_jours"))]
    runs += _block([(d.isoformat(), per_day[d.isoformat()]) for d in days])
    runs += markup_runs(bundle.message("admin_stats_semaines"))
    runs += _block([(w, per_week[w]) for w in weeks])
    runs += markup_runs(bundle.message("admin_stats_sujets"))
    runs += _block(sorted(per_topic.items()) or [("-", 0)])
    return [Outgoing(to_html(p), to_plain(p)) for p in split_runs(runs)]


def version(bundle: Bundle) -> list[Outgoing]:
    """Which content is live, and since when (UTC)."""
    loaded = bundle.loaded_at.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    runs = markup_runs(bundle.message("admin_version", version=bundle.version, charge_le=loaded))
    return [Outgoing(to_html(runs), to_plain(runs))]
