"""This bot against a bare python-telegram-bot bot, both real processes on one fake Bot API.

Run: ``make bench-telegram`` (or ``.venv/bin/python benchmarks/telegram_bot.py``), options
``--users 10 50`` (simulated people at once), ``--runs 3`` (runs of each bot, alternated:
ours, bare, ours, bare…), ``--rounds 3`` (each simulated person is followed by a new one,
this many times), ``--quick`` (10 users, 1 run, 1 round: a smoke test), ``--start-only``
(no users, 10 runs: the start figures only), ``--profile DIR``
(our bot runs under cProfile; one ``.prof`` file per run), ``--json FILE``,
``--backend sqlite|postgres|both`` (our bot on SQLite, default; on PostgreSQL, a throw-away
server started by the benchmark from the ``pgserver`` package, a fresh database per run; or
both, alternated with the bare bot: SQLite, PostgreSQL, bare, then rotated), ``--think S``
(each person reads a screen S seconds before acting; default 0: robots acting at once, which
per-chat pacing, about one message per second in a chat as Telegram asks, slows by design).

Not a test: nothing asserts, figures depend on the machine. What it does, per run:

1. starts the fake Bot API (``tests/fakes/fake_bot_api.py``) on 127.0.0.1;
2. spawns the bot as a host would (``entraide run``, polling, ``TELEGRAM_API_BASE_URL``
   pointing at the fake, a fresh database) or the bare bot (``benchmarks/bare_bot.py``:
   same ``AIORateLimiter``, same 32 concurrent updates, one message per answer);
3. waits for the first ``getUpdates``: "start" is the time from the spawn to that call;
   then waits until the bot is idle (at least 1.5 s: work deferred past the start, such as
   our lexicon, is counted in "start CPU until idle", not in the turns);
4. drives the users through the same 7 turns (typed messages and button presses, the path
   of a liberal physiotherapist asking for financial help), each person waiting for the
   answer to a turn (a message carrying a keyboard) before the next one;
5. reads what the fake received (sendMessage calls per turn, every Bot API call per turn)
   and the bot's CPU time from ``/proc/<pid>/stat`` (user + system, all threads) from the
   first turn until the bot is idle again, then stops the bot with SIGTERM.

Everything is read from the outside (the fake's received calls, the kernel's accounting), so
the figures stay meaningful whatever the bot does inside (an outbox, a delivery worker,
edits instead of new messages).

Figures: turns answered per second, messages sent per turn, p50/p99 turn latency (the
user's action queued → the fake receives the answer), bot CPU ms per turn, start to first
``getUpdates`` and the CPU spent by then and until idle; each the median over runs, and the
ratio ours/bare. The bot's modules are byte-compiled first, as an installed package is.
"""

from __future__ import annotations

import argparse
import asyncio
import compileall
import contextlib
import json
import os
import platform
import signal
import statistics
import sys
import tempfile
import time
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.fakes.fake_bot_api import FAKE_TOKEN, Call, FakeBotApi  # noqa: E402
from tests.pg_harness import PgServer  # noqa: E402
from tests.pg_harness import start as start_postgres  # noqa: E402

BARE_BOT = ROOT / "benchmarks" / "bare_bot.py"
START_TIMEOUT = 60.0
TURN_TIMEOUT = 60.0
STOP_TIMEOUT = 40.0
ANSWERS = frozenset({"sendMessage", "editMessageText"})
"""A turn is answered by the message (new or edited) that carries its keyboard: every screen
has one (no dead end), and it is the last message of the turn."""
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
SETTLE_AT_LEAST = 1.5
"""Seconds after the first getUpdates before looking for idleness (our lexicon waits 1 s)."""
SETTLE_AT_MOST = 5.0


@dataclass(frozen=True)
class Turn:
    """One thing a person does: a command or a typed message, or a press on a labelled button."""

    kind: str  # "text" or "press"
    value: str


CONVERSATION: tuple[Turn, ...] = (
    Turn("text", "/start"),
    Turn("press", "Kiné libéral·e"),
    Turn("text", "je n'arrive plus à payer mes cotisations, j'ai besoin d'une aide financière"),
    Turn("press", "Entraide de l'Ordre"),
    Turn("press", "Faire une demande"),
    Turn("text", "calvados"),
    Turn("press", "🏠 Menu"),
)
"""Welcome, profile, a need in the person's words (the bot asks which of two topics), the
entraide, the request, the department typed, back to the menu."""


def fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text)
    return " ".join("".join(c for c in text if not unicodedata.combining(c)).casefold().split())


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a live process, all its threads (``/proc/<pid>/stat``)."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime, stime (fields 14, 15)


@dataclass
class RunResult:
    bot: str
    users: int
    turns: int
    turns_per_s: float
    messages_per_turn: float
    api_calls_per_turn: float
    p50_ms: float
    p99_ms: float
    cpu_ms_per_turn: float
    start_s: float
    start_cpu_ms: float
    settled_cpu_ms: float
    unanswered: int
    errors: list[str] = field(default_factory=list)


class Watcher:
    """Follows the fake's received calls; wakes the person whose turn was answered."""

    def __init__(self, fake: FakeBotApi) -> None:
        self.fake = fake
        self.seen = len(fake.calls)
        self.counting = False
        self.methods: Counter[str] = Counter()
        self.waiting: dict[int, asyncio.Future[float]] = {}

    def expect(self, chat_id: int) -> asyncio.Future[float]:
        future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self.waiting[chat_id] = future
        return future

    async def follow(self) -> None:
        fake = self.fake
        while True:
            # The fake's own "re-check after every change" wait: one waiter for all users.
            await fake._wait_until(lambda: len(fake.calls) > self.seen, 3600)
            calls, self.seen = fake.calls[self.seen :], len(fake.calls)
            for call in calls:
                self._see(call)

    def _see(self, call: Call) -> None:
        if self.counting and call.method != "getUpdates":
            self.methods[call.method] += 1
        if call.method not in ANSWERS or not call.params.get("reply_markup"):
            return
        chat = call.params.get("chat_id")
        future = self.waiting.pop(chat, None) if isinstance(chat, int) else None
        if future is not None and not future.done():
            future.set_result(call.at)


class Person:
    """One simulated user: plays the conversation, timing each turn."""

    def __init__(
        self, fake: FakeBotApi, watcher: Watcher, user_id: int, strict: bool, think: float = 0.0
    ) -> None:
        self.fake, self.watcher, self.user_id, self.strict = fake, watcher, user_id, strict
        self.think = think

    def _button(self, label: str) -> tuple[int, str]:
        """(message id, callback data) of ``label`` on the newest keyboard; the bare bot's
        keyboard has no such labels, so there the first button stands for it."""
        for message in reversed(self.fake.sent_messages(self.user_id)):
            rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
            buttons = [b for row in rows for b in row if "callback_data" in b]
            if not buttons:
                continue
            for button in buttons:
                if fold(button["text"]) == fold(label):
                    return message["message_id"], button["callback_data"]
            if self.strict:
                shown = [b["text"] for b in buttons]
                raise LookupError(f"no button {label!r} on the screen; shown: {shown}")
            return message["message_id"], buttons[0]["callback_data"]
        raise LookupError(f"no keyboard to press {label!r} on")

    def _act(self, turn: Turn) -> None:
        if turn.kind == "press":
            message_id, data = self._button(turn.value)
            self.fake.user_presses(self.user_id, message_id, data)
        elif turn.value.startswith("/"):
            self.fake.user_sends_command(self.user_id, turn.value)
        else:
            self.fake.user_sends_text(self.user_id, turn.value)

    async def converse(self, latencies: list[float], answered_at: list[float]) -> int:
        """Play every turn; returns how many went unanswered (the rest are skipped then)."""
        for index, turn in enumerate(CONVERSATION):
            if index and self.think:
                await asyncio.sleep(self.think)  # reading the screen before the next action
            future = self.watcher.expect(self.user_id)
            started = time.monotonic()
            self._act(turn)
            try:
                at = await asyncio.wait_for(future, TURN_TIMEOUT)
            except TimeoutError:
                return len(CONVERSATION) - index
            latencies.append(at - started)
            answered_at.append(at)
        return 0


BOTS = {"ours": "this bot", "ours-pg": "this bot on PostgreSQL", "bare": "bare bot"}
"""Who runs: our bot on SQLite, our bot on PostgreSQL, the bare python-telegram-bot bot."""


def environment(fake: FakeBotApi, folder: Path, database_url: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("TELEGRAM_", "ENTRAIDE_", "WEBHOOK_"))}
    env.update({
        "TELEGRAM_BOT_TOKEN": FAKE_TOKEN,
        "TELEGRAM_API_BASE_URL": fake.base_url,
        "ENTRAIDE_FLOWS": str(ROOT / "flows"),
        "ENTRAIDE_KNOWLEDGE": str(ROOT / "knowledge"),
        "ENTRAIDE_DB": str(folder / "entraide.db"),
        "ENTRAIDE_SECRET": "benchmark-secret",
    })
    if database_url is not None:
        env["DATABASE_URL"] = database_url
    return env


def command(bot: str, profile: Path | None) -> list[str]:
    if bot == "bare":
        return [sys.executable, str(BARE_BOT)]
    if profile is not None:
        return [sys.executable, "-m", "cProfile", "-o", str(profile), "-m", "bot", "run"]
    entraide = Path(sys.executable).with_name("entraide")
    return [str(entraide), "run"] if entraide.exists() else [sys.executable, "-m", "bot", "run"]


async def settle(pid: int, at_least: float = SETTLE_AT_LEAST) -> float:
    """Wait until the bot is idle (0.3 s without CPU); returns its CPU seconds then.

    After the start, work deferred past it (such as our lexicon) is done by then: turns are
    measured from there, the start apart and whole. After the turns, work left behind by
    them (an outbox's bookkeeping, say) is counted with them."""
    await asyncio.sleep(at_least)
    cpu, quiet = cpu_seconds(pid), 0
    for _ in range(int(SETTLE_AT_MOST / 0.1)):
        await asyncio.sleep(0.1)
        now = cpu_seconds(pid)
        quiet, cpu = (quiet + 1 if now == cpu else 0), now
        if quiet >= 3:
            break
    return cpu


async def first_call(fake: FakeBotApi, method: str, after: int) -> Call:
    return await fake.wait_for_call(method, after=after, timeout=START_TIMEOUT)


async def one_run(
    bot: str, users: int, rounds: int, profile: Path | None = None, pg: PgServer | None = None,
    think: float = 0.0,
) -> RunResult:
    database_url = pg.create_database("bench") if bot == "ours-pg" and pg is not None else None
    async with FakeBotApi(FAKE_TOKEN) as fake:
        with tempfile.TemporaryDirectory(prefix="bench-tg-") as tmp:
            folder = Path(tmp)
            log = (folder / "bot.log").open("wb")
            spawned = time.monotonic()
            process = await asyncio.create_subprocess_exec(
                *command(bot, profile), cwd=folder, env=environment(fake, folder, database_url),
                stdout=log, stderr=asyncio.subprocess.STDOUT,
            )
            try:
                first = await first_call(fake, "getUpdates", 0)
                start_cpu = cpu_seconds(process.pid)
                settled_cpu = await settle(process.pid)
                if users:
                    result = await drive(fake, process.pid, bot, users, rounds, think)
                else:  # --start-only
                    nan = float("nan")
                    result = RunResult(bot, 0, 0, nan, nan, nan, nan, nan, nan, 0.0, 0.0, 0.0, 0)
            except BaseException:
                process.kill()
                await process.wait()
                log.close()
                sys.stderr.write((folder / "bot.log").read_text(errors="replace")[-4000:])
                raise
            result.start_s = first.at - spawned
            result.start_cpu_ms = 1000 * start_cpu
            result.settled_cpu_ms = 1000 * settled_cpu
            process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), STOP_TIMEOUT)
            except TimeoutError:
                process.kill()
                await process.wait()
                result.errors.append("did not stop within 40 s of SIGTERM")
            log.close()
            if process.returncode not in (0, -signal.SIGTERM):
                result.errors.append(f"exit code {process.returncode}")
            result.errors += [f"{e.method} {e.error_code} {e.description}" for e in fake.errors]
            return result


async def drive(
    fake: FakeBotApi, pid: int, bot: str, users: int, rounds: int, think: float
) -> RunResult:
    watcher = Watcher(fake)
    follower = asyncio.create_task(watcher.follow())
    latencies: list[float] = []
    answered_at: list[float] = []

    async def slot(index: int) -> int:
        missed = 0
        for round_ in range(rounds):
            person = Person(fake, watcher, 10_000 + round_ * users + index, strict=bot != "bare",
                            think=think)
            missed += await person.converse(latencies, answered_at)
        return missed

    watcher.counting = True
    cpu_before = cpu_seconds(pid)
    began = time.monotonic()
    try:
        missed = sum(await asyncio.gather(*(slot(i) for i in range(users))))
        cpu = await settle(pid, at_least=0.0) - cpu_before
    finally:
        follower.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await follower
    turns = len(latencies)
    elapsed = (max(answered_at) - began) if answered_at else float("nan")
    ms = sorted(1000 * x for x in latencies) or [float("nan")]
    return RunResult(
        bot=bot, users=users, turns=turns,
        turns_per_s=turns / elapsed,
        messages_per_turn=watcher.methods["sendMessage"] / max(turns, 1),
        api_calls_per_turn=sum(watcher.methods.values()) / max(turns, 1),
        p50_ms=statistics.median(ms),
        p99_ms=ms[min(len(ms) - 1, round(0.99 * (len(ms) - 1)))],
        cpu_ms_per_turn=1000 * cpu / max(turns, 1),
        start_s=0.0, start_cpu_ms=0.0, settled_cpu_ms=0.0, unanswered=missed,
    )


FIGURES: tuple[tuple[str, str, str], ...] = (
    ("turns_per_s", "turns answered per second", "{:.1f}"),
    ("messages_per_turn", "messages sent per turn", "{:.2f}"),
    ("api_calls_per_turn", "Bot API calls per turn", "{:.2f}"),
    ("p50_ms", "p50 turn latency (ms)", "{:.0f}"),
    ("p99_ms", "p99 turn latency (ms)", "{:.0f}"),
    ("cpu_ms_per_turn", "bot CPU per turn (ms)", "{:.2f}"),
    ("start_s", "start to first getUpdates (s)", "{:.3f}"),
    ("start_cpu_ms", "start CPU until first getUpdates (ms)", "{:.0f}"),
    ("settled_cpu_ms", "start CPU until idle (ms)", "{:.0f}"),
)


def table(users: int, results: Sequence[RunResult]) -> str:
    def median(bot: str, key: str) -> float:
        return float(statistics.median(getattr(r, key) for r in results if r.bot == bot))

    ours = [b for b in BOTS if b != "bare" and any(r.bot == b for r in results)]
    runs = sum(r.bot == ours[0] for r in results)
    turns = statistics.median(r.turns for r in results if r.bot == ours[0])
    head = " | ".join(BOTS[b] for b in ours)
    ratios = " | ".join(f"ratio {'PostgreSQL' if b == 'ours-pg' else ''}".strip() for b in ours)
    lines = [
        f"\n{users or 'no'} users, {runs} alternated runs of each bot, {turns:.0f} turns per run "
        "(medians)",
        f"| figure | {head} | bare bot | {ratios} |", "|---" * (2 + 2 * len(ours)) + "|",
    ]
    for key, label, fmt in FIGURES:
        if not users and not key.startswith("start"):
            continue
        bare = median("bare", key)
        values = [median(b, key) for b in ours]
        cells = " | ".join(fmt.format(v) for v in values)
        shares = " | ".join(f"{v / bare:.2f}" if bare else "" for v in values)
        lines.append(f"| {label} | {cells} | {fmt.format(bare)} | {shares} |")
    return "\n".join(lines)


def describe(result: RunResult) -> str:
    parts = [f"{result.bot:>4} {result.users:>3} users:"]
    parts += [f"{key}={fmt.format(getattr(result, key))}" for key, _, fmt in FIGURES
              if result.users or key.startswith("start")]
    if result.unanswered:
        parts.append(f"UNANSWERED={result.unanswered}")
    if result.errors:
        parts.append(f"errors={result.errors[:3]}")
    return " ".join(parts)


async def main_async(args: argparse.Namespace, say: Callable[[str], None]) -> list[RunResult]:
    results: list[RunResult] = []
    bots = {"sqlite": ["ours"], "postgres": ["ours-pg"], "both": ["ours", "ours-pg"]}
    order = [*bots[args.backend], "bare"]
    with contextlib.ExitStack() as stack:
        pg = stack.enter_context(postgres()) if args.backend != "sqlite" else None
        for users in args.users:
            for run in range(args.runs):
                for bot in order[run % len(order):] + order[:run % len(order)]:
                    profile = _profile(args, bot, users, run)
                    result = await one_run(bot, users, args.rounds, profile, pg, args.think)
                    results.append(result)
                    say(describe(result))
            say(table(users, [r for r in results if r.users == users]))
    return results


@contextlib.contextmanager
def postgres() -> Iterator[PgServer]:
    """A throw-away PostgreSQL server (the tests' harness), removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="bench-pg-") as tmp:
        server = start_postgres(Path(tmp))
        try:
            yield server
        finally:
            server.handle.cleanup()


def _profile(args: argparse.Namespace, bot: str, users: int, run: int) -> Path | None:
    if bot == "bare" or args.profile is None:
        return None
    args.profile.mkdir(parents=True, exist_ok=True)
    return Path(args.profile / f"{bot}-{users}u-run{run + 1}.prof").resolve()


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else "")
    parser.add_argument("--users", type=int, nargs="+", default=None,
                        help="simulated people at once (default: 10 50)")
    parser.add_argument("--runs", type=int, default=None, help="runs of each bot (default 3)")
    parser.add_argument("--rounds", type=int, default=None,
                        help="people per slot, one after the other (default 3)")
    parser.add_argument("--quick", action="store_true", help="10 users, 1 run, 1 round")
    parser.add_argument("--start-only", action="store_true",
                        help="only measure the start (no users), 10 runs unless --runs")
    parser.add_argument("--profile", type=Path, default=None,
                        help="run our bot under cProfile, .prof files in this folder")
    parser.add_argument("--json", type=Path, default=None, help="write every run here")
    parser.add_argument("--think", type=float, default=0.0,
                        help="seconds a person reads a screen before acting (default 0)")
    parser.add_argument("--backend", choices=("sqlite", "postgres", "both"), default="sqlite",
                        help="our bot's database (default sqlite)")
    args = parser.parse_args(argv)
    args.users = [0] if args.start_only else args.users or ([10] if args.quick else [10, 50])
    args.runs = args.runs or (1 if args.quick else 10 if args.start_only else 3)
    args.rounds = args.rounds or (1 if args.quick else 3)
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)

    def say(line: str) -> None:
        print(line, flush=True)

    say(f"{platform.python_implementation()} {platform.python_version()}, "
        f"{os.cpu_count()} CPUs, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; "
        f"{len(CONVERSATION)} turns per person")
    # An installed package has its bytecode compiled; this checkout may not (and
    # PYTHONDONTWRITEBYTECODE may be set): compile it, or every start would pay for it.
    compileall.compile_dir(ROOT / "bot", quiet=1)
    results = asyncio.run(main_async(args, say))
    if args.json is not None:
        args.json.write_text(json.dumps([asdict(r) for r in results], indent=1) + "\n")
    return 1 if any(r.unanswered or r.errors for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
