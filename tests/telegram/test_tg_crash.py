"""SIGKILL at the worst moments: no reply is lost, none is sent twice (issue 8).

The bot runs as a child process (``entraide run``) against the fake Bot API; it is killed
with SIGKILL, started again on the same database, and Telegram's side re-delivers what it
holds. The guarantee under test (docs/telegram.md): every reply is delivered at least
once; a double is only possible when the kill falls between Telegram accepting a message
and the outbox entry's removal.
"""

from __future__ import annotations

import asyncio
import random
from pathlib import Path

import pytest
from tg_processes import (
    kill,
    outbox_empty,
    private_content,
    start_bot,
    stop_bot,
    without_one_repeat,
)

from bot.channels.telegram.render import render_replies
from bot.scenarios import Driver
from tests.fakes.fake_bot_api import FakeBotApi

ALICE = 1001
CRISIS = "je veux en finir"


def plain_texts(driver: Driver) -> list[str]:
    return [o.plain for o in render_replies(driver.replies)]


@pytest.mark.parametrize(
    ("webhook", "failure", "backend"),
    [(False, "hold", "sqlite"), (True, "hold", "sqlite"), (False, "429", "sqlite"),
     (True, "429", "sqlite"), (False, "hold", "postgres"), (True, "429", "postgres")],
    ids=["polling-held", "webhook-held", "polling-429", "webhook-429", "polling-held-pg",
         "webhook-429-pg"],
)
async def test_a_crisis_answer_survives_a_kill_while_telegram_holds_or_refuses_it(
    fake_bot_api: FakeBotApi, tmp_path: Path, webhook: bool, failure: str, backend: str,
    request: pytest.FixtureRequest,
) -> None:
    driver = private_content(tmp_path)
    fake = fake_bot_api
    url = request.getfixturevalue("pg_server").create_database() if backend == "postgres" else None
    db: Path | str = url or tmp_path / "entraide.db"
    first = await start_bot(fake, tmp_path, webhook=webhook, database_url=url)
    try:
        await fake.wait_for_call("setWebhook" if webhook else "getUpdates", timeout=30)
        fake.user_sends_command(ALICE, "/start")
        await fake.wait_for_messages(ALICE, 1, timeout=20)
        if failure == "hold":
            fake.hold("sendMessage")  # Telegram hangs: the answer is on its way, not accepted
        else:
            fake.fail_next("sendMessage", error_code=429, retry_after=2)
        index = len(fake.calls)
        update = fake.user_sends_text(ALICE, CRISIS)
        await fake.wait_for_call("sendMessage", after=index, timeout=20)
        if failure == "429":
            await fake.wait_until_updates_confirmed(timeout=20)  # 200/offset: committed
    finally:
        first_log = await kill(first)
    fake.release("sendMessage")
    fake.redeliver(update)  # as Telegram does for an update whose answer it never saw
    second = await start_bot(fake, tmp_path, webhook=webhook, database_url=url)
    try:
        await fake.wait_for_messages(ALICE, 2, timeout=30)
        await fake.wait_until_updates_confirmed(timeout=20)
        await outbox_empty(db)
    finally:
        code, second_log, _ = await stop_bot(second)
    logs = f"first:\n{first_log}\nsecond:\n{second_log}"
    assert code == 0, logs
    driver.command("/start")
    driver.write(CRISIS)
    texts = [m["text"] for m in fake.sent_messages(ALICE)]
    assert texts[1:] == plain_texts(driver), logs  # the crisis answer, exactly once
    assert "3114" in texts[1]
    assert sum("3114" in t for t in texts) == 1, logs


ACTIONS = ("/start", "1", CRISIS, "/aide", "/menu")
"""Five turns each: a typed choice, a crisis, commands (typed, so no message ids needed)."""
USERS = tuple(range(2001, 2011))


@pytest.mark.parametrize(("webhook", "seed"), [(False, 11), (False, 23), (True, 37)],
                         ids=["polling-11", "polling-23", "webhook-37"])
async def test_fifty_turns_killed_at_a_random_point_read_as_if_never_killed(
    fake_bot_api: FakeBotApi, tmp_path: Path, webhook: bool, seed: int
) -> None:
    rng = random.Random(seed)
    print(f"seed {seed}")
    oracle = private_content(tmp_path)
    expected: dict[int, list[str]] = {}
    for user in USERS:
        driver = Driver(oracle.bundle)
        expected[user] = []
        for action in ACTIONS:
            driver.command(action) if action.startswith("/") else driver.write(action)
            expected[user] += plain_texts(driver)
    fake = fake_bot_api
    first = await start_bot(fake, tmp_path, webhook=webhook)
    try:
        await fake.wait_for_call("setWebhook" if webhook else "getUpdates", timeout=30)
        for action in ACTIONS:  # 50 updates, users interleaved
            for user in USERS:
                if action.startswith("/"):
                    fake.user_sends_command(user, action)
                else:
                    fake.user_sends_text(user, action)
        sent = rng.randint(1, 40)  # kill once that many replies were accepted
        await asyncio.wait_for(_until_sent(fake, sent), timeout=30)
    finally:
        first_log = await kill(first)
    second = await start_bot(fake, tmp_path, webhook=webhook)  # unconfirmed updates come again
    try:
        for user in USERS:
            await fake.wait_for_messages(user, len(expected[user]), timeout=30)
        await fake.wait_until_updates_confirmed(timeout=20)
        await outbox_empty(tmp_path / "entraide.db")
    finally:
        code, second_log, _ = await stop_bot(second)
    logs = f"seed {seed}, killed after {sent} replies\nfirst:\n{first_log[-3000:]}\n" \
           f"second:\n{second_log[-3000:]}"
    assert code == 0, logs
    for user in USERS:
        got = [m["text"] for m in fake.sent_messages(user)]
        assert without_one_repeat(got, expected[user]), (user, logs)


async def _until_sent(fake: FakeBotApi, count: int) -> None:
    while sum(len(fake.sent_messages(u)) for u in USERS) < count:
        await fake.wait_for_call("sendMessage", after=len(fake.calls))
