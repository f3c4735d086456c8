"""Two ``entraide run --webhook`` processes on one PostgreSQL database behave as one bot.

A zero-downtime deploy on a platform host runs two instances behind its load balancer: the
fake Bot API plays Telegram (chats delivered at once, one chat's updates in order,
``webhook_parallel``) and the balancer (updates go to each process in turn; a dead one is
skipped, as Telegram's retry reaches the other). Fifty people talk at once, by buttons and
in their own words; one process is killed with SIGKILL while both have replies on their way
(its updates in progress go to the other, its leased replies are taken over once the lease
runs out): every conversation completes, no reply is lost or sent twice, and each transcript
is what the pure engine says for the same inputs (docs/deploy.md § "Several instances").

One user's turns are serialised across the processes by the database, and an update
posted to both processes is answered once: to make the two turns meet for sure, the test
holds that user's turn lock (the database is slow for them) until both processes wait on it.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg
from tg_harness import buttons_of, fold, free_port
from tg_processes import (
    SECRET,
    kill,
    outbox_empty,
    private_content,
    start_bot,
    stop_bot,
)

from bot.channels.telegram.render import render_replies
from bot.scenarios import Driver
from bot.storage.postgres.turn import TURN_LOCK_SPACE, lock_key
from bot.storage.pseudonym import pseudonym
from tests.fakes.fake_bot_api import FakeBotApi
from tests.fakes.telegram_rules import JsonDict
from tests.pg_harness import PgServer

CRISIS = "je veux en finir"
WORDS = ("je n'arrive plus à payer mes cotisations", "1", "3", "je subis des violences au cabinet")
USERS = tuple(range(3001, 3051))
STEP_TIMEOUT = 60.0
"""Bound on one answer (pacing, a lease running out): a failure, not a measure of speed."""


@dataclass(frozen=True)
class Step:
    kind: str  # "command", "text" or "press" (``value`` is then the button's label)
    value: str
    answer: tuple[str, ...]  # what the engine answers, as Telegram shows it


def script(oracle: Driver, user: int) -> list[Step]:
    """A few turns of one person (seeded by the user id): /start, a button of the last
    screen, their own words (a crisis for one in three), another button, /aide. The engine
    plays the same choices and says what each answer must be."""
    rng = random.Random(user)
    driver = Driver(oracle.bundle)
    steps: list[Step] = []

    def act(kind: str, value: str) -> None:
        if kind == "command":
            driver.command(value)
        elif kind == "text":
            driver.write(value)
        else:
            driver.press(value)
        answer = tuple(o.plain for o in render_replies(driver.replies))
        assert answer, (user, kind, value)  # every turn answers something
        steps.append(Step(kind, value, answer))

    def press_one() -> None:
        labels = [b.label for b in driver.buttons if b.data]
        if labels:
            act("press", rng.choice(labels))
        else:
            act("command", "/menu")

    act("command", "/start")
    press_one()
    act("text", CRISIS if user % 3 == 0 else rng.choice(WORDS))
    press_one()
    act("command", "/aide")
    return steps


def webhook_env() -> tuple[str, dict[str, str]]:
    port = free_port()
    url = f"http://127.0.0.1:{port}/telegram"
    return url, {"WEBHOOK_URL": url, "PORT": str(port), "WEBHOOK_LISTEN": "127.0.0.1"}


@dataclass
class Pair:
    a: asyncio.subprocess.Process
    b: asyncio.subprocess.Process
    url_a: str
    url_b: str
    logs: dict[str, str]


@asynccontextmanager
async def two_instances(
    fake: FakeBotApi, tmp_path: Path, database: str
) -> AsyncIterator[Pair]:
    """Two ``entraide run --webhook`` on ``database``, each on its own port, both registered
    with setWebhook (the same secret); both stopped after (``logs`` holds what they said)."""
    (url_a, env_a), (url_b, env_b) = webhook_env(), webhook_env()
    a = await start_bot(fake, tmp_path, webhook=True, database_url=database, extra_env=env_a)
    b = await start_bot(fake, tmp_path, webhook=True, database_url=database, extra_env=env_b)
    pair = Pair(a, b, url_a, url_b, {"a": "", "b": ""})
    try:
        await fake.wait_for(lambda: sum(c.method == "setWebhook" for c in fake.calls) >= 2,
                            "both instances started", timeout=60)
        yield pair
    finally:
        for name, process in (("a", a), ("b", b)):
            if process.returncode is None:
                code, logged, _ = await stop_bot(process)
                pair.logs[name] = logged
                assert code == 0, logged


def user_action(fake: FakeBotApi, user: int, step: Step) -> JsonDict | str:
    """Do what the person does; a press takes the button of the last message received."""
    if step.kind == "command":
        return fake.user_sends_command(user, step.value)
    if step.kind == "text":
        return fake.user_sends_text(user, step.value)
    last = fake.sent_messages(user)[-1]
    [data] = [b["callback_data"] for b in buttons_of(last)
              if fold(b["text"]) == fold(step.value) and "callback_data" in b]
    return fake.user_presses(user, last["message_id"], data)


def texts(fake: FakeBotApi, user: int) -> list[str]:
    return [m["text"] for m in fake.sent_messages(user)]


Turns = dict[int, list[tuple[int, int]]]
"""Per user, (update id, number of answers) of each action sent so far."""


async def converse(fake: FakeBotApi, user: int, steps: list[Step], turns: Turns) -> None:
    """One person: each action once the previous answer has arrived; the transcript must
    be the engine's at every point (nothing lost, nothing twice, nothing out of order)."""
    expected: list[str] = []
    for step in steps:
        user_action(fake, user, step)
        turns[user].append((int(fake.last_update["update_id"]), len(step.answer)))
        expected += step.answer
        await fake.wait_for_messages(user, len(expected), timeout=STEP_TIMEOUT)
        got = texts(fake, user)
        assert got == expected, (user, step, [t[:40] for t in got], [t[:40] for t in expected])


async def leases_of(database: str) -> set[str]:
    """Owners of the leases on chats with replies still to send."""
    async with await psycopg.AsyncConnection.connect(database, autocommit=True) as conn:
        rows = await (await conn.execute(
            "SELECT DISTINCT l.owner FROM outbox_leases l JOIN outbox o ON o.chat = l.chat"
        )).fetchall()
    return {str(r[0]) for r in rows}


async def unsettled(fake: FakeBotApi, database: str, turns: Turns) -> dict[int, str]:
    """Users for whom a reply Telegram accepted is still in the outbox (empty: none).

    Per user, the messages received plus those still queued must be exactly what the
    committed turns queued. (A kill between Telegram's acceptance and the removal is the
    one moment a reply may go twice; the test kills outside it, so it can require no double
    at all.) The value says what differs, for the failure's report."""
    async with await psycopg.AsyncConnection.connect(database, autocommit=True) as conn:
        handled = {int(r[0]) for r in await (await conn.execute(
            "SELECT update_id FROM handled_updates")).fetchall()}
        queued = {str(r[0]): int(r[1]) for r in await (await conn.execute(
            "SELECT chat, count(*) FROM outbox GROUP BY chat")).fetchall()}
    report: dict[int, str] = {}
    for user, sent in turns.items():
        received = len(texts(fake, user))
        waiting = queued.get(pseudonym(SECRET.encode(), "telegram", user), 0)
        committed = sum(n for update_id, n in sent if update_id in handled)
        if received + waiting != committed:
            report[user] = (f"received {received} + queued {waiting} != committed {committed} "
                            f"(turns {sent}, handled {[u for u, _ in sent if u in handled]})")
    return report


async def until(
    check: Callable[[], Awaitable[bool]], what: str,
    explain: Callable[[], Awaitable[object]] | None = None,
) -> None:
    """Poll the database (its changes do not wake the fake) until ``check()`` is true."""
    for _ in range(1500):
        if await check():
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"{what} never happened: {await explain() if explain else ''}")


async def test_fifty_people_on_two_instances_one_killed_read_as_one_bot(
    fake_bot_api: FakeBotApi, tmp_path: Path, pg_server: PgServer
) -> None:
    fake = fake_bot_api
    oracle = private_content(tmp_path)
    scripts = {user: script(oracle, user) for user in USERS}
    expected = {user: [t for step in scripts[user] for t in step.answer] for user in USERS}
    total = sum(map(len, expected.values()))
    kill_after = random.Random(9).randint(total // 4, total // 2)
    turns: Turns = {user: [] for user in USERS}
    database = pg_server.create_database("instances")
    fake.webhook_parallel = True  # Telegram: many chats at once, one chat's updates in order
    async with two_instances(fake, tmp_path, database) as pair:
        fake.route_webhook_round_robin([pair.url_a, pair.url_b])  # the host's load balancer
        people = [asyncio.create_task(converse(fake, u, scripts[u], turns)) for u in USERS]
        try:
            await fake.wait_for(lambda: sum(len(texts(fake, u)) for u in USERS) >= kill_after,
                                f"{kill_after} answers", timeout=120)
            fake.hold("sendMessage")  # Telegram hangs: both have replies on their way

            async def both_delivering() -> bool:
                return len(await leases_of(database)) == 2

            async def settled() -> bool:
                return not await unsettled(fake, database, turns)

            async def why() -> object:
                return {"unsettled": await unsettled(fake, database, turns),
                        "failed people": [repr(p.exception()) for p in people if p.done()],
                        "errors": fake.errors[-10:]}

            await until(both_delivering, "both instances holding chats to deliver")
            await until(settled, "every accepted reply removed from the outbox", why)
            pair.logs["a"] = await kill(pair.a)  # SIGKILL: its leases run out, B takes over
            fake.release("sendMessage")  # A's held calls died with it; B's are answered
            await asyncio.gather(*people)
        finally:
            for person in people:
                person.cancel()
            await asyncio.gather(*people, return_exceptions=True)
        await fake.wait_until_updates_confirmed(timeout=STEP_TIMEOUT)
        await outbox_empty(database)  # nothing more will be sent
    report = f"killed A after {kill_after} of {total} answers\nA:\n{pair.logs['a'][-3000:]}\n" \
             f"B:\n{pair.logs['b'][-3000:]}"
    assert "committed" in pair.logs["a"] and "committed" in pair.logs["b"], report
    refused = [i for i, outcome in fake.webhook_deliveries if isinstance(outcome, str)]
    assert refused, "updates went on reaching the dead instance, then the live one"
    for user in USERS:
        got = texts(fake, user)
        assert got == expected[user], (user, got, report)  # none lost, none twice
        if user % 3 == 0:
            assert sum("3114" in t for t in got) >= 1  # the crisis answer reached them


@asynccontextmanager
async def turn_lock_held(
    database: str, user: int
) -> AsyncIterator[Callable[[int], Awaitable[None]]]:
    """Hold ``user``'s turn lock, as a slow turn of theirs would; yields ``waiting(n)``, which
    returns once ``n`` turns (of any process) wait on it. Released on exit."""
    key = lock_key(pseudonym(SECRET.encode(), "telegram", user))
    conn = await psycopg.AsyncConnection.connect(database)
    try:
        await conn.execute("SELECT pg_advisory_xact_lock(%s, %s)", (TURN_LOCK_SPACE, key))

        async def waiting(n: int) -> None:
            async def enough() -> bool:
                async with await psycopg.AsyncConnection.connect(database,
                                                                 autocommit=True) as other:
                    row = await (await other.execute(
                        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
                        "AND NOT granted AND classid = %s AND objid = %s",
                        (TURN_LOCK_SPACE, key & 0xFFFFFFFF),
                    )).fetchone()
                return row is not None and row[0] >= n

            await until(enough, f"{n} turn(s) waiting on the user's lock")

        yield waiting
    finally:
        await conn.rollback()
        await conn.close()


async def meet_on_the_lock(
    fake: FakeBotApi, database: str, user: int, to_a: tuple[JsonDict, str],
    to_b: tuple[JsonDict, str],
) -> None:
    """Post ``to_a`` (an update, a URL), then ``to_b``, while ``user``'s turn lock is held,
    so that both turns are in flight at once, the first waiting before the second; both
    webhook calls must answer 200 (done, do not resend)."""
    async with turn_lock_held(database, user) as waiting:
        first = asyncio.create_task(fake.post_to_webhook_raw(to_a[0], url=to_a[1]))
        await waiting(1)
        second = asyncio.create_task(fake.post_to_webhook_raw(to_b[0], url=to_b[1]))
        await waiting(2)
    assert list(await asyncio.gather(first, second)) == [200, 200]


async def test_one_users_turns_on_two_instances_are_serialised(
    fake_bot_api: FakeBotApi, tmp_path: Path, pg_server: PgServer
) -> None:
    """Two updates of one user in flight at once, one on each instance (a press, then typed
    words): B's turn waits for A's, then reads the state A left (the press opened the
    topics, where "1" is the crisis topic, not the first profile as on the screen before).
    The answers come in that order."""
    fake, user = fake_bot_api, 4001
    oracle = private_content(tmp_path)
    database = pg_server.create_database("instances")
    async with two_instances(fake, tmp_path, database) as pair:
        fake.route_webhook_to(pair.url_a)
        fake.user_sends_command(user, "/start")
        [screen] = await fake.wait_for_messages(user, 1, timeout=STEP_TIMEOUT)
        oracle.command("/start")
        label = oracle.buttons[0].label
        oracle.press(label)
        topics = [o.plain for o in render_replies(oracle.replies)]
        oracle.write("1")
        crisis = [o.plain for o in render_replies(oracle.replies)]
        fake.route_webhook_to(f"http://127.0.0.1:{free_port()}/closed")  # Telegram's queue waits
        user_action(fake, user, Step("press", label, ()))
        press = fake.last_update
        words = fake.user_sends_text(user, "1")
        await meet_on_the_lock(fake, database, user, (press, pair.url_a), (words, pair.url_b))
        fake.route_webhook_to(pair.url_b)  # Telegram's own deliveries: already handled
        await fake.wait_until_updates_confirmed(timeout=STEP_TIMEOUT)
        await outbox_empty(database)
    got = texts(fake, user)
    assert got == [screen["text"], *topics, *crisis], got
    assert "3114" in got[-1]


async def test_an_update_posted_to_both_instances_at_once_is_answered_once(
    fake_bot_api: FakeBotApi, tmp_path: Path, pg_server: PgServer
) -> None:
    """Telegram sends a crisis message to A, then again to B while A is still on it (A was
    slow to answer), then once more: the turns meet on the user's lock, and whichever comes
    second finds the update handled. One crisis answer, not two or three."""
    fake, user = fake_bot_api, 4002
    oracle = private_content(tmp_path)
    database = pg_server.create_database("instances")
    async with two_instances(fake, tmp_path, database) as pair:
        fake.route_webhook_to(pair.url_a)
        fake.user_sends_command(user, "/start")
        await fake.wait_for_messages(user, 1, timeout=STEP_TIMEOUT)
        fake.route_webhook_to(f"http://127.0.0.1:{free_port()}/closed")  # Telegram's queue waits
        update = fake.user_sends_text(user, CRISIS)
        await meet_on_the_lock(fake, database, user, (update, pair.url_a), (update, pair.url_b))
        fake.route_webhook_round_robin([pair.url_a, pair.url_b])  # and Telegram's own delivery
        await fake.wait_until_updates_confirmed(timeout=STEP_TIMEOUT)
        await outbox_empty(database)
    oracle.command("/start")
    oracle.write(CRISIS)
    got = texts(fake, user)
    assert got[1:] == [o.plain for o in render_replies(oracle.replies)], got  # once
    assert sum("3114" in t for t in got) == 1
