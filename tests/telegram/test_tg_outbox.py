"""The outbox as a user notices it: one answer per update whatever its type, failures
that keep trying or give up cleanly, and a database that never holds a Telegram id."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import pytest
from tg_harness import Database, Person, RunningBot, load_bundle, running_bot

from bot.channels.telegram import delivery as delivery_module
from bot.channels.telegram.address import Sealer, SealError
from bot.channels.telegram.failures import backoff
from bot.channels.telegram.pacing import Pacer
from tests.fakes.fake_bot_api import FakeBotApi

BUNDLE = load_bundle()
ALICE, BOB, ADMIN = 1001, 1002, 777
OUT = ("sendMessage", "deleteMessages")


@pytest.fixture
async def bot(fake_bot_api: FakeBotApi, database: Database):  # type: ignore[no-untyped-def]
    """The bot on each backend in turn (SQLite, PostgreSQL)."""
    async with running_bot(fake_bot_api, database, admins=[ADMIN]) as running:
        yield running


def outgoing(fake: FakeBotApi, since: int) -> list[str]:
    return [c.method for c in fake.calls[since:] if c.method in OUT]


async def _oubli_confirmation(alice: Person) -> None:
    await alice.send("/oubli")
    await alice.press(BUNDLE.flows["oubli"].nodes["confirmer"].choices[0].label)


KINDS: dict[str, Callable[[Person], object]] = {
    "text": lambda p: p.send("je ne sais pas quoi faire"),
    "press": lambda p: p.press(BUNDLE.interface.buttons.emergency),
    "command": lambda p: p.send("/aide"),
    "effacer": lambda p: p.send("/effacer"),
    "oubli confirmation": _oubli_confirmation,
    "sticker": lambda p: p._after(lambda: p.fake.user_sends_sticker(p.user_id)),
    "photo": lambda p: p._after(lambda: p.fake.user_sends_photo(p.user_id)),
    "edited message": lambda p: p._after(
        lambda: p.fake.user_edits_message(p.user_id, 1, "autre chose")),
    "admin command": lambda p: p.send("/stats"),
    "unknown type": lambda p: p._after(lambda: p.fake.queue_raw_update(
        {"message_reaction": {"chat": {"id": p.user_id, "type": "private"}, "message_id": 1,
                              "date": 0, "old_reaction": [], "new_reaction": []}},
        respect_allowed_updates=False)),
}


@pytest.mark.parametrize("kind", list(KINDS))
async def test_a_redelivered_update_of_any_type_gets_no_second_answer(
    bot: RunningBot, kind: str
) -> None:
    user = bot.person(ADMIN)
    await user.send("/start")
    await KINDS[kind](user)  # type: ignore[misc]
    update = bot.fake.last_update
    state, messages = bot.stored_state(ADMIN), user.messages()
    since = len(bot.fake.calls)
    bot.fake.redeliver(update)
    await bot.settle()
    assert outgoing(bot.fake, since) == []  # nothing sent, nothing deleted again
    assert user.messages() == messages
    assert bot.stored_state(ADMIN) == state


async def test_5xx_keeps_trying_then_gives_up_with_one_error_line(
    fake_bot_api: FakeBotApi, database: Database, monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setattr(delivery_module, "GIVE_UP_AFTER", 2.0)  # 10 minutes in production
    async with running_bot(fake_bot_api, database) as bot:
        alice, bob = bot.person(ALICE), bot.person(BOB)
        await alice.send("/start")
        fake_bot_api.fail_next("sendMessage", error_code=502, times=50, chat_id=ALICE)
        with caplog.at_level(logging.INFO, logger="bot"):
            assert await alice.send("/aide") == []
            assert await bob.send("/start")  # other chats are served meanwhile
        failures = [e for e in fake_bot_api.errors if e.error_code == 502]
        assert len(failures) == 3  # after 0.5 s, then 1 s: 1.5 s; the next wait passes 2 s
        [line] = [r for r in caplog.records
                  if r.levelno == logging.ERROR and r.name.startswith("bot")]
        prefix = bot.assembled.channel.conversations.user("telegram", ALICE)[:8]
        assert "sendMessage" in line.getMessage() and prefix in line.getMessage()
        assert str(ALICE) not in line.getMessage()
        fake_bot_api._chat_failures.clear()
        assert await alice.send("/menu")  # the next reply goes


async def test_403_drops_what_is_pending_until_the_user_writes_again(bot: RunningBot) -> None:
    alice = bot.person(ALICE)
    since = len(bot.fake.calls)
    bot.fake.hold("sendMessage")  # three replies queued while the first one is on its way
    for command in ("/start", "/aide", "/urgence"):
        bot.fake.user_sends_command(ALICE, command)
    await bot.fake.wait_until_updates_confirmed()
    bot.fake.fail_next("sendMessage", error_code=403, chat_id=ALICE)  # then: blocked
    bot.fake.release("sendMessage")
    await bot.settle()
    assert alice.messages() == []
    assert outgoing(bot.fake, since) == ["sendMessage"]  # the other two were dropped
    assert bot.query("SELECT count(*) FROM outbox") == [(0,)]
    assert await alice.send("/menu")  # unblocked: answered again


async def test_400_drops_that_message_and_the_next_goes(bot: RunningBot) -> None:
    alice = bot.person(ALICE)
    await alice.send("/start")
    bot.fake.fail_next("sendMessage", error_code=400, description="Bad Request: odd",
                       chat_id=ALICE)
    bot.fake.user_sends_command(ALICE, "/aide")
    bot.fake.user_sends_command(ALICE, "/urgence")
    await bot.fake.wait_for_messages(ALICE, 2)  # /start's screen, then the crisis numbers
    await bot.settle()
    assert "3114" in alice.messages()[-1]["text"]
    assert len(alice.messages()) == 2  # and nothing else: /aide's refused screen is dropped


async def test_the_database_never_holds_a_telegram_id(
    fake_bot_api: FakeBotApi, tmp_path: Path, database: Database
) -> None:
    async with running_bot(fake_bot_api, database) as bot:
        user = 7_346_219_981
        bot.fake.hold("sendMessage")
        bot.fake.user_sends_command(user, "/start")
        await bot.fake.wait_for_call("sendMessage")
        [(address, payload)] = bot.query("SELECT address, payload FROM outbox")
        assert str(user) not in address + payload
        for table in ("conversations", "recent_messages", "outbox_leases"):  # every column
            assert str(user) not in repr(bot.query(f"SELECT * FROM {table}")), table
        if isinstance(database, Path):  # SQLite: not in any byte of the files either
            raw = b"".join(p.read_bytes() for p in tmp_path.glob("bot.db*") if p.suffix != ".key")
            assert str(user).encode() not in raw
        assert bot.assembled.channel.sealer.open(address) == user
        bot.fake.release("sendMessage")
        assert len(await bot.fake.wait_for_messages(user, 1)) == 1


def test_sealed_addresses_open_only_with_their_key() -> None:
    sealer = Sealer(b"one secret")
    first, second = sealer.seal(1001), sealer.seal(1001)
    assert first != second  # a fresh nonce: addresses cannot be matched with each other
    assert sealer.open(first) == sealer.open(second) == 1001
    with pytest.raises(SealError):
        Sealer(b"another secret").open(first)
    # one character changed inside (the last ones may carry only base64 padding bits)
    middle = len(first) // 2
    altered = first[:middle] + ("A" if first[middle] != "A" else "B") + first[middle + 1:]
    with pytest.raises(SealError):
        sealer.open(altered)


def test_pacing_allows_a_burst_of_three_then_one_per_second_per_chat() -> None:
    pacer = Pacer()
    waits = [pacer.reserve("a", 100.0) for _ in range(5)]
    assert waits == [0.0, 0.0, 0.0, 1.0, 2.0]
    assert pacer.reserve("b", 100.0) == 0.0  # another chat is not held back
    assert pacer.reserve("a", 110.0) == 0.0  # and the burst comes back after a pause


def test_pacing_keeps_thirty_messages_a_second_overall() -> None:
    pacer = Pacer()
    assert [pacer.reserve(f"chat{n}", 0.0) for n in range(90)] == [0.0] * 90
    waits = [pacer.overall(0.0) for _ in range(90)]
    assert max(waits[:30]) == 0.0
    assert waits[59] == pytest.approx(1.0)  # the next 30 spread over the second after
    assert waits[89] == pytest.approx(2.0)


def test_backoff_doubles_up_to_a_minute_and_stops_at_ten_minutes() -> None:
    delays = []
    failures = 1
    while (delay := backoff(failures)) is not None:
        delays.append(delay)
        failures += 1
    assert delays[:4] == [0.5, 1.0, 2.0, 4.0] and max(delays) == 60.0
    assert sum(delays) <= 600 < sum(delays) + 60
