"""Telegram settings from the environment, checked once at start with a clear message.

Errors never repeat the token or ids they found: the message goes to the operator's
terminal, and terminals end up in logs.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final
from urllib.parse import urlsplit

from bot.config import ConfigError, Settings

TOKEN_RE: Final = re.compile(r"^\d{5,16}:[A-Za-z0-9_-]{30,100}$")
"""What BotFather hands out: the bot id, a colon, then about 35 letters, digits, ``-`` or ``_``."""

DEFAULT_PORT: Final = 8443
DEFAULT_LISTEN: Final = "0.0.0.0"  # noqa: S104 - a webhook must be reachable from outside
LOCAL_HOSTS: Final = frozenset({"localhost", "127.0.0.1", "::1"})


@dataclass(frozen=True)
class TelegramSettings:
    """Everything ``entraide run`` needs besides the content: token, URLs, admins."""

    base: Settings
    token: str = field(repr=False)
    api_base_url: str | None = None
    """A self-hosted Bot API server (or the tests' fake); None means api.telegram.org."""
    webhook_url: str | None = None
    port: int = DEFAULT_PORT
    listen: str = DEFAULT_LISTEN
    admin_ids: frozenset[int] = frozenset()

    @property
    def webhook_secret(self) -> str:
        """The ``secret_token`` given to setWebhook: derived from the token, so every instance
        agrees without one more variable, and 64 characters of ``[0-9a-f]`` as Telegram allows."""
        return hashlib.sha256(b"entraide-webhook\0" + self.token.encode()).hexdigest()

    @property
    def webhook_path(self) -> str:
        """The path the webhook server answers on: the one of ``WEBHOOK_URL``."""
        return urlsplit(self.webhook_url or "").path or "/"

    @property
    def bot_url(self) -> str | None:
        """``base_url`` for python-telegram-bot (it appends the token), or None for Telegram's."""
        return _with_suffix(self.api_base_url, "/bot")

    @property
    def file_url(self) -> str | None:
        """``base_file_url`` for python-telegram-bot, next to :attr:`bot_url`."""
        if self.api_base_url is None:
            return None
        root = self.api_base_url.rstrip("/").removesuffix("/bot")
        return root + "/file/bot"

    @classmethod
    def from_env(
        cls, base: Settings, environ: Mapping[str, str] | None = None, *, webhook: bool = False
    ) -> TelegramSettings:
        """Read and check the variables; raise :class:`ConfigError` saying what to fix."""
        env = os.environ if environ is None else environ
        token = _token(env.get("TELEGRAM_BOT_TOKEN"))
        api = _url("TELEGRAM_API_BASE_URL", env.get("TELEGRAM_API_BASE_URL"))
        webhook_url = _url("WEBHOOK_URL", env.get("WEBHOOK_URL"))
        if webhook and webhook_url is None:
            raise ConfigError(
                "WEBHOOK_URL is required with --webhook: the public HTTPS address Telegram "
                "will post updates to, e.g. https://entraide.example.org/telegram"
            )
        if webhook and webhook_url is not None and not _https_or_local(webhook_url):
            raise ConfigError(
                "WEBHOOK_URL must start with https:// (Telegram only posts to HTTPS addresses)"
            )
        return cls(
            base=base,
            token=token,
            api_base_url=api,
            webhook_url=webhook_url,
            port=_port(env.get("PORT")),
            listen=(env.get("WEBHOOK_LISTEN") or DEFAULT_LISTEN).strip(),
            admin_ids=_admin_ids(env.get("ENTRAIDE_ADMIN_IDS")),
        )


def _token(raw: str | None) -> str:
    token = (raw or "").strip()
    if not token:
        raise ConfigError(
            "TELEGRAM_BOT_TOKEN is not set: create a bot with @BotFather on Telegram, then "
            "put the token it gives you in this variable (see docs/telegram.md)"
        )
    if not TOKEN_RE.match(token):
        raise ConfigError(
            "TELEGRAM_BOT_TOKEN does not look like a bot token (expected the bot number, a "
            "colon, then about 35 letters, digits, '-' or '_'); check for quotes, spaces or "
            "a truncated copy"
        )
    return token


def _url(name: str, raw: str | None) -> str | None:
    value = (raw or "").strip()
    if not value:
        return None
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"{name} must be a full address starting with https://")
    return value


def _https_or_local(url: str) -> bool:
    """Telegram needs HTTPS; plain HTTP is accepted for a local (test or self-hosted) server."""
    parts = urlsplit(url)
    return parts.scheme == "https" or (parts.hostname or "") in LOCAL_HOSTS


def _port(raw: str | None) -> int:
    value = (raw or "").strip()
    if not value:
        return DEFAULT_PORT
    if not value.isdigit() or not 0 < int(value) < 65536:
        raise ConfigError("PORT must be a port number between 1 and 65535")
    return int(value)


def _admin_ids(raw: str | None) -> frozenset[int]:
    ids: set[int] = set()
    for position, item in enumerate(re.split(r"[,;\s]+", (raw or "").strip()), start=1):
        if not item:
            continue
        if not re.fullmatch(r"-?\d{1,20}", item):
            raise ConfigError(
                "ENTRAIDE_ADMIN_IDS must list numeric Telegram user ids separated by commas; "
                f"entry {position} is not a number"
            )
        ids.add(int(item))
    return frozenset(ids)


def _with_suffix(url: str | None, suffix: str) -> str | None:
    if url is None:
        return None
    url = url.rstrip("/")
    return url if url.endswith(suffix) else url + suffix

