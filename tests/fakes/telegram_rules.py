"""Telegram's request rules and error wording, as pure functions, for the fake Bot API.

Kept apart from the server so the limits the bot must respect are readable in one place.
Descriptions are Telegram's own where known; "Bad Request: " is the prefix PTB strips (it then
``capitalize()``s the rest, so match error messages case-insensitively).
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urlsplit

from .telegram_html import EntityParseError, parse_html, strip_text

JsonDict = dict[str, Any]

MAX_TEXT_LENGTH = 4096
DELETE_WINDOW_SECONDS = 48 * 3600
NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)
QUERY_TOO_OLD = "query is too old and response timeout expired or query ID is invalid"
# What Telegram sends when allowed_updates is empty or was never set.
DEFAULT_EXCLUDED_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
CHAT_ACTIONS = frozenset({
    "typing", "upload_photo", "record_video", "upload_video", "record_voice", "upload_voice",
    "upload_document", "choose_sticker", "find_location", "record_video_note",
    "upload_video_note",
})
_INT_PARAMS = frozenset(
    {"chat_id", "message_id", "offset", "limit", "timeout", "max_connections", "cache_time",
     "user_id"}
)
_BOOL_PARAMS = frozenset({"drop_pending_updates", "show_alert"})
_JSON_PARAMS = frozenset(
    {"reply_markup", "allowed_updates", "message_ids", "commands", "scope", "entities",
     "reply_parameters", "link_preview_options"}
)
_BUTTON_KINDS = ("url", "callback_data", "web_app", "login_url", "switch_inline_query",
                 "switch_inline_query_current_chat", "switch_inline_query_chosen_chat",
                 "copy_text", "callback_game", "pay")
_SECRET_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,256}")
_COMMAND = re.compile(r"[a-z0-9_]{1,32}")


class ApiError(Exception):
    """A Telegram error response; raised by method handlers, turned into JSON by the server."""

    def __init__(self, error_code: int, description: str, retry_after: int | None = None):
        super().__init__(description)
        self.error_code, self.description, self.retry_after = error_code, description, retry_after


def bad_request(description: str) -> ApiError:
    return ApiError(400, f"Bad Request: {description}")


def normalize_params(raw: dict[str, Any]) -> JsonDict:
    """Decode form values: PTB sends every parameter as a string, nested ones JSON-encoded."""
    params: JsonDict = {}
    for key, value in raw.items():
        if isinstance(value, str):
            if key in _JSON_PARAMS:
                try:
                    value = json.loads(value)
                except ValueError:
                    what = "reply keyboard markup" if key == "reply_markup" else key
                    raise bad_request(f"can't parse {what} JSON object") from None
            elif key in _INT_PARAMS and re.fullmatch(r"-?\d+", value.strip()):
                value = int(value)
            elif key in _BOOL_PARAMS:
                value = value.strip().lower() in ("true", "1")
        params[key] = value
    return params


def render_text(params: JsonDict, *, strict_ampersand: bool) -> tuple[str, list[JsonDict]]:
    """Apply parse_mode; return the visible text and its entities, or raise Telegram's 400.

    The 1..4096 limit applies to the visible text, after tags and entities are resolved and
    surrounding whitespace is trimmed (which Telegram does too).
    """
    raw = params.get("text")
    if not isinstance(raw, str):
        raise bad_request("message text is empty")
    mode = str(params.get("parse_mode") or "").lower()
    if mode == "html":
        try:
            text, entities = parse_html(raw, strict_ampersand=strict_ampersand)
        except EntityParseError as error:
            raise bad_request(f"can't parse entities: {error}") from None
    elif mode:
        raise bad_request("unsupported parse_mode")  # MarkdownV2 exists, the fake lacks it
    else:
        text, entities = raw, list(params.get("entities") or [])
    text, entities = strip_text(text, entities)
    if not text:
        raise bad_request("message text is empty")
    if len(text) > MAX_TEXT_LENGTH:
        raise bad_request("message is too long")
    return text, entities


def check_inline_markup(markup: Any) -> JsonDict | None:
    """Validate reply_markup; return it if it is an inline keyboard (the only kind echoed)."""
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" not in markup:
        if any(key in markup for key in ("keyboard", "remove_keyboard", "force_reply")):
            return None
        raise bad_request("can't parse reply keyboard markup JSON object")
    rows = markup["inline_keyboard"]
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request(
            'field "inline_keyboard" of the InlineKeyboardMarkup must be an Array of Arrays'
        )
    buttons = [button for row in rows for button in row]
    if len(buttons) > 100:
        raise bad_request("BUTTONS_TOO_MUCH")
    for button in buttons:
        if not isinstance(button, dict) or not isinstance(button.get("text"), str):
            raise bad_request(
                'can\'t parse inline keyboard button: Field "text" must be of type String'
            )
        if not button["text"].strip():
            raise bad_request("BUTTON_TEXT_INVALID")
        kinds = [kind for kind in _BUTTON_KINDS if kind in button]
        if not kinds:
            raise bad_request(
                "can't parse inline keyboard button: Text buttons are unallowed in the inline "
                "keyboard"
            )
        if len(kinds) > 1:
            raise bad_request(
                "can't parse inline keyboard button: exactly one optional field expected"
            )
        data = button.get("callback_data")
        if "callback_data" in button and (
            not isinstance(data, str) or not 1 <= len(data.encode("utf-8")) <= 64
        ):
            raise bad_request("BUTTON_DATA_INVALID")  # 64 *bytes* of UTF-8, not characters
        if "url" in button:
            url = urlsplit(str(button["url"]))
            if url.scheme not in ("http", "https", "tg") or not (url.netloc or url.scheme == "tg"):
                raise bad_request("BUTTON_URL_INVALID")
    return markup


def check_commands(commands: Any) -> list[JsonDict]:
    """Validate setMyCommands' list; return it reduced to command and description."""
    if not isinstance(commands, list):
        raise bad_request("can't parse commands JSON object")
    if len(commands) > 100:
        raise bad_request("too many commands specified")
    for command in commands:
        if not isinstance(command, dict) or not _COMMAND.fullmatch(str(command.get("command"))):
            raise bad_request("BOT_COMMAND_INVALID")
        if not 1 <= len(str(command.get("description") or "").strip()) <= 256:
            raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
    return [{"command": c["command"], "description": c["description"]} for c in commands]


def check_webhook(url: str, params: JsonDict) -> tuple[str | None, int]:
    """Validate setWebhook; return (secret token, max_connections).

    Deliberate difference: Telegram wants HTTPS on port 443, 80, 88 or 8443; the fake lets
    tests use plain HTTP on any port of 127.0.0.1/localhost (other hosts keep the real rules).
    """
    parts = urlsplit(url)
    if parts.hostname not in ("127.0.0.1", "localhost"):
        if parts.scheme != "https":
            raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        if (parts.port or 443) not in (443, 80, 88, 8443):
            raise bad_request(
                "bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443"
            )
    secret = params.get("secret_token") or None
    if secret is not None and not _SECRET_TOKEN.fullmatch(str(secret)):
        raise bad_request("secret token contains unallowed characters")
    max_connections = int(params.get("max_connections") or 40)
    if not 1 <= max_connections <= 100:
        raise bad_request("bad webhook: max_connections must be between 1 and 100")
    return secret, max_connections
