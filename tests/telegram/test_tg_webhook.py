"""``entraide run --webhook``: the same bot, fed by Telegram's POSTs to our own server."""

from __future__ import annotations

import json
import re

import httpx
from tg_harness import Database, load_bundle, running_bot

from bot.channels.telegram.app import ALLOWED_UPDATES
from bot.channels.telegram.render import render_replies
from bot.scenarios import Driver
from tests.fakes.fake_bot_api import FakeBotApi

BUNDLE = load_bundle()
ALICE = 1001


def texts(messages: list[dict[str, object]]) -> list[str]:
    return [str(m["text"]) for m in messages]


async def test_webhook_conversation_with_buttons_and_erasure(
    fake_bot_api: FakeBotApi, database: Database
) -> None:
    async with running_bot(fake_bot_api, database, webhook=True) as bot:
        webhook = fake_bot_api.webhook
        assert webhook["url"] == bot.settings.webhook_url
        assert re.fullmatch(r"[A-Za-z0-9_-]{1,256}", webhook["secret_token"])
        call = await fake_bot_api.wait_for_call("setWebhook")
        assert call.params["allowed_updates"] == list(ALLOWED_UPDATES)
        assert not any(c.method == "getUpdates" for c in fake_bot_api.calls)
        alice, driver = bot.person(ALICE), Driver(BUNDLE)
        for step in ("/start", "press", "/retour", "/urgence"):
            if step == "press":
                label = driver.buttons[0].label
                await alice.press(label)
                driver.press(label)
            else:
                await alice.send(step)
                driver.command(step)
            assert texts(alice.last) == [o.plain for o in render_replies(driver.replies)]
        await alice.send("/effacer")
        assert len(alice.messages()) == len(alice.last)
        assert all(status == 200 for _, status in fake_bot_api.webhook_deliveries)
    assert fake_bot_api.webhook["url"]  # left in place: Telegram keeps updates for the restart


async def test_webhook_refuses_requests_without_the_secret(
    fake_bot_api: FakeBotApi, database: Database
) -> None:
    async with running_bot(fake_bot_api, database, webhook=True) as bot:
        alice = bot.person(ALICE)
        await alice.send("/start")
        count = len(alice.messages())
        forged = {"update_id": 999_999, "message": {
            "message_id": 50, "date": 0, "text": "/urgence",
            "from": {"id": ALICE, "is_bot": False, "first_name": "X"},
            "chat": {"id": ALICE, "type": "private", "first_name": "X"},
            "entities": [{"type": "bot_command", "offset": 0, "length": 8}],
        }}
        secret = fake_bot_api.webhook["secret_token"]
        assert await fake_bot_api.post_to_webhook_raw(forged, secret=None) == 403
        assert await fake_bot_api.post_to_webhook_raw(forged, secret="wrong") == 403
        assert await fake_bot_api.post_to_webhook_raw(forged, secret=secret[:-1]) == 403
        assert await fake_bot_api.post_to_webhook_raw(forged, secret=secret + "x") == 403
        await bot.settle()
        assert len(alice.messages()) == count  # nothing reached the bot
        url = bot.settings.webhook_url
        assert url is not None
        async with httpx.AsyncClient() as client:
            garbage = await client.post(url, content=b"{not json",
                                        headers={"X-Telegram-Bot-Api-Secret-Token": secret})
            assert garbage.status_code == 400
            listed = await client.post(url, content=json.dumps([1]).encode(),
                                       headers={"X-Telegram-Bot-Api-Secret-Token": secret})
            assert listed.status_code == 400
            health = await client.get(url.rsplit("/", 1)[0] + "/")
            assert health.status_code == 200 and health.text == "ok"
        assert await fake_bot_api.post_to_webhook_raw(forged) == 200  # the right secret
        await bot.settle()
        assert "3114" in texts(alice.messages()[count:])[0]


async def test_healthz_says_whether_the_database_answers_and_nothing_more(
    fake_bot_api: FakeBotApi, database: Database
) -> None:
    async with running_bot(fake_bot_api, database, webhook=True) as bot:
        url = bot.settings.webhook_url
        assert url is not None
        healthz = url.rsplit("/", 1)[0] + "/healthz"
        async with httpx.AsyncClient() as client:
            ok = await client.get(healthz)
            assert (ok.status_code, ok.text) == (200, f"ok {bot.bundle.version}")
            store = bot.assembled.channel.store
            await store.close()  # the database is gone
            try:
                down = await client.get(healthz)
            finally:
                await store.open()
        assert down.status_code == 503 and "database" in down.text
        assert bot.settings.webhook_secret not in ok.text + down.text


async def test_a_press_is_answered_inside_the_webhook_reply(
    fake_bot_api: FakeBotApi, database: Database
) -> None:
    async with running_bot(fake_bot_api, database, webhook=True) as bot:
        alice = bot.person(ALICE)
        await alice.send("/start")
        index = len(fake_bot_api.calls)
        got = await alice.press(BUNDLE.interface.buttons.emergency)
        assert "3114" in texts(got)[0]
        assert fake_bot_api.answered_callbacks[-1]["id"] == alice.result  # spinner stopped
        methods = [c.method for c in fake_bot_api.calls[index:]]
        assert sorted(methods) == ["answerCallbackQuery", "sendMessage"]  # the webhook reply + the screen
