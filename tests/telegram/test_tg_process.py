"""``entraide run`` as the host runs it: a process, environment variables, then SIGTERM.

The fake Bot API runs in the test; the bot runs in a child process pointed at it by
``TELEGRAM_API_BASE_URL``, exactly as on a worker or web dyno.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from tg_harness import ROOT, make_settings
from tg_processes import outbox_empty, private_content, start_bot, stop_bot

from bot.channels.telegram.render import render_replies
from bot.channels.telegram.runner import serve
from bot.scenarios import Driver
from tests.fakes.fake_bot_api import FAKE_TOKEN, FakeBotApi

ALICE = 1001
PRIVATE_WORDS = "ma vie privée 0611223344"


@pytest.fixture
def content(tmp_path: Path) -> Driver:
    return private_content(tmp_path)


def expected_count(driver: Driver, command: str) -> int:
    driver.command(command) if command.startswith("/") else driver.write(command)
    return len(render_replies(driver.replies))


@pytest.mark.parametrize("webhook", [False, True], ids=["polling", "webhook"])
async def test_sigterm_drains_updates_in_progress_then_exits(
    fake_bot_api: FakeBotApi, tmp_path: Path, webhook: bool, content: Driver
) -> None:
    process = await start_bot(fake_bot_api, tmp_path, webhook=webhook)
    try:
        await fake_bot_api.wait_for_call("setWebhook" if webhook else "getUpdates", timeout=30)
        driver = content
        total = expected_count(driver, "/start")
        fake_bot_api.user_sends_command(ALICE, "/start")
        await fake_bot_api.wait_for_messages(ALICE, total, timeout=20)
        # The next replies wait on a 429: they are in progress when SIGTERM arrives.
        fake_bot_api.fail_next("sendMessage", error_code=429, retry_after=1)
        index = len(fake_bot_api.calls)
        for action in ("/aide", PRIVATE_WORDS, "/urgence", "/menu"):
            total += expected_count(driver, action)
            if action.startswith("/"):
                fake_bot_api.user_sends_command(ALICE, action)
            else:
                fake_bot_api.user_sends_text(ALICE, action)
        await fake_bot_api.wait_for_call("sendMessage", after=index, timeout=20)
    except BaseException:
        process.kill()
        await process.wait()
        raise
    code, logged, took = await stop_bot(process)
    assert code == 0, logged
    assert took < 25  # hosts send SIGKILL 30 s after SIGTERM
    assert "store closed" in logged and "bot stopped" in logged
    mode = "webhook" if webhook else "polling"
    started = f"bot started: mode {mode}, store SQLite {tmp_path / 'entraide.db'}, content version "
    assert started in logged  # one line says what runs, on which data
    # What was committed was delivered or stays queued; what was not stays at Telegram's.
    index = len(fake_bot_api.calls)
    again = await start_bot(fake_bot_api, tmp_path, webhook=webhook)
    try:
        await fake_bot_api.wait_for_call("setWebhook" if webhook else "getUpdates", timeout=30,
                                         after=index)
        await fake_bot_api.wait_until_updates_confirmed(timeout=20)
        await fake_bot_api.wait_for_messages(ALICE, total, timeout=20)
    except AssertionError as error:
        raise AssertionError(f"{error}\n{logged}\n{(await stop_bot(again))[1]}") from None
    code2, logged2, _ = await stop_bot(again)
    assert code2 == 0, logged2
    assert len(fake_bot_api.sent_messages(ALICE)) == total, logged + logged2  # once each
    assert FAKE_TOKEN not in logged and FAKE_TOKEN.split(":")[1] not in logged
    assert "vie privée" not in logged and "0611223344" not in logged and str(ALICE) not in logged


async def test_killed_mid_conversation_then_started_again(
    fake_bot_api: FakeBotApi, tmp_path: Path, content: Driver
) -> None:
    """SIGKILL (an out-of-memory kill, a crashed host): no clean shutdown at all. The next
    process resumes the conversation, old buttons work, and the batch Telegram sends again
    is not answered twice."""
    driver = content
    first = await start_bot(fake_bot_api, tmp_path, webhook=False)
    try:
        await fake_bot_api.wait_for_call("getUpdates", timeout=30)
        count = expected_count(driver, "/start entraide")
        update = fake_bot_api.user_sends_command(ALICE, "/start entraide")
        screen = await fake_bot_api.wait_for_messages(ALICE, count, timeout=20)
        await outbox_empty(tmp_path / "entraide.db")  # past the one window that may double
    finally:
        first.kill()
        _, first_err = await first.communicate()
    fake_bot_api.redeliver(update)  # its confirmation may not have reached Telegram
    second = await start_bot(fake_bot_api, tmp_path, webhook=False)
    try:
        await fake_bot_api.wait_until_updates_confirmed(timeout=30)
        label = driver.buttons[0].label
        [button] = [b for row in screen[-1]["reply_markup"]["inline_keyboard"] for b in row
                    if b["text"] == label]
        driver.press(label)
        expected = [o.plain for o in render_replies(driver.replies)]
        fake_bot_api.user_presses(ALICE, screen[-1]["message_id"], button["callback_data"])
        messages = await fake_bot_api.wait_for_messages(ALICE, count + len(expected), timeout=20)
    except BaseException:
        second.kill()
        await second.wait()
        raise
    code, logged, _ = await stop_bot(second)
    assert code == 0, logged
    logs = f"first process:\n{first_err.decode()}\nsecond process:\n{logged}"
    assert [m["text"] for m in messages[count:]] == expected, logs  # a button from before
    assert len(fake_bot_api.sent_messages(ALICE)) == count + len(expected)  # no double answer


async def test_a_token_telegram_refuses_is_explained(
    fake_bot_api: FakeBotApi, tmp_path: Path
) -> None:
    settings = make_settings(fake_bot_api, tmp_path / "bot.db")
    fake_bot_api.token = "123456789:" + "Z" * 35  # the server now knows another token
    code = await serve(settings, webhook=False, stop=asyncio.Event())
    assert code == 2
    assert not fake_bot_api.calls or fake_bot_api.calls[-1].method == "getMe"


def test_procfile_runs_one_worker_or_one_web_process() -> None:
    lines = (ROOT / "Procfile").read_text(encoding="utf-8").splitlines()
    assert lines == ["worker: entraide run", "web: entraide run --webhook"]


async def test_an_unusable_database_is_explained(
    fake_bot_api: FakeBotApi, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "not-a-folder").write_text("x", encoding="utf-8")
    settings = make_settings(fake_bot_api, tmp_path / "not-a-folder" / "bot.db")
    assert await serve(settings, webhook=False, stop=asyncio.Event()) == 1
    assert "cannot be used" in capsys.readouterr().err
    assert not any(c.method == "getUpdates" for c in fake_bot_api.calls)  # never started
