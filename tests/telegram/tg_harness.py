"""The real bot (same code as ``entraide run``) against the fake Bot API, and a person's hands.

``running_bot`` builds the Application with :func:`bot.channels.telegram.app.build_application`
from settings parsed by :meth:`TelegramSettings.from_env`, starts it with the production
:class:`Runtime` in polling or webhook mode, and stops it cleanly. ``Person`` plays one user:
sends text or commands, presses buttons by label, and returns what the bot sent in reply.

"Replied" is known without sleeping: once the fake has seen an update confirmed (polling
offset moved, or webhook answered 200) its turn is committed and its replies are in the
outbox, and :meth:`Delivery.idle` returns once the outbox is empty (429 waits included).
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import socket
import sqlite3
import unicodedata
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.channels.telegram.app import TelegramBot, build_bot
from bot.channels.telegram.pacing import Pacer
from bot.channels.telegram.runner import Runtime
from bot.channels.telegram.settings import TelegramSettings
from bot.config import Settings
from bot.content.bundle import Bundle
from bot.content.loader import load_content
from bot.storage.pseudonym import pseudonym
from tests.fakes.fake_bot_api import FAKE_TOKEN, FakeBotApi

ROOT = Path(__file__).resolve().parents[2]
FLOWS = ROOT / "flows"
KNOWLEDGE = ROOT / "knowledge"
SECRET = "test-pseudonym-secret"
JsonDict = dict[str, Any]


def load_bundle(flows: Path = FLOWS, knowledge: Path = KNOWLEDGE) -> Bundle:
    """The real content is loaded once per run (it is immutable); edited copies each time."""
    if (flows, knowledge) == (FLOWS, KNOWLEDGE):
        return _real_bundle()
    return _load(flows, knowledge)


@functools.cache
def _real_bundle() -> Bundle:
    return _load(FLOWS, KNOWLEDGE)


def _load(flows: Path, knowledge: Path) -> Bundle:
    result = load_content(flows, knowledge)
    assert result.bundle is not None, "\n".join(map(str, result.problems))
    return result.bundle


def fold(text: str) -> str:
    """Compare as a reader would (the scenario runner's rule): case, accents, spacing."""
    text = unicodedata.normalize("NFKD", text.replace("\u00a0", " ").replace("\u202f", " "))
    text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(text.casefold().split())


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def bot_env(fake: FakeBotApi, *, webhook: bool = False, admins: Sequence[int] = ()) -> dict[str, str]:
    """The environment an operator would set, pointed at the fake."""
    env = {
        "TELEGRAM_BOT_TOKEN": FAKE_TOKEN,
        "TELEGRAM_API_BASE_URL": fake.base_url,
        "ENTRAIDE_ADMIN_IDS": ",".join(map(str, admins)),
    }
    if webhook:
        port = free_port()
        env |= {
            "WEBHOOK_URL": f"http://127.0.0.1:{port}/telegram",
            "PORT": str(port),
            "WEBHOOK_LISTEN": "127.0.0.1",
        }
    return env


@dataclass
class RunningBot:
    """A started bot and what the tests need to look at it."""

    fake: FakeBotApi
    assembled: TelegramBot
    runtime: Runtime
    settings: TelegramSettings
    bundle: Bundle

    async def settle(self) -> None:
        """Wait until every update the fake holds has been handled completely."""
        await self.fake.wait_until_updates_confirmed()
        await self.runtime.ordered.idle()
        await self.assembled.channel.delivery.idle()

    def person(self, user_id: int) -> Person:
        return Person(self, user_id)

    def query(self, sql: str, *params: object) -> list[tuple[Any, ...]]:
        """Rows of ``sql`` (``?`` placeholders), read as another process would, on whichever
        backend the bot runs."""
        url = self.settings.base.database_url
        if url is None:
            with sqlite3.connect(self.settings.base.db_path) as db:
                return db.execute(sql, params).fetchall()
        import psycopg

        with psycopg.connect(url, autocommit=True) as conn:
            return conn.execute(sql.replace("?", "%s"), params).fetchall()  # type: ignore[arg-type]

    def stored_state(self, user_id: int) -> JsonDict | None:
        """The conversation row of a user."""
        key = pseudonym(SECRET.encode(), "telegram", user_id)
        rows = self.query("SELECT state FROM conversations WHERE pseudonym = ?", key)
        return json.loads(rows[0][0]) if rows else None

    def remembered_ids(self, user_id: int) -> list[int]:
        key = pseudonym(SECRET.encode(), "telegram", user_id)
        rows = self.query(
            "SELECT message_id FROM recent_messages WHERE pseudonym = ? ORDER BY message_id", key
        )
        return [int(r[0]) for r in rows]


Database = Path | str
"""Where the bot keeps its data in a test: a SQLite file, or a ``postgresql://`` URL."""


def make_settings(
    fake: FakeBotApi, db: Database, *, webhook: bool = False, admins: Sequence[int] = (),
    flows: Path = FLOWS, knowledge: Path = KNOWLEDGE,
) -> TelegramSettings:
    url = db if isinstance(db, str) else None
    path = "unused.db" if isinstance(db, str) else str(db)
    base = Settings(
        flows_dir=flows, knowledge_dir=knowledge, db_path=path, database_url=url,
        secret=SECRET, retention=dt.timedelta(days=30),
    )
    return TelegramSettings.from_env(base, bot_env(fake, webhook=webhook, admins=admins),
                                     webhook=webhook)


@asynccontextmanager
async def running_bot(
    fake: FakeBotApi, db: Database, *, webhook: bool = False, admins: Sequence[int] = (),
    flows: Path = FLOWS, knowledge: Path = KNOWLEDGE, bundle: Bundle | None = None,
    pacer: Pacer | None = None,
) -> AsyncIterator[RunningBot]:
    """Start the bot exactly as ``entraide run [--webhook]`` does; stop it cleanly after.

    ``pacer``: Telegram's pacing (about one message per second per chat) unless a test that
    is not about pacing passes a faster one to send many messages in one chat quickly."""
    settings = make_settings(fake, db, webhook=webhook, admins=admins, flows=flows,
                             knowledge=knowledge)
    bundle = bundle or load_bundle(flows, knowledge)
    assembled = build_bot(settings, bundle)
    assembled.lifecycle.pacer = pacer
    runtime = Runtime(assembled, settings, webhook=webhook)
    await runtime.start()
    try:
        yield RunningBot(fake, assembled, runtime, settings, bundle)
    finally:
        await runtime.stop()


@dataclass
class Person:
    """One Telegram user in a private chat with the bot."""

    bot: RunningBot
    user_id: int
    last: list[JsonDict] = field(default_factory=list)
    """The bot messages sent in answer to the last action."""
    result: Any = None
    """What the fake returned for the last action (the update, or the callback query id)."""

    @property
    def fake(self) -> FakeBotApi:
        return self.bot.fake

    def messages(self) -> list[JsonDict]:
        """The bot's messages still in the chat (deleted ones are gone)."""
        return self.fake.sent_messages(self.user_id)

    async def _after(self, action: Any) -> list[JsonDict]:
        before = {m["message_id"] for m in self.messages()}
        result = action()
        await self.bot.settle()
        self.last = [m for m in self.messages() if m["message_id"] not in before]
        self.result = result
        return self.last

    async def send(self, text: str) -> list[JsonDict]:
        if text.startswith("/"):
            return await self._after(lambda: self.fake.user_sends_command(self.user_id, text))
        return await self._after(lambda: self.fake.user_sends_text(self.user_id, text))

    async def press_data(self, message_id: int, data: str) -> list[JsonDict]:
        return await self._after(lambda: self.fake.user_presses(self.user_id, message_id, data))

    def find_button(self, label: str, among: list[JsonDict] | None = None) -> tuple[int, str]:
        """(message id, callback data) of the newest button whose label reads as ``label``."""
        for message in reversed(among if among is not None else self.last):
            for row in (message.get("reply_markup") or {}).get("inline_keyboard", []):
                for button in row:
                    if fold(button["text"]) == fold(label) and "callback_data" in button:
                        return message["message_id"], button["callback_data"]
        shown = [b["text"] for m in (among or self.last) for b in buttons_of(m)]
        raise LookupError(f"no button {label!r}; shown: {shown}")

    async def press(self, label: str, among: list[JsonDict] | None = None) -> list[JsonDict]:
        message_id, data = self.find_button(label, among)
        return await self.press_data(message_id, data)

    def read(self, messages: list[JsonDict] | None = None) -> str:
        """What the person reads: texts, then button labels (a button's words are read too)
        and the address a link button opens."""
        shown = self.last if messages is None else messages
        parts = [m["text"] or "" for m in shown]
        parts += [b["text"] for m in shown for b in buttons_of(m)]
        parts += [b["url"] for m in shown for b in buttons_of(m) if b.get("url")]
        return "\n".join(parts)


def buttons_of(message: JsonDict) -> list[JsonDict]:
    return [b for row in (message.get("reply_markup") or {}).get("inline_keyboard", []) for b in row]


def plain(text: str) -> str:
    """Content text as Telegram shows it: ``**bold**`` markers gone."""
    return text.replace("**", "")
