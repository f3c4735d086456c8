"""The fake Bot API must behave like Telegram, or the end-to-end tests built on it prove nothing.

Driven by a real ``telegram.Bot`` wherever possible, so PTB's own encoding and error mapping
are part of what is checked.
"""

from __future__ import annotations

import asyncio
import datetime as dtm
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from aiohttp import web
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest, Conflict, Forbidden, InvalidToken, NetworkError, RetryAfter
from telegram.ext import ApplicationBuilder, CallbackQueryHandler, CommandHandler, ContextTypes

from tests.fakes.fake_bot_api import DELETE_WINDOW_SECONDS, FAKE_TOKEN, FakeBotApi

USER = 4242


@pytest.fixture
async def bot(fake_bot_api: FakeBotApi) -> AsyncIterator[Bot]:
    async with Bot(FAKE_TOKEN, base_url=fake_bot_api.base_url) as real_bot:
        yield real_bot


def msg(update: Update) -> Message:
    """The update's message (new, edited or under a button), which these tests expect."""
    assert update.effective_message is not None
    return update.effective_message


def keyboard(*buttons: InlineKeyboardButton) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([list(buttons)])


async def test_get_me_and_token_check(fake_bot_api: FakeBotApi, bot: Bot) -> None:
    me = await bot.get_me()
    assert me.is_bot and me.id == 123456789 and me.username == "entraide_kine_test_bot"
    with pytest.raises(InvalidToken):
        async with Bot("123456789:wrong-token", base_url=fake_bot_api.base_url):
            pass  # initialize() calls getMe, which must be refused with 401
    async with httpx.AsyncClient() as client:
        response = await client.post(f"{fake_bot_api.base_url}{FAKE_TOKEN}/sendPigeon")
    assert response.status_code == 404
    assert response.json() == {"ok": False, "error_code": 404, "description": "Not Found"}


async def test_send_message_html_with_inline_keyboard(fake_bot_api: FakeBotApi, bot: Bot) -> None:
    fake_bot_api.user_sends_text(USER, "bonjour")
    html = '<b>Écoute</b> &amp; <a href="https://example.org/?a=1&b=2">aide</a> 👍'
    markup = keyboard(
        InlineKeyboardButton("Oui", callback_data="yes"),
        InlineKeyboardButton("Site", url="https://example.org"),
    )
    message = await bot.send_message(USER, html, parse_mode=ParseMode.HTML, reply_markup=markup)
    assert message.text == "Écoute & aide 👍"
    assert (
        message.text_html
        == '<b>Écoute</b> &amp; <a href="https://example.org/?a=1&b=2">aide</a> 👍'
    )
    assert message.message_id == 2  # shared counter: the user's message was 1
    [sent] = fake_bot_api.sent_messages(USER)
    assert sent["text"] == "Écoute & aide 👍" and sent["html"] == html
    assert sent["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "yes"


async def test_text_length_is_counted_after_entity_parsing(
    fake_bot_api: FakeBotApi, bot: Bot
) -> None:
    fake_bot_api.user_sends_text(USER, "hi")
    await bot.send_message(USER, "<b>" + "&amp;" * 4096 + "</b>", parse_mode=ParseMode.HTML)
    with pytest.raises(BadRequest, match=r"(?i)message is too long"):
        await bot.send_message(USER, "é" * 4097)
    with pytest.raises(BadRequest, match=r"(?i)message text is empty"):
        await bot.send_message(USER, "<b> </b>", parse_mode=ParseMode.HTML)
    assert len(fake_bot_api.sent_messages(USER)) == 1


@pytest.mark.parametrize(
    ("html", "detail"),
    [
        ("a < b", 'Unsupported start tag "" at byte offset 2'),
        ("line<br>break", 'Unsupported start tag "br" at byte offset 4'),
        ("<b>never closed", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<b><i>x</b></i>", 'expected "</i>", found "</b>"'),
        ("stray</b>", "Unexpected end tag at byte offset 5"),
        ('<span class="red">x</span>', 'Tag "span" must have class "tg-spoiler"'),
        ("Tom & Jerry", 'Unescaped "&" at byte offset 4'),
    ],
)
async def test_bad_html_is_rejected(
    fake_bot_api: FakeBotApi, bot: Bot, html: str, detail: str
) -> None:
    fake_bot_api.user_sends_text(USER, "hi")
    with pytest.raises(BadRequest, match=r"(?i)can't parse entities") as caught:
        await bot.send_message(USER, html, parse_mode=ParseMode.HTML)
    assert detail.lower() in caught.value.message.lower()
    assert fake_bot_api.errors[-1].description.startswith("Bad Request: can't parse entities: ")


async def test_every_telegram_tag_is_accepted(fake_bot_api: FakeBotApi, bot: Bot) -> None:
    fake_bot_api.user_sends_text(USER, "hi")
    html = (
        "<b>b</b><strong>s</strong><i>i</i><em>e</em><u>u</u><ins>n</ins><s>s</s>"
        '<strike>k</strike><del>d</del><span class="tg-spoiler">p</span><tg-spoiler>t</tg-spoiler>'
        '<a href="tg://resolve?domain=x">a</a><code>c</code>'
        '<pre><code class="language-python">x = 1</code></pre>'
        "<blockquote>q</blockquote><blockquote expandable>Q</blockquote>"
        '<tg-emoji emoji-id="5368324170671202286">👍</tg-emoji> &lt;&gt;&quot;&#39;&#x41;'
    )
    message = await bot.send_message(USER, html, parse_mode=ParseMode.HTML)
    assert (message.text or "").endswith("👍 <>\"'A")
    kinds = [entity.type for entity in message.entities]
    assert "expandable_blockquote" in kinds and "custom_emoji" in kinds and "spoiler" in kinds
    assert next(e for e in message.entities if e.type == "pre").language == "python"


async def test_inline_keyboard_rules(fake_bot_api: FakeBotApi, bot: Bot) -> None:
    fake_bot_api.user_sends_text(USER, "hi")
    # 32 × "é" is exactly 64 bytes: the limit is in UTF-8 bytes, not characters.
    await bot.send_message(
        USER, "ok", reply_markup=keyboard(InlineKeyboardButton("a", callback_data="é" * 32))
    )
    # PTB does not check the length itself, so the 400 below proves the server-side rule.
    with pytest.raises(BadRequest, match=r"(?i)button_data_invalid"):
        await bot.send_message(
            USER, "x", reply_markup=keyboard(InlineKeyboardButton("a", callback_data="a" * 65))
        )
    with pytest.raises(BadRequest, match=r"(?i)button_url_invalid"):
        await bot.send_message(
            USER, "x", reply_markup=keyboard(InlineKeyboardButton("a", url="javascript:alert(1)"))
        )
    too_many = InlineKeyboardMarkup(
        [[InlineKeyboardButton(str(i), callback_data=str(i))] for i in range(101)]
    )
    with pytest.raises(BadRequest, match=r"(?i)buttons_too_much"):
        await bot.send_message(USER, "x", reply_markup=too_many)
    # A JSON body (as other clients send) goes through the same checks.
    async with httpx.AsyncClient() as client:
        response = await client.post(
            f"{fake_bot_api.base_url}{FAKE_TOKEN}/sendMessage",
            json={
                "chat_id": USER,
                "text": "x",
                "reply_markup": {"inline_keyboard": [[{"text": "only text"}]]},
            },
        )
    assert response.status_code == 400
    assert "Text buttons are unallowed" in response.json()["description"]
    assert len(fake_bot_api.sent_messages(USER)) == 1


async def test_chat_must_be_known(bot: Bot) -> None:
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await bot.send_message(999, "hello?")
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await bot.send_chat_action(999, "typing")


async def test_get_updates_offset_limit_and_long_polling(
    fake_bot_api: FakeBotApi, bot: Bot
) -> None:
    first = fake_bot_api.user_sends_text(USER, "one")
    fake_bot_api.user_sends_command(USER, "/start violences")
    fake_bot_api.user_sends_sticker(USER)
    updates = await bot.get_updates(limit=2)
    assert [u.update_id for u in updates] == [first["update_id"], first["update_id"] + 1]
    assert msg(updates[1]).text == "/start violences"
    assert msg(updates[1]).entities[0].type == "bot_command"
    assert len(await bot.get_updates()) == 3  # nothing is confirmed without an offset
    updates = await bot.get_updates(offset=updates[1].update_id + 1)
    assert msg(updates[0]).sticker is not None
    assert fake_bot_api.pending_update_ids == [updates[0].update_id]
    assert await bot.get_updates(offset=updates[0].update_id + 1) == ()
    await fake_bot_api.wait_until_updates_confirmed(timeout=0.1)

    async def user_speaks_later() -> None:
        await asyncio.sleep(0.1)
        fake_bot_api.user_sends_voice(USER)

    started = time.monotonic()
    task = asyncio.create_task(user_speaks_later())
    updates = await bot.get_updates(timeout=5)
    await task
    assert msg(updates[0]).voice is not None
    assert time.monotonic() - started < 2  # answered on arrival, not at the timeout
    started = time.monotonic()
    assert (
        await bot.get_updates(offset=updates[0].update_id + 1, timeout=dtm.timedelta(seconds=0.2))
        == ()
    )
    assert time.monotonic() - started >= 0.2


async def test_second_instance_polling_conflicts(fake_bot_api: FakeBotApi, bot: Bot) -> None:
    first = asyncio.create_task(bot.get_updates(timeout=5))
    await asyncio.sleep(0.1)
    async with Bot(FAKE_TOKEN, base_url=fake_bot_api.base_url) as second_instance:
        assert await second_instance.get_updates(timeout=0) == ()
    with pytest.raises(Conflict, match=r"terminated by other getUpdates request"):
        await first


async def test_allowed_updates_redelivery_and_unknown_types(
    fake_bot_api: FakeBotApi, bot: Bot
) -> None:
    fake_bot_api.queue_raw_update({"message_reaction": {"chat": {"id": USER, "type": "private"}}})
    assert fake_bot_api.pending_update_ids == []  # not asked for by default: never created
    # An update type from a newer Bot API: PTB keeps it in api_kwargs instead of failing.
    poll = fake_bot_api.queue_raw_update({"future_update_type": {"id": 1}})
    message = fake_bot_api.user_sends_text(USER, "hello")
    updates = await bot.get_updates(allowed_updates=["message", "callback_query"])
    assert [u.update_id for u in updates] == [poll["update_id"], message["update_id"]]
    await bot.get_updates(offset=message["update_id"] + 1)
    fake_bot_api.redeliver(message)  # as after a crash before the offset was saved
    [again] = await bot.get_updates(offset=message["update_id"] + 1)
    assert again.update_id == message["update_id"] and msg(again).text == "hello"
    fake_bot_api.user_edits_message(USER, message["message"]["message_id"], "hello!")
    # edited_message was not asked for, so only the (fetched, unconfirmed) redelivery is left.
    assert fake_bot_api.pending_update_ids == [message["update_id"]]
    await bot.get_updates(offset=again.update_id + 1, allowed_updates=["edited_message"])
    edited = fake_bot_api.user_edits_message(USER, message["message"]["message_id"], "hello!!")
    fake_bot_api.user_sends_photo(USER)  # a plain message is now filtered out
    [update] = await bot.get_updates(offset=again.update_id + 1)
    assert update.update_id == edited["update_id"] and msg(update).text == "hello!!"


async def test_injected_failures_surface_as_ptb_errors(
    fake_bot_api: FakeBotApi, bot: Bot, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")  # else reading retry_after warns (an error here)
    fake_bot_api.user_sends_text(USER, "hi")
    fake_bot_api.fail_next("sendMessage", error_code=429, retry_after=7)
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(USER, "x")
    assert caught.value.retry_after == dtm.timedelta(seconds=7)
    fake_bot_api.fail_next("sendMessage", error_code=403)
    with pytest.raises(Forbidden, match=r"bot was blocked by the user"):
        await bot.send_message(USER, "x")
    fake_bot_api.fail_next("sendmessage", error_code=500, times=2)
    fake_bot_api.fail_next("sendMessage", error_code=502)
    for _ in range(3):
        with pytest.raises(NetworkError):
            await bot.send_message(USER, "x")
    assert fake_bot_api.sent_messages(USER) == []  # failed calls are not applied
    assert [e.error_code for e in fake_bot_api.errors if e.injected] == [429, 403, 500, 500, 502]
    await bot.send_message(USER, "x")
    assert len(fake_bot_api.sent_messages(USER)) == 1


async def test_delete_window_of_48_hours(fake_bot_api: FakeBotApi, bot: Bot) -> None:
    user_message = fake_bot_api.user_sends_text(USER, "my secret")["message"]["message_id"]
    old = await bot.send_message(USER, "old")
    fake_bot_api.advance_clock(DELETE_WINDOW_SECONDS - 60)
    recent = await bot.send_message(USER, "recent")
    assert await bot.delete_message(USER, user_message)  # users' messages too, in private
    fake_bot_api.advance_clock(120)
    with pytest.raises(BadRequest, match=r"(?i)message can't be deleted"):
        await bot.delete_message(USER, old.message_id)
    assert await bot.delete_messages(USER, [old.message_id, recent.message_id, 999])
    with pytest.raises(BadRequest, match=r"(?i)message to delete not found"):
        await bot.delete_message(USER, recent.message_id)
    assert fake_bot_api.deleted_message_ids(USER) == [user_message, recent.message_id]
    assert [m["text"] for m in fake_bot_api.sent_messages(USER)] == ["old"]


async def test_edits_and_callback_queries(fake_bot_api: FakeBotApi, bot: Bot) -> None:
    fake_bot_api.user_sends_text(USER, "hi")
    markup = keyboard(InlineKeyboardButton("Oui", callback_data="yes"))
    sent = await bot.send_message(USER, "<b>Question</b>", parse_mode="HTML", reply_markup=markup)
    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await bot.edit_message_text(
            "<b>Question</b>", USER, sent.message_id, parse_mode="HTML", reply_markup=markup
        )
    edited = await bot.edit_message_text("Question", USER, sent.message_id)  # drops bold + keyboard
    assert isinstance(edited, Message) and edited.reply_markup is None
    assert fake_bot_api.sent_messages(USER)[0]["edit_date"]
    await bot.edit_message_reply_markup(USER, sent.message_id, reply_markup=markup)
    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await bot.edit_message_reply_markup(USER, sent.message_id, reply_markup=markup)
    with pytest.raises(BadRequest, match=r"(?i)message can't be edited"):
        await bot.edit_message_text("nope", USER, 1)  # the user's message

    query_id = fake_bot_api.user_presses(USER, sent.message_id, "forged:" + "x" * 80)
    [update] = await bot.get_updates(offset=-1)  # keeps only the newest update
    assert update.callback_query is not None
    assert update.callback_query.data == "forged:" + "x" * 80
    assert msg(update).message_id == sent.message_id
    assert await bot.answer_callback_query(query_id, text="Noté")
    with pytest.raises(BadRequest, match=r"(?i)query is too old"):
        await bot.answer_callback_query(query_id)
    with pytest.raises(BadRequest, match=r"(?i)query is too old"):
        await bot.answer_callback_query("123")
    assert fake_bot_api.answered_callbacks == [
        {"id": query_id, "text": "Noté", "show_alert": False, "url": None}
    ]


async def test_commands_are_validated_and_stored(fake_bot_api: FakeBotApi, bot: Bot) -> None:
    await bot.set_my_commands([("start", "Commencer"), ("aide", "Obtenir de l'aide")])
    assert [c.command for c in await bot.get_my_commands()] == ["start", "aide"]
    assert fake_bot_api.commands[1] == {"command": "aide", "description": "Obtenir de l'aide"}
    with pytest.raises(BadRequest, match=r"(?i)bot_command_invalid"):
        await bot.set_my_commands([("Start", "Majuscule interdite")])
    with pytest.raises(BadRequest, match=r"(?i)bot_command_description_invalid"):
        await bot.set_my_commands([("start", "")])
    call = await fake_bot_api.wait_for_call(
        "setMyCommands", lambda p: p["commands"][0]["command"] == "Start"
    )
    assert call.params["commands"] == [{"command": "Start", "description": "Majuscule interdite"}]


@asynccontextmanager
async def webhook_receiver(statuses: list[int]) -> AsyncIterator[tuple[str, list[Any]]]:
    """A tiny bot-side webhook: answers with ``statuses`` in turn (then 200), records requests."""
    received: list[Any] = []

    async def handle(request: web.Request) -> web.Response:
        received.append(
            (request.headers.get("X-Telegram-Bot-Api-Secret-Token"), await request.json())
        )
        if request.headers.get("X-Telegram-Bot-Api-Secret-Token") != "s3cret-Token_1":
            return web.Response(status=403)
        return web.Response(status=statuses.pop(0) if statuses else 200)

    app = web.Application()
    app.router.add_post("/telegram", handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"http://127.0.0.1:{port}/telegram", received
    finally:
        await runner.cleanup()


async def test_webhook_delivery_with_secret_and_retries(fake_bot_api: FakeBotApi, bot: Bot) -> None:
    with pytest.raises(BadRequest, match=r"(?i)secret token contains unallowed characters"):
        await bot.set_webhook("https://example.org/telegram", secret_token="with space")
    with pytest.raises(BadRequest, match=r"(?i)ports 80, 88, 443 or 8443"):
        await bot.set_webhook("https://example.org:9000/telegram")
    async with webhook_receiver(statuses=[500]) as (url, received):
        assert await bot.set_webhook(url, secret_token="s3cret-Token_1")
        with pytest.raises(Conflict, match=r"webhook is active"):
            await bot.get_updates()
        update = fake_bot_api.user_sends_text(USER, "via webhook")
        await fake_bot_api.wait_until_updates_confirmed(timeout=2)
        assert received == [("s3cret-Token_1", update), ("s3cret-Token_1", update)]
        assert fake_bot_api.webhook_deliveries == [
            (update["update_id"], 500),
            (update["update_id"], 200),
        ]
        info = await bot.get_webhook_info()
        assert info.url == url and info.pending_update_count == 0
        assert info.last_error_message == "Wrong response from the webhook: 500"
        assert await fake_bot_api.post_to_webhook_raw(update, secret="wrong") == 403
        assert await fake_bot_api.post_to_webhook_raw(update, secret=None) == 403
        assert await fake_bot_api.post_to_webhook_raw(update) == 200
        assert await bot.delete_webhook()
    assert fake_bot_api.webhook == {}
    assert await bot.get_updates() == ()


async def test_a_real_application_round_trip_over_polling(fake_bot_api: FakeBotApi) -> None:
    """The way the bot's own e2e tests will use the fake: a whole PTB Application, polling."""

    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await msg(update).reply_html(
            f"<b>Thème :</b> {' '.join(context.args or [])}",
            reply_markup=keyboard(InlineKeyboardButton("Merci", callback_data="thanks")),
        )

    async def pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.callback_query is not None
        await update.callback_query.answer()
        await update.callback_query.edit_message_text("Avec plaisir")

    app = ApplicationBuilder().token(FAKE_TOKEN).base_url(fake_bot_api.base_url).build()
    app.add_handlers([CommandHandler("start", start), CallbackQueryHandler(pressed)])
    async with app:
        assert app.updater is not None
        await app.updater.start_polling()
        await app.start()
        fake_bot_api.user_sends_command(USER, "/start violences")
        [question] = await fake_bot_api.wait_for_messages(USER, 1)
        assert question["text"] == "Thème : violences"
        fake_bot_api.user_presses(USER, question["message_id"], "thanks")
        await fake_bot_api.wait_for_call("editMessageText")
        await fake_bot_api.wait_until_updates_confirmed()
        await app.updater.stop()
        await app.stop()
    assert [m["text"] for m in fake_bot_api.sent_messages(USER)] == ["Avec plaisir"]
    assert len(fake_bot_api.answered_callbacks) == 1
    assert not [error for error in fake_bot_api.errors if not error.injected]


async def test_round_robin_skips_a_dead_webhook_like_a_load_balancer(
    fake_bot_api: FakeBotApi, bot: Bot
) -> None:
    """Two backends behind a balancer: each update goes to the next one; when one is
    gone (connection refused), the retry goes to the other, so no update waits for it."""
    async with webhook_receiver(statuses=[]) as (url_a, got_a), \
            webhook_receiver(statuses=[]) as (url_b, got_b):
        assert await bot.set_webhook(url_a, secret_token="s3cret-Token_1")
        fake_bot_api.route_webhook_round_robin([url_a, url_b])
        first = fake_bot_api.user_sends_text(USER, "one")
        second = fake_bot_api.user_sends_text(USER, "two")
        await fake_bot_api.wait_until_updates_confirmed(timeout=2)
        assert [u for _, u in got_a] == [first] and [u for _, u in got_b] == [second]
        async with webhook_receiver(statuses=[]) as (url_c, got_c):
            pass  # url_c now refuses connections: a killed process
        fake_bot_api.route_webhook_round_robin([url_c, url_b])
        third = fake_bot_api.user_sends_text(USER, "three")
        fourth = fake_bot_api.user_sends_text(USER, "four")
        await fake_bot_api.wait_until_updates_confirmed(timeout=2)
    assert got_c == [] and [u for _, u in got_b] == [second, third, fourth]
    outcomes = [o for i, o in fake_bot_api.webhook_deliveries if i == third["update_id"]]
    assert len(outcomes) == 2 and str(outcomes[0]).startswith("Connection failed")
    assert outcomes[1] == 200  # retried at once on the live backend, not after a backoff


async def test_parallel_webhook_delivery_keeps_each_chat_in_order(
    fake_bot_api: FakeBotApi, bot: Bot
) -> None:
    """``webhook_parallel``: Telegram's way. A slow answer for one chat does not hold the
    other chats' updates, but that chat's next update waits for it."""
    release = asyncio.Event()
    received: list[tuple[int, str]] = []

    async def handle(request: web.Request) -> web.Response:
        update = await request.json()
        received.append((update["message"]["chat"]["id"], update["message"]["text"]))
        if update["message"]["text"] == "slow":
            await release.wait()
        return web.Response(status=200)

    app = web.Application()
    app.router.add_post("/telegram", handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        fake_bot_api.webhook_parallel = True
        assert await bot.set_webhook(f"http://127.0.0.1:{runner.addresses[0][1]}/telegram")
        fake_bot_api.user_sends_text(USER, "slow")
        fake_bot_api.user_sends_text(USER, "after slow")
        fake_bot_api.user_sends_text(USER + 1, "other chat")
        await fake_bot_api.wait_for(lambda: (USER + 1, "other chat") in received, "other chat")
        assert received == [(USER, "slow"), (USER + 1, "other chat")]  # USER's 2nd waits
        release.set()
        await fake_bot_api.wait_until_updates_confirmed(timeout=2)
        assert received[2:] == [(USER, "after slow")]
    finally:
        release.set()
        await runner.cleanup()
