"""Turn transactions per second on SQLite and on PostgreSQL (a throw-away pgserver).

Each turn is what the service does for one update: claim its id, read the state, save the
new state, count once, queue one reply. ``USERS`` concurrent users each run ``TURNS``
turns; runs alternate between backends and the median of ``ROUNDS`` is printed, with p50/p99
turn latency. Usage: ``.venv/bin/python benchmarks/storage.py [--users 50] [--turns 20]``.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.storage.base import Store
from bot.storage.postgres import PostgresStore
from bot.storage.sqlite import SqliteStore

RETENTION = dt.timedelta(days=30)
STATE = '{"node": "entraide.debut", "answers": {"profil": "liberal"}}'


async def run(store: Store, users: int, turns: int, first_id: int) -> tuple[float, list[float]]:
    """Seconds for all turns, and each turn's latency."""
    latencies: list[float] = []
    now = dt.datetime.now(dt.UTC)

    async def user(n: int) -> None:
        for t in range(turns):
            started = time.perf_counter()
            async with store.turn(f"user{n}", first_id + n * turns + t, now) as tx:
                await tx.load()
                tx.save(STATE)
                tx.count("entraide", "debut")
                tx.send("sealed-address", "<b>Bonjour</b>")
            latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(user(n) for n in range(users)))
    return time.perf_counter() - started, latencies


def pg_url(directory: str) -> str:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pgserver

        return str(pgserver.get_server(Path(directory), cleanup_mode="delete").get_uri())


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--turns", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        stores: dict[str, Store] = {
            "sqlite": SqliteStore(str(Path(tmp) / "bench.db"), RETENTION),
            "postgres": PostgresStore(pg_url(str(Path(tmp) / "pg")), RETENTION),
        }
        for store in stores.values():
            await store.open()
        rates: dict[str, list[float]] = {name: [] for name in stores}
        lat: dict[str, list[float]] = {name: [] for name in stores}
        total = args.users * args.turns
        for r in range(args.rounds):
            for name, store in stores.items():  # alternating runs
                seconds, latencies = await run(store, args.users, args.turns, r * total)
                rates[name].append(total / seconds)
                lat[name].extend(latencies)
        for store in stores.values():
            await store.close()
    print(f"{args.users} users x {args.turns} turns, median of {args.rounds} alternating runs")
    for name in stores:
        ordered = sorted(lat[name])
        p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
        print(
            f"{name:9} {statistics.median(rates[name]):7.0f} turns/s   "
            f"p50 {statistics.median(ordered) * 1000:6.1f} ms   p99 {p99 * 1000:6.1f} ms"
        )
    ratio = statistics.median(rates["postgres"]) / statistics.median(rates["sqlite"])
    print(f"postgres/sqlite throughput ratio: {ratio:.2f}")


if __name__ == "__main__":
    asyncio.run(main())
