"""Configuration from the environment: clear messages, and never the token in them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.channels.telegram.runner import run
from bot.channels.telegram.settings import TelegramSettings
from bot.config import ConfigError, Settings
from tests.fakes.fake_bot_api import FAKE_TOKEN

BASE = Settings()


def settings(webhook: bool = False, **env: str) -> TelegramSettings:
    return TelegramSettings.from_env(BASE, {"TELEGRAM_BOT_TOKEN": FAKE_TOKEN, **env},
                                     webhook=webhook)


@pytest.mark.parametrize("token", ["", "   "])
def test_missing_token_says_where_to_get_one(token: str) -> None:
    with pytest.raises(ConfigError, match=r"TELEGRAM_BOT_TOKEN is not set.*@BotFather"):
        TelegramSettings.from_env(BASE, {"TELEGRAM_BOT_TOKEN": token})
    with pytest.raises(ConfigError):
        TelegramSettings.from_env(BASE, {})


@pytest.mark.parametrize(
    "token", ['"' + FAKE_TOKEN + '"', FAKE_TOKEN[:-20], "bot" + FAKE_TOKEN, "123:abc",
              FAKE_TOKEN.replace(":", " ")],
)
def test_malformed_token_is_refused_without_echoing_it(token: str) -> None:
    with pytest.raises(ConfigError, match="does not look like a bot token") as caught:
        TelegramSettings.from_env(BASE, {"TELEGRAM_BOT_TOKEN": token})
    assert FAKE_TOKEN.split(":")[1][:10] not in str(caught.value)


def test_token_is_trimmed_and_hidden_from_repr() -> None:
    parsed = TelegramSettings.from_env(BASE, {"TELEGRAM_BOT_TOKEN": f"  {FAKE_TOKEN}\n"})
    assert parsed.token == FAKE_TOKEN
    assert FAKE_TOKEN not in repr(parsed)


def test_api_base_url_for_a_self_hosted_server() -> None:
    assert settings().bot_url is None and settings().file_url is None
    hosted = settings(TELEGRAM_API_BASE_URL="http://bot-api.internal:8081/")
    assert hosted.bot_url == "http://bot-api.internal:8081/bot"
    assert hosted.file_url == "http://bot-api.internal:8081/file/bot"
    assert settings(TELEGRAM_API_BASE_URL="http://x:1/bot").bot_url == "http://x:1/bot"
    with pytest.raises(ConfigError, match="TELEGRAM_API_BASE_URL"):
        settings(TELEGRAM_API_BASE_URL="bot-api:8081")


def test_webhook_needs_a_public_https_address() -> None:
    with pytest.raises(ConfigError, match="WEBHOOK_URL is required with --webhook"):
        settings(webhook=True)
    with pytest.raises(ConfigError, match="https://"):
        settings(webhook=True, WEBHOOK_URL="http://entraide.example.org/telegram")
    hook = settings(webhook=True, WEBHOOK_URL="https://entraide.example.org/tg/updates",
                    PORT="5000")
    assert hook.port == 5000 and hook.webhook_path == "/tg/updates" and hook.listen == "0.0.0.0"
    assert settings().port == 8443  # PORT is optional outside webhook hosts
    for bad in ("http", "0", "70000"):
        with pytest.raises(ConfigError, match="PORT"):
            settings(PORT=bad)


def test_webhook_secret_is_stable_and_acceptable_to_telegram() -> None:
    first, second = settings().webhook_secret, settings().webhook_secret
    assert first == second and re.fullmatch(r"[A-Za-z0-9_-]{1,256}", first)
    assert FAKE_TOKEN not in first
    other = TelegramSettings.from_env(BASE, {"TELEGRAM_BOT_TOKEN": "987654321:" + "B" * 35})
    assert other.webhook_secret != first


def test_admin_ids() -> None:
    assert settings().admin_ids == frozenset()
    assert settings(ENTRAIDE_ADMIN_IDS="12, 34;56 78").admin_ids == {12, 34, 56, 78}
    with pytest.raises(ConfigError, match="entry 2 is not a number") as caught:
        settings(ENTRAIDE_ADMIN_IDS="12,@alice")
    assert "alice" not in str(caught.value)


def test_run_explains_a_missing_token_and_exits_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    assert run(BASE, webhook=False) == 2
    assert "TELEGRAM_BOT_TOKEN is not set" in capsys.readouterr().err


def test_run_refuses_invalid_content_with_the_french_problems(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    flows = tmp_path / "flows"
    flows.mkdir()
    (flows / "interface.yaml").write_text("interface:\n  flux_accueil: accueil\n", "utf-8")
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", FAKE_TOKEN)
    monkeypatch.setenv("TELEGRAM_API_BASE_URL", "http://127.0.0.1:9/bot")  # never reached
    broken = Settings(flows_dir=flows, knowledge_dir=tmp_path / "knowledge",
                      db_path=str(tmp_path / "bot.db"))
    assert run(broken, webhook=False) == 1
    err = capsys.readouterr().err
    assert "problème" in err and "à corriger" in err
    assert "does not start" in err
    assert not (tmp_path / "bot.db").exists()  # nothing was opened
