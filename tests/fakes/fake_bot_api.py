"""A fake Telegram Bot API server, so end-to-end tests can run the real bot against HTTP.

python-telegram-bot talks to it exactly as it talks to ``api.telegram.org``::

    async with FakeBotApi() as api:
        app = ApplicationBuilder().token(FAKE_TOKEN).base_url(api.base_url).build()

The fake enforces the Telegram rules the bot is most likely to break (text length after entity
parsing, strict HTML, inline keyboard limits, the 48 h delete window, "message is not modified",
one answer per callback query, unknown chats) with Telegram's own error descriptions, and lets
tests play the user's side (``user_sends_text``, ``user_presses``...), inject failures
(``fail_next``) and inspect what the bot did (``sent_messages``, ``calls``, ``errors``).

Known, deliberate differences with Telegram (all documented where they happen):
* webhooks may point at any port over plain HTTP on 127.0.0.1/localhost (Telegram demands HTTPS
  on 443, 80, 88 or 8443) — other hosts still get Telegram's checks;
* a bare ``&`` in HTML text is rejected (Telegram keeps it literally), see ``telegram_html``;
* only ``parse_mode=HTML`` (or none) is implemented; other modes get "unsupported parse_mode";
* updates are delivered to the webhook one at a time, in order, unless a test sets
  ``webhook_parallel`` (then as Telegram does: chats at once, up to ``max_connections``, one
  chat's updates one at a time, in order); a failed delivery is retried at once, then after
  0.05, 0.1, 0.2, 0.4 s, then every 0.5 s while the webhook is set (Telegram backs off
  further, and gives up after a day); with ``route_webhook_round_robin`` each attempt goes to
  the next URL, so a retry skips a dead backend as a load balancer would.

The rules themselves (limits, error wording) live in ``telegram_rules`` and ``telegram_html``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import time
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from types import EllipsisType
from typing import Any, NamedTuple, Self

import aiohttp
from aiohttp import web

from .telegram_html import utf16_len
from .telegram_rules import (
    CHAT_ACTIONS,
    DEFAULT_EXCLUDED_UPDATES,
    DELETE_WINDOW_SECONDS,
    NOT_MODIFIED,
    QUERY_TOO_OLD,
    ApiError,
    JsonDict,
    bad_request,
    check_commands,
    check_inline_markup,
    check_webhook,
    normalize_params,
    render_text,
)

__all__ = ["DELETE_WINDOW_SECONDS", "FAKE_TOKEN", "Call", "ErrorRecord", "FakeBotApi"]

FAKE_TOKEN = "123456789:AAH-fake-token-for-tests-only_abcdefgh"
_WEBHOOK_RETRY_DELAYS = (0.0, 0.05, 0.1, 0.2, 0.4)
_WEBHOOK_RETRY_LAST = 0.5  # then every 0.5 s while the webhook is set, as Telegram keeps trying


def _webhook_retry_delays() -> Iterator[float]:
    yield from _WEBHOOK_RETRY_DELAYS
    while True:
        yield _WEBHOOK_RETRY_LAST


class Call(NamedTuple):
    """One Bot API request as the fake received it (params decoded by ``normalize_params``)."""

    method: str
    params: JsonDict
    at: float  # time.monotonic()


class ErrorRecord(NamedTuple):
    """An error the fake answered; ``injected`` tells ``fail_next`` errors from rule breaches."""

    method: str
    error_code: int
    description: str
    injected: bool


@dataclass
class StoredMessage:
    """Every message the fake knows, sent by the bot or by a user, with its current state."""

    message_id: int
    chat_id: int
    sender: JsonDict
    from_bot: bool
    date: int
    text: str | None = None
    html: str | None = None
    entities: list[JsonDict] = field(default_factory=list)
    reply_markup: JsonDict | None = None
    edit_date: int | None = None
    extra: JsonDict = field(default_factory=dict)  # sticker, photo, voice...


@dataclass
class _Pending:
    update: JsonDict
    forced: bool = False  # a redelivery: survives the offset that already confirmed its id
    fetched: bool = False

    @property
    def update_id(self) -> int:
        return int(self.update["update_id"])


def _chat_of(update: JsonDict) -> int:
    """The chat an update belongs to (Telegram delivers one chat's updates in order)."""
    for key, body in update.items():
        if key == "update_id" or not isinstance(body, dict):
            continue
        chat = body.get("chat") or (body.get("message") or {}).get("chat")
        if isinstance(chat, dict):
            return int(chat["id"])
        if isinstance(body.get("from"), dict):
            return int(body["from"]["id"])
    return 0


async def _read_params(request: web.Request) -> dict[str, Any]:
    """Telegram accepts query strings, urlencoded forms, multipart forms and JSON bodies."""
    params: dict[str, Any] = dict(request.query)
    if request.content_type == "application/json":
        try:
            body = await request.json()
        except ValueError:
            raise bad_request("can't parse JSON encoded request") from None
        if not isinstance(body, dict):
            raise bad_request("JSON object expected")
        params.update(body)
    elif request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        for key, value in (await request.post()).items():
            if isinstance(value, web.FileField):  # an upload: only its name is kept
                params[key] = {"filename": value.filename}
            else:
                params[key] = value
    return params


class FakeBotApi:
    """In-process Telegram Bot API: an aiohttp server plus a test-control API on one event loop."""

    def __init__(self, token: str = FAKE_TOKEN, *, strict_ampersand: bool = True) -> None:
        self.token = token
        self.strict_ampersand = strict_ampersand
        self.bot_user: JsonDict = {
            "id": int(token.split(":", 1)[0]), "is_bot": True, "first_name": "Entraide Kiné",
            "username": "entraide_kine_test_bot", "can_join_groups": True,
            "can_read_all_group_messages": False, "supports_inline_queries": False,
            "can_connect_to_business": False, "has_main_web_app": False,
        }
        self.port = 0
        self.calls: list[Call] = []
        self.errors: list[ErrorRecord] = []
        self.answered_callbacks: list[JsonDict] = []
        self.webhook_deliveries: list[tuple[int, int | str]] = []  # (update_id, status or error)
        self._clock_offset = 0.0
        self._chats: dict[int, JsonDict] = {}
        self._messages: defaultdict[int, dict[int, StoredMessage]] = defaultdict(dict)
        self._deleted: defaultdict[int, list[int]] = defaultdict(list)
        self._last_message_id: defaultdict[int, int] = defaultdict(int)
        self._last_update_id = 100_000
        self._callback_ids = 5_000_000_000_000_000
        self._pending: list[_Pending] = []
        self._open_callbacks: set[str] = set()
        self._commands: dict[tuple[str, str], list[JsonDict]] = {}
        self._failures: defaultdict[str, deque[ApiError]] = defaultdict(deque)
        self._chat_failures: defaultdict[tuple[str, int], deque[ApiError]] = defaultdict(deque)
        self._held: set[str] = set()
        self.last_update: JsonDict = {}
        """The update a user action queued last (to re-deliver it)."""
        self.webhook_parallel = False
        """Deliver updates of different chats at once (up to the webhook's max_connections),
        one chat's one at a time and in order, as Telegram does; off: one update at a time."""
        self._webhook_routes: list[str] = []
        self._next_route = 0
        self._allowed_updates: list[str] = []
        self._webhook: JsonDict = {}
        self._webhook_description = ""  # setWebhook/deleteWebhook answer with one
        self._webhook_route: str | None = None
        self._webhook_task: asyncio.Task[None] | None = None
        self._poll_generation = 0
        self._changed = asyncio.Event()
        self._closing = False
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        handlers: dict[str, Callable[[JsonDict], Awaitable[Any]]] = {
            "getMe": self._get_me, "getUpdates": self._get_updates,
            "setWebhook": self._set_webhook, "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._get_webhook_info, "setMyCommands": self._set_my_commands,
            "getMyCommands": self._get_my_commands, "deleteMyCommands": self._delete_my_commands,
            "sendMessage": self._send_message, "editMessageText": self._edit_message_text,
            "editMessageReplyMarkup": self._edit_message_reply_markup,
            "answerCallbackQuery": self._answer_callback_query,
            "deleteMessage": self._delete_message, "deleteMessages": self._delete_messages,
            "sendChatAction": self._send_chat_action, "close": self._true, "logOut": self._true,
        }
        # Telegram method names are case-insensitive; calls are recorded under the canonical one.
        self._methods = {name.lower(): (name, handler) for name, handler in handlers.items()}

    # ----------------------------------------------------------------- lifecycle and URLs
    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        """File downloads are not implemented: anything under it answers 404."""
        return f"http://127.0.0.1:{self.port}/file/bot"

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        # handler_cancellation: a long poll the client abandoned (PTB cancels it on stop) ends
        # with the connection instead of answering a 409 later, as on Telegram.
        self._runner = web.AppRunner(
            app, access_log=None, shutdown_timeout=1.0, handler_cancellation=True
        )
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        await web.SockSite(self._runner, sock).start()
        self._session = aiohttp.ClientSession()

    async def stop(self) -> None:
        self._closing = True
        self._notify()  # long polls return at once instead of holding the shutdown
        await self._stop_webhook_worker()
        if self._session is not None:
            await self._session.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    # ----------------------------------------------------------------- clock
    def now(self) -> float:
        """The fake's wall clock (``time.time()`` shifted by ``advance_clock``)."""
        return time.time() + self._clock_offset

    def advance_clock(self, seconds: float) -> None:
        """Age every known message and query, e.g. past the 48 h delete window."""
        self._clock_offset += seconds

    # ----------------------------------------------------------------- HTTP plumbing
    async def _handle(self, request: web.Request) -> web.Response:
        token, name = request.match_info["token"], request.match_info["method"]
        if ":" not in token:  # Telegram answers 404 to malformed tokens, 401 to wrong ones
            return self._error_response(name, ApiError(404, "Not Found"), injected=False)
        if token != self.token:
            return self._error_response(name, ApiError(401, "Unauthorized"), injected=False)
        if name.lower() not in self._methods:
            return self._error_response(name, ApiError(404, "Not Found"), injected=False)
        method, handler = self._methods[name.lower()]
        params: JsonDict = {}
        try:
            params = await _read_params(request)
            params = normalize_params(params)
        except ApiError as error:
            self.calls.append(Call(method, params, time.monotonic()))
            return self._error_response(method, error, injected=False)
        self.calls.append(Call(method, params, time.monotonic()))
        self._notify()
        if method in self._held:  # never answered while held; a killed client just goes away
            await self._wait_until(lambda: method not in self._held or self._closing, 3600)
        chat_failures = self._chat_failures.get((method, params.get("chat_id")))  # type: ignore[arg-type]
        if chat_failures:
            return self._error_response(method, chat_failures.popleft(), injected=True)
        if self._failures[method]:
            return self._error_response(method, self._failures[method].popleft(), injected=True)
        try:
            result = await handler(params)
        except ApiError as error:
            return self._error_response(method, error, injected=False)
        body: JsonDict = {"ok": True, "result": result}
        if method in ("setWebhook", "deleteWebhook"):
            body["description"] = self._webhook_description
        return web.json_response(body)

    def _error_response(self, method: str, error: ApiError, *, injected: bool) -> web.Response:
        self.errors.append(ErrorRecord(method, error.error_code, error.description, injected))
        self._notify()
        if error.error_code in (502, 504):  # nginx in front of Telegram answers in HTML
            html = f"<html><body><h1>{error.error_code} {error.description}</h1></body></html>"
            return web.Response(status=error.error_code, text=html, content_type="text/html")
        body: JsonDict = {
            "ok": False, "error_code": error.error_code, "description": error.description
        }
        if error.retry_after is not None:
            body["parameters"] = {"retry_after": error.retry_after}
        return web.json_response(body, status=error.error_code)

    def _notify(self) -> None:
        """Wake every waiter (long polls, webhook worker, test waiters) to re-check state."""
        self._changed.set()
        self._changed = asyncio.Event()

    async def _wait_until(self, predicate: Callable[[], bool], within: float) -> bool:
        """Re-check ``predicate`` after every state change, for at most ``within`` seconds."""
        # asyncio.timeout rather than wait_for: on 3.11 wait_for may swallow a cancellation
        # that races with the event being set, which would keep the webhook worker alive.
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(within):
                while not predicate():
                    await self._changed.wait()
                return True
        return predicate()

    # ----------------------------------------------------------------- failure injection
    def fail_next(
        self,
        method: str,
        *,
        error_code: int,
        description: str | None = None,
        retry_after: int | None = None,
        times: int = 1,
        chat_id: int | None = None,
    ) -> None:
        """Make the next ``times`` calls of ``method`` fail without being applied.

        With ``chat_id``, only calls to that chat fail (other chats are served normally).

        ``description`` defaults to Telegram's wording for the code; a 429 always carries
        ``parameters.retry_after`` (1 s unless given), and 502/504 answer nginx's HTML page.
        """
        if error_code == 429 and retry_after is None:
            retry_after = 1
        defaults = {
            429: f"Too Many Requests: retry after {retry_after}",
            403: "Forbidden: bot was blocked by the user",
            500: "Internal Server Error",
            502: "Bad Gateway",
            504: "Gateway Time-out",
        }
        canonical = self._methods.get(method.lower(), (method, None))[0]
        if description is None:
            description = defaults.get(error_code, "Bad Request: injected failure")
        for _ in range(times):
            error = ApiError(error_code, description, retry_after)
            if chat_id is None:
                self._failures[canonical].append(error)
            else:
                self._chat_failures[(canonical, chat_id)].append(error)

    def hold(self, method: str) -> None:
        """Calls of ``method`` are received (and recorded) but not answered until
        :meth:`release`: a Telegram that hangs, e.g. while the bot is killed."""
        self._held.add(self._methods.get(method.lower(), (method, None))[0])

    def release(self, method: str) -> None:
        """Answer held calls of ``method`` (those whose client is still there) and the next."""
        self._held.discard(self._methods.get(method.lower(), (method, None))[0])
        self._notify()

    # ----------------------------------------------------------------- messages and chats
    def _store(self, chat_id: int, sender: JsonDict, **fields: Any) -> StoredMessage:
        self._last_message_id[chat_id] += 1
        message = StoredMessage(
            self._last_message_id[chat_id], chat_id, sender, sender["is_bot"], int(self.now()),
            **fields,
        )
        self._messages[chat_id][message.message_id] = message
        return message

    def _payload(self, message: StoredMessage) -> JsonDict:
        payload: JsonDict = {
            "message_id": message.message_id, "from": message.sender,
            "chat": self._chats[message.chat_id], "date": message.date,
        }
        if message.edit_date is not None:
            payload["edit_date"] = message.edit_date
        if message.text is not None:
            payload["text"] = message.text
            if message.entities:
                payload["entities"] = message.entities
        payload.update(message.extra)
        if message.reply_markup is not None:
            payload["reply_markup"] = message.reply_markup
        return payload

    def _chat_id(self, params: JsonDict) -> int:
        value = params.get("chat_id")
        if value is None or value == "":
            raise bad_request("chat_id is empty")
        if isinstance(value, str) and value.startswith("@"):
            for chat in self._chats.values():
                if chat.get("username") == value[1:]:
                    return int(chat["id"])
        if isinstance(value, int) and value in self._chats:
            return value
        raise bad_request("chat not found")

    def _message_id(self, params: JsonDict) -> int:
        value = params.get("message_id")
        if not isinstance(value, int):
            raise bad_request("message identifier is not specified")
        return value

    def _bot_message(self, params: JsonDict, action: str) -> StoredMessage:
        if "inline_message_id" in params:
            raise bad_request("inline messages are not supported by the fake")
        chat_id, message_id = self._chat_id(params), self._message_id(params)
        message = self._messages[chat_id].get(message_id)
        if message is None:
            raise bad_request(f"message to {action} not found")
        if not message.from_bot:
            raise bad_request(f"message can't be {action}ed")
        return message

    def _check_deletable(self, message: StoredMessage) -> None:
        private = self._chats[message.chat_id]["type"] == "private"
        if not (private or message.from_bot):
            raise bad_request("message can't be deleted")  # the fake models no admin rights
        if self.now() - message.date >= DELETE_WINDOW_SECONDS:
            raise bad_request("message can't be deleted for everyone")

    # ----------------------------------------------------------------- Bot API methods
    async def _true(self, params: JsonDict) -> bool:
        return True

    async def _get_me(self, params: JsonDict) -> JsonDict:
        return self.bot_user

    async def _send_message(self, params: JsonDict) -> JsonDict:
        chat_id = self._chat_id(params)
        text, entities = render_text(params, strict_ampersand=self.strict_ampersand)
        markup = check_inline_markup(params.get("reply_markup"))
        reply = params.get("reply_parameters") or {}  # PTB 22 never sends reply_to_message_id
        missing = reply and reply.get("message_id") not in self._messages[chat_id]
        if missing and not reply.get("allow_sending_without_reply"):
            raise bad_request("message to be replied not found")
        message = self._store(chat_id, self.bot_user, text=text, html=params["text"],
                              entities=entities, reply_markup=markup)
        self._notify()
        return self._payload(message)

    async def _edit_message_text(self, params: JsonDict) -> JsonDict:
        message = self._bot_message(params, "edit")
        text, entities = render_text(params, strict_ampersand=self.strict_ampersand)
        # Omitting reply_markup in an edit removes the keyboard, as on Telegram.
        markup = check_inline_markup(params.get("reply_markup"))
        if (text, entities, markup) == (message.text, message.entities, message.reply_markup):
            raise bad_request(NOT_MODIFIED)
        message.text, message.html, message.entities = text, params["text"], entities
        message.reply_markup, message.edit_date = markup, int(self.now())
        self._notify()
        return self._payload(message)

    async def _edit_message_reply_markup(self, params: JsonDict) -> JsonDict:
        message = self._bot_message(params, "edit")
        markup = check_inline_markup(params.get("reply_markup"))
        if markup == message.reply_markup:
            raise bad_request(NOT_MODIFIED)
        message.reply_markup, message.edit_date = markup, int(self.now())
        self._notify()
        return self._payload(message)

    async def _delete_message(self, params: JsonDict) -> bool:
        chat_id, message_id = self._chat_id(params), self._message_id(params)
        message = self._messages[chat_id].get(message_id)
        if message is None:
            raise bad_request("message to delete not found")
        self._check_deletable(message)
        del self._messages[chat_id][message_id]
        self._deleted[chat_id].append(message_id)
        self._notify()
        return True

    async def _delete_messages(self, params: JsonDict) -> bool:
        """Skips messages that are missing or too old, as Telegram does; fails if none goes."""
        chat_id, ids = self._chat_id(params), params.get("message_ids")
        if not isinstance(ids, list) or not ids:
            raise bad_request("message identifiers are not specified")
        if len(ids) > 100:
            raise bad_request("too many message identifiers specified")
        deleted = 0
        for message_id in ids:
            with contextlib.suppress(ApiError):
                await self._delete_message({"chat_id": chat_id, "message_id": int(message_id)})
                deleted += 1
        if not deleted:
            raise bad_request("message to delete not found")
        return True

    async def _answer_callback_query(self, params: JsonDict) -> bool:
        query_id = str(params.get("callback_query_id", ""))
        if query_id not in self._open_callbacks:
            raise bad_request(QUERY_TOO_OLD)
        text = params.get("text")
        if text is not None and len(str(text)) > 200:
            raise bad_request("MESSAGE_TOO_LONG")
        self._open_callbacks.discard(query_id)
        self.answered_callbacks.append(
            {"id": query_id, "text": text, "show_alert": bool(params.get("show_alert")),
             "url": params.get("url")}
        )
        self._notify()
        return True

    async def _send_chat_action(self, params: JsonDict) -> bool:
        self._chat_id(params)
        if params.get("action") not in CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")
        return True

    def _commands_key(self, params: JsonDict) -> tuple[str, str]:
        scope = params.get("scope") or {"type": "default"}
        return json.dumps(scope, sort_keys=True), str(params.get("language_code") or "")

    async def _set_my_commands(self, params: JsonDict) -> bool:
        self._commands[self._commands_key(params)] = check_commands(params.get("commands"))
        self._notify()
        return True

    async def _get_my_commands(self, params: JsonDict) -> list[JsonDict]:
        return self._commands.get(self._commands_key(params), [])

    async def _delete_my_commands(self, params: JsonDict) -> bool:
        self._commands.pop(self._commands_key(params), None)
        return True

    # ----------------------------------------------------------------- updates: polling
    async def _get_updates(self, params: JsonDict) -> list[JsonDict]:
        if self._webhook:
            raise ApiError(409, "Conflict: can't use getUpdates method while webhook is active; "
                                "use deleteWebhook to delete the webhook first")
        offset = int(params.get("offset") or 0)
        limit = min(max(int(params.get("limit") or 100), 1), 100)
        timeout = max(float(params.get("timeout") or 0), 0.0)
        if isinstance(params.get("allowed_updates"), list):
            self._allowed_updates = list(params["allowed_updates"])
        if offset > 0:  # everything below the offset is confirmed (except fresh redeliveries)
            self._pending = [
                p for p in self._pending if p.update_id >= offset or (p.forced and not p.fetched)
            ]
        elif offset < 0:
            self._pending = self._pending[offset:]
        self._poll_generation += 1
        generation = self._poll_generation
        self._notify()  # an older long poll still waiting gets its 409 now
        await self._wait_until(
            lambda: bool(self._pending) or self._closing or bool(self._webhook)
            or generation != self._poll_generation,
            timeout,
        )
        if generation != self._poll_generation:
            raise ApiError(409, "Conflict: terminated by other getUpdates request; make sure "
                                "that only one bot instance is running")
        if self._webhook:
            raise ApiError(409, "Conflict: terminated by setWebhook request")
        batch = self._pending[:limit]
        for pending in batch:
            pending.fetched = True
        self._notify()
        return [pending.update for pending in batch]

    # ----------------------------------------------------------------- updates: webhook
    async def _set_webhook(self, params: JsonDict) -> bool:
        url = str(params.get("url") or "")
        if not url:
            return await self._delete_webhook(params)
        secret, max_connections = check_webhook(url, params)
        already = self._webhook.get("url") == url
        await self._stop_webhook_worker()
        if params.get("drop_pending_updates"):
            self._pending.clear()
        if isinstance(params.get("allowed_updates"), list):
            self._allowed_updates = list(params["allowed_updates"])
        self._webhook = {"url": url, "secret_token": secret, "max_connections": max_connections}
        self._webhook_description = "Webhook is already set" if already else "Webhook was set"
        self._webhook_task = asyncio.create_task(self._deliver_forever())
        self._notify()
        return True

    async def _delete_webhook(self, params: JsonDict) -> bool:
        was_set = bool(self._webhook)
        await self._stop_webhook_worker()
        self._webhook = {}
        if params.get("drop_pending_updates"):
            self._pending.clear()
        self._webhook_description = (
            "Webhook was deleted" if was_set else "Webhook is already deleted"
        )
        self._notify()
        return True

    async def _get_webhook_info(self, params: JsonDict) -> JsonDict:
        info: JsonDict = {
            "url": self._webhook.get("url", ""), "has_custom_certificate": False,
            "pending_update_count": len(self._pending),
        }
        if self._webhook:
            info["max_connections"] = self._webhook["max_connections"]
            info["ip_address"] = "127.0.0.1"
            for key in ("last_error_date", "last_error_message"):
                if key in self._webhook:
                    info[key] = self._webhook[key]
        if self._allowed_updates:
            info["allowed_updates"] = self._allowed_updates
        return info

    async def _stop_webhook_worker(self) -> None:
        task, self._webhook_task = self._webhook_task, None
        if task is not None and task is not asyncio.current_task():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _deliver_forever(self) -> None:
        """Deliver pending updates in order; retry a failed one until it is accepted. In
        parallel mode, an update waits only for the earlier ones of its own chat."""
        in_flight: set[int] = set()  # id() of the entries being delivered
        chats: set[int] = set()

        def next_entry() -> _Pending | None:
            limit = int(self._webhook.get("max_connections", 40)) if self.webhook_parallel else 1
            if len(in_flight) >= limit:
                return None
            for entry in self._pending:
                if id(entry) in in_flight:
                    continue
                if _chat_of(entry.update) not in chats:  # its chat's earlier ones are done
                    return entry
            return None

        async with asyncio.TaskGroup() as group:
            while self._webhook_task is asyncio.current_task():
                await self._wait_until(lambda: next_entry() is not None, 3600)
                entry = next_entry()
                if entry is None:
                    continue
                chat = _chat_of(entry.update)
                in_flight.add(id(entry))
                chats.add(chat)

                def done(_: object, entry: _Pending = entry, chat: int = chat) -> None:
                    in_flight.discard(id(entry))
                    chats.discard(chat)
                    self._notify()

                group.create_task(self._deliver(entry)).add_done_callback(done)

    async def _deliver(self, entry: _Pending) -> None:
        for delay in _webhook_retry_delays():
            await asyncio.sleep(delay)
            outcome = await self._post_update(entry.update, self._webhook.get("secret_token"))
            self.webhook_deliveries.append((entry.update_id, outcome))
            if isinstance(outcome, int) and 200 <= outcome < 300:
                break
            self._webhook["last_error_date"] = int(self.now())
            self._webhook["last_error_message"] = (
                f"Wrong response from the webhook: {outcome}"
                if isinstance(outcome, int) else outcome
            )
        if entry in self._pending:
            self._pending.remove(entry)

    async def _post_update(
        self, update: JsonDict, secret: str | None, url: str | None = None
    ) -> int | str:
        """POST one update like Telegram does; return the HTTP status or the connection error."""
        assert self._session is not None, "FakeBotApi is not started"
        target = url or self._route() or self._webhook.get("url")
        if not target:
            raise AssertionError("no webhook is set")
        headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret else {}
        try:
            async with self._session.post(
                target, json=update, headers=headers, timeout=aiohttp.ClientTimeout(total=30)
            ) as response:
                body = await response.read()
                status = response.status
        except (aiohttp.ClientError, TimeoutError) as error:
            return f"Connection failed: {error!r}"
        if 200 <= status < 300 and body:
            await self._webhook_reply(body)
        return status

    async def _webhook_reply(self, body: bytes) -> None:
        """A webhook may answer with one Bot API call (``{"method": ...}``), as on Telegram;
        it is applied and recorded like a call (its result goes nowhere)."""
        try:
            data = json.loads(body)
        except ValueError:
            return
        if not isinstance(data, dict) or not isinstance(data.get("method"), str):
            return
        name = str(data.pop("method"))
        if name.lower() not in self._methods:
            return
        method, handler = self._methods[name.lower()]
        params = normalize_params(data)
        self.calls.append(Call(method, params, time.monotonic()))
        with contextlib.suppress(ApiError):
            await handler(params)
        self._notify()

    def _route(self) -> str | None:
        if self._webhook_routes:
            url = self._webhook_routes[self._next_route % len(self._webhook_routes)]
            self._next_route += 1
            return url
        return self._webhook_route

    def route_webhook_round_robin(self, urls: list[str]) -> None:
        """Deliver updates to each of ``urls`` in turn (a load balancer in front of several
        webhook processes); an empty list goes back to the registered webhook."""
        self._webhook_routes = list(urls)
        self._next_route = 0

    def route_webhook_to(self, url: str | None) -> None:
        """Deliver to ``url`` whatever the registered webhook is (a reverse proxy, in effect)."""
        self._webhook_route = url

    async def post_to_webhook_raw(
        self, update: JsonDict, *, secret: str | EllipsisType | None = ..., url: str | None = None
    ) -> int:
        """POST ``update`` once to the webhook, bypassing the queue; ``...`` = registered secret.

        Lets tests send a wrong or missing secret and read the HTTP status the bot answered.
        """
        chosen = self._webhook.get("secret_token") if secret is ... else secret
        outcome = await self._post_update(update, chosen, url)
        if isinstance(outcome, str):
            raise AssertionError(outcome)
        return outcome

    @property
    def webhook(self) -> JsonDict:
        """The registered webhook (url, secret_token, max_connections, last_error_*), or {}."""
        return dict(self._webhook)

    # ----------------------------------------------------------------- the user's side
    def _allowed(self, update: JsonDict) -> bool:
        kind = next((key for key in update if key != "update_id"), "")
        if self._allowed_updates:
            return kind in self._allowed_updates
        return kind not in DEFAULT_EXCLUDED_UPDATES

    def _enqueue(self, update: JsonDict, *, forced: bool = False) -> None:
        if not forced:
            self.last_update = update
        self._last_update_id = max(self._last_update_id, int(update["update_id"]))
        self._pending.append(_Pending(update, forced=forced))
        self._pending.sort(key=lambda p: p.update_id)
        self._notify()

    def queue_raw_update(
        self, update: JsonDict, *, respect_allowed_updates: bool = True
    ) -> JsonDict:
        """Queue any update (an ``update_id`` is added if missing); returns it.

        Like Telegram, an update type the bot did not ask for (allowed_updates) is never
        created — pass ``respect_allowed_updates=False`` to force it through anyway.
        """
        if "update_id" not in update:
            update = {"update_id": self._last_update_id + 1, **update}
        if not respect_allowed_updates or self._allowed(update):
            self._enqueue(update)
        return update

    def redeliver(self, update: JsonDict) -> None:
        """Deliver the same update (same update_id) once more, as Telegram does after a crash."""
        self._enqueue(dict(update), forced=True)

    def _user_sends(
        self, user_id: int, content: JsonDict, *, chat_type: str = "private",
        chat_id: int | None = None, first_name: str = "Test",
    ) -> JsonDict:
        """Store a user's message (the chat becomes known) and queue its update."""
        chat_id = user_id if chat_id is None else chat_id
        if chat_type == "private" and chat_id != user_id:
            raise ValueError("a private chat's id is the user's id")
        chat: JsonDict = {"id": chat_id, "type": chat_type}
        chat.update({"first_name": first_name} if chat_type == "private" else {"title": "Test"})
        self._chats.setdefault(chat_id, chat)
        sender = {"id": user_id, "is_bot": False, "first_name": first_name, "language_code": "fr"}
        message = self._store(chat_id, sender, text=content.pop("text", None),
                              entities=content.pop("entities", []), extra=content)
        return self.queue_raw_update({"message": self._payload(message)})

    def user_sends_text(
        self, user_id: int, text: str, *, chat_type: str = "private",
        chat_id: int | None = None, first_name: str = "Test",
    ) -> JsonDict:
        """Queue a text message from the user; returns the update."""
        return self._user_sends(
            user_id, {"text": text}, chat_type=chat_type, chat_id=chat_id, first_name=first_name
        )

    def user_sends_command(
        self, user_id: int, command: str, *, chat_type: str = "private",
        chat_id: int | None = None, first_name: str = "Test",
    ) -> JsonDict:
        """Like ``user_sends_text`` plus the ``bot_command`` entity Telegram adds to ``/cmd``."""
        assert command.startswith("/"), "a command starts with /"
        entity = {"type": "bot_command", "offset": 0,
                  "length": utf16_len(command.split(maxsplit=1)[0])}
        return self._user_sends(
            user_id, {"text": command, "entities": [entity]}, chat_type=chat_type,
            chat_id=chat_id, first_name=first_name,
        )

    def user_sends_sticker(self, user_id: int) -> JsonDict:
        return self._user_sends(user_id, {"sticker": {
            "file_id": "CAACAgIAAxkBAAFake", "file_unique_id": "AgADFake", "type": "regular",
            "width": 512, "height": 512, "is_animated": False, "is_video": False, "emoji": "👍",
        }})

    def user_sends_photo(self, user_id: int) -> JsonDict:
        return self._user_sends(user_id, {"photo": [
            {"file_id": "AgACAgQAAxkBAAFakeS", "file_unique_id": "AQADFakeS", "width": 90,
             "height": 90, "file_size": 1200},
            {"file_id": "AgACAgQAAxkBAAFakeM", "file_unique_id": "AQADFakeM", "width": 800,
             "height": 800, "file_size": 64000},
        ]})

    def user_sends_voice(self, user_id: int) -> JsonDict:
        return self._user_sends(user_id, {"voice": {
            "file_id": "AwACAgQAAxkBAAFake", "file_unique_id": "AgADFakeV", "duration": 3,
            "mime_type": "audio/ogg", "file_size": 9000,
        }})

    def user_edits_message(self, user_id: int, message_id: int, new_text: str) -> JsonDict:
        """The user edits one of their messages (private chat): queues an edited_message."""
        message = self._messages[user_id].get(message_id)
        if message is None or message.from_bot:
            raise LookupError(f"user {user_id} has no message {message_id}")
        message.text, message.edit_date = new_text, int(self.now())
        return self.queue_raw_update({"edited_message": self._payload(message)})

    def user_presses(
        self, user_id: int, message_id: int, callback_data: str, *, chat_id: int | None = None
    ) -> str:
        """The user presses a button of a bot message; returns the callback query id.

        ``callback_data`` is not checked against the keyboard: a forged one must reach the bot.
        """
        chat_id = user_id if chat_id is None else chat_id
        message = self._messages[chat_id].get(message_id)
        if message is None or not message.from_bot:
            raise LookupError(f"no bot message {message_id} in chat {chat_id}")
        self._callback_ids += 1
        query_id = str(self._callback_ids)
        self._open_callbacks.add(query_id)
        sender = {"id": user_id, "is_bot": False, "first_name": "Test", "language_code": "fr"}
        self.queue_raw_update({"callback_query": {
            "id": query_id, "from": sender, "message": self._payload(message),
            "chat_instance": str(-7919 * abs(chat_id)), "data": callback_data,
        }})
        return query_id

    # ----------------------------------------------------------------- inspection
    def sent_messages(self, chat_id: int) -> list[JsonDict]:
        """The bot's current (not deleted) messages in ``chat_id``, oldest first."""
        return [
            {"message_id": m.message_id, "text": m.text, "html": m.html, "entities": m.entities,
             "reply_markup": m.reply_markup, "date": m.date, "edit_date": m.edit_date}
            for m in sorted(self._messages[chat_id].values(), key=lambda m: m.message_id)
            if m.from_bot
        ]

    def deleted_message_ids(self, chat_id: int) -> list[int]:
        return list(self._deleted[chat_id])

    @property
    def commands(self) -> list[JsonDict]:
        """Commands of the default scope and language, as set by setMyCommands."""
        return self._commands.get(self._commands_key({}), [])

    @property
    def pending_update_ids(self) -> list[int]:
        return [pending.update_id for pending in self._pending]

    def _describe(self) -> str:
        recent = [f"{e.method} {e.error_code} {e.description}" for e in self.errors[-5:]]
        return f"pending updates {self.pending_update_ids}, recent errors {recent}"

    async def wait_for_messages(
        self, chat_id: int, count: int, timeout: float = 10  # noqa: ASYNC109 (own deadline)
    ) -> list[JsonDict]:
        """Wait until the bot has at least ``count`` messages in the chat; return them all."""
        if await self._wait_until(lambda: len(self.sent_messages(chat_id)) >= count, timeout):
            return self.sent_messages(chat_id)
        texts = [m["text"] for m in self.sent_messages(chat_id)]
        raise AssertionError(
            f"expected {count} bot messages in chat {chat_id} within {timeout}s, got "
            f"{len(texts)}: {texts}; {self._describe()}"
        )

    async def wait_for_call(
        self, method: str, predicate: Callable[[JsonDict], bool] | None = None,
        timeout: float = 10,  # noqa: ASYNC109 (own deadline)
        *, after: int = 0,
    ) -> Call:
        """Wait for a call of ``method`` (among ``calls[after:]``) whose params match."""
        def find() -> Call | None:
            for call in self.calls[after:]:
                if call.method == method and (predicate is None or predicate(call.params)):
                    return call
            return None

        if await self._wait_until(lambda: find() is not None, timeout):
            found = find()
            assert found is not None
            return found
        seen = [call.method for call in self.calls[after:]]
        raise AssertionError(f"no matching {method} call within {timeout}s; calls: {seen}")

    async def wait_until_updates_confirmed(
        self, timeout: float = 10  # noqa: ASYNC109 (own deadline)
    ) -> None:
        """Wait until every queued update was confirmed (polling offset) or delivered (webhook)."""
        if not await self._wait_until(lambda: not self._pending, timeout):
            fetched = [p.update_id for p in self._pending if p.fetched]
            raise AssertionError(
                f"updates not confirmed within {timeout}s (fetched but unconfirmed: {fetched}); "
                f"{self._describe()}"
            )

    async def wait_for(
        self, predicate: Callable[[], bool], what: str,
        timeout: float = 10,  # noqa: ASYNC109 (own deadline)
    ) -> None:
        """Wait until ``predicate()`` holds, re-checked at every change the fake sees (a call,
        a message, a delivery); fail saying ``what`` did not happen."""
        if not await self._wait_until(predicate, timeout):
            raise AssertionError(f"{what} did not happen within {timeout}s; {self._describe()}")
