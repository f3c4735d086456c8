"""Two ``entraide run --webhook`` processes on one PostgreSQL database behave as one bot.

A zero-downtime deploy on a platform host runs two instances behind its load balancer: the
fake Bot API plays that balancer (updates go to each process in turn; a dead one is skipped,
as Telegram's retry reaches the other). One process is killed with SIGKILL in the middle of
fifty conversations: every conversation completes, no reply is lost or doubled, and each
transcript is what the pure engine says for the same words (docs/deploy.md § 1).
"""

from __future__ import annotations

import asyncio
import random
from pathlib import Path

from tg_harness import free_port
from tg_processes import outbox_empty, private_content, start_bot, stop_bot

from bot.channels.telegram.render import render_replies
from bot.scenarios import Driver
from tests.fakes.fake_bot_api import FakeBotApi
from tests.pg_harness import PgServer

CRISIS = "je veux en finir"
NEED = "je n'arrive plus à payer mes cotisations"
USERS = tuple(range(3001, 3051))


def actions(user: int) -> tuple[str, ...]:
    """Five turns: a typed choice, a crisis or a need in the person's words, commands."""
    return ("/start", "1", CRISIS if user % 2 else NEED, "/aide", "/menu")


def transcript(bundle_driver: Driver, user: int) -> list[str]:
    driver = Driver(bundle_driver.bundle)
    texts: list[str] = []
    for action in actions(user):
        driver.command(action) if action.startswith("/") else driver.write(action)
        texts += [o.plain for o in render_replies(driver.replies)]
    return texts


def send(fake: FakeBotApi, user: int, action: str) -> None:
    if action.startswith("/"):
        fake.user_sends_command(user, action)
    else:
        fake.user_sends_text(user, action)


def webhook_env() -> tuple[str, dict[str, str]]:
    port = free_port()
    url = f"http://127.0.0.1:{port}/telegram"
    return url, {"WEBHOOK_URL": url, "PORT": str(port), "WEBHOOK_LISTEN": "127.0.0.1"}


async def both_registered(fake: FakeBotApi) -> None:
    """Each instance has called setWebhook (it listens by then), with the same secret."""
    for _ in range(600):
        if sum(c.method == "setWebhook" for c in fake.calls) >= 2:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the two instances did not both start")


async def both_delivering(database: str) -> None:
    """Both instances hold leases on chats with pending replies (so the kill leaves some
    of them to be taken over, not only updates to re-route)."""
    import psycopg

    for _ in range(600):
        async with await psycopg.AsyncConnection.connect(database, autocommit=True) as conn:
            row = await (await conn.execute(
                "SELECT count(DISTINCT l.owner) FROM outbox_leases l "
                "JOIN outbox o ON o.chat = l.chat"
            )).fetchone()
        if row is not None and row[0] == 2:
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the two instances were never delivering at the same time")


async def test_two_instances_one_killed_mid_run_read_as_one_bot(
    fake_bot_api: FakeBotApi, tmp_path: Path, pg_server: PgServer
) -> None:
    fake = fake_bot_api
    oracle = private_content(tmp_path)
    expected = {user: transcript(oracle, user) for user in USERS}
    database = pg_server.create_database("instances")
    (url_a, env_a), (url_b, env_b) = webhook_env(), webhook_env()
    a = await start_bot(fake, tmp_path, webhook=True, database_url=database, extra_env=env_a)
    b = await start_bot(fake, tmp_path, webhook=True, database_url=database, extra_env=env_b)
    logs = {"a": "", "b": ""}
    killed_after = random.Random(7).randint(40, 120)
    try:
        await both_registered(fake)
        fake.route_webhook_round_robin([url_a, url_b])  # the host's load balancer
        for turn in range(5):  # 250 updates, users interleaved
            for user in USERS:
                send(fake, user, actions(user)[turn])
        while sum(len(fake.sent_messages(u)) for u in USERS) < killed_after:
            await fake.wait_for_call("sendMessage", after=len(fake.calls), timeout=30)
        fake.hold("sendMessage")  # Telegram hangs: each instance has replies on their way
        await both_delivering(database)
        a.kill()  # SIGKILL: no goodbye; its leases run out, Telegram's retries reach B
        logs["a"] = (await a.communicate())[1].decode()
        fake.release("sendMessage")  # A's held calls died with it; B's are answered
        for user in USERS:
            await fake.wait_for_messages(user, len(expected[user]), timeout=60)
        await fake.wait_until_updates_confirmed(timeout=30)
        await outbox_empty(database)
    finally:
        if a.returncode is None:
            a.kill()
            logs["a"] = (await a.communicate())[1].decode()
        code, logs["b"], _ = await stop_bot(b)
    report = f"killed A after {killed_after} replies\nA:\n{logs['a'][-3000:]}\nB:\n" \
             f"{logs['b'][-3000:]}"
    assert code == 0, report
    assert "committed" in logs["a"] and "committed" in logs["b"], "both took updates"
    for user in USERS:
        got = [m["text"] for m in fake.sent_messages(user)]
        assert _without_one_repeat(got, expected[user]), (user, report)


def _without_one_repeat(got: list[str], expected: list[str]) -> bool:
    """``got`` is ``expected``, or ``expected`` with one message repeated right after itself
    (the one double the outbox allows: a kill between Telegram's acceptance and the
    entry's removal)."""
    if got == expected:
        return True
    return any(got[:i] + got[i + 1:] == expected and got[i] == got[i - 1]
               for i in range(1, len(got)))


async def test_an_update_posted_to_both_instances_is_answered_once(
    fake_bot_api: FakeBotApi, tmp_path: Path, pg_server: PgServer
) -> None:
    """Telegram sending an update to both instances at once (and once more later) gets one
    answer: the second waits for the first's transaction, then sees its id is handled."""
    fake = fake_bot_api
    oracle = private_content(tmp_path)
    database = pg_server.create_database("instances")
    (url_a, env_a), (url_b, env_b) = webhook_env(), webhook_env()
    a = await start_bot(fake, tmp_path, webhook=True, database_url=database, extra_env=env_a)
    b = await start_bot(fake, tmp_path, webhook=True, database_url=database, extra_env=env_b)
    try:
        await both_registered(fake)
        fake.route_webhook_to(url_a)
        fake.user_sends_command(4001, "/start")
        await fake.wait_for_messages(4001, 1, timeout=30)
        fake.route_webhook_to(f"http://127.0.0.1:{free_port()}/closed")  # the queue waits
        crisis = fake.user_sends_text(4001, CRISIS)
        statuses = await asyncio.gather(
            fake.post_to_webhook_raw(crisis, url=url_a), fake.post_to_webhook_raw(crisis, url=url_b)
        )
        assert statuses == [200, 200]
        fake.route_webhook_to(url_b)  # and Telegram's own delivery of it, a third time
        await fake.wait_until_updates_confirmed(timeout=30)
        await outbox_empty(database)
    finally:
        for process in (a, b):
            await stop_bot(process)
    oracle.command("/start")
    oracle.write(CRISIS)
    texts = [m["text"] for m in fake.sent_messages(4001)]
    assert texts[1:] == [o.plain for o in render_replies(oracle.replies)]  # once
    assert sum("3114" in t for t in texts) == 1
