"""Keep the bot token and user messages out of the logs, whatever the log level.

Two leaks exist in the libraries we use:

- httpx logs every request URL at INFO, and Bot API URLs contain the token
  (``.../bot<TOKEN>/sendMessage``); python-telegram-bot's network errors may quote them too.
- python-telegram-bot logs whole updates ("Processing update ...") and request parameters
  (message text) at DEBUG.

So :func:`protect_logs` raises those loggers to a safe minimum level *and* installs a log
record factory that replaces anything shaped like a bot token, in every record, before any
handler (including ones added later, such as pytest's) sees it.
"""

from __future__ import annotations

import logging
import re
from typing import Any, Final

REDACTED: Final = "<bot-token>"
TOKEN_SHAPE: Final = re.compile(r"(?<!\d)\d{5,16}:[A-Za-z0-9_-]{30,100}")
"""Any bot token, also inside a URL (``/bot123:ABC.../getMe``)."""

MINIMUM_LEVELS: Final = {
    "httpx": logging.WARNING,
    "httpcore": logging.WARNING,
    "telegram": logging.INFO,
    "tornado.access": logging.WARNING,
    "aiosqlite": logging.INFO,
}
"""Below these levels, those libraries log URLs with the token, the users' messages, or
(aiosqlite) every SQL parameter, conversation states included."""

_tokens: set[str] = set()
_previous_factory: Any = None


def redact(text: str) -> str:
    """``text`` with every known token, and anything token-shaped, replaced."""
    for token in _tokens:
        text = text.replace(token, REDACTED)
    return TOKEN_SHAPE.sub(REDACTED, text)


def _scrub(record: logging.LogRecord) -> None:
    try:
        message = record.getMessage()
    except Exception:  # a malformed call: leave it to logging's own error reporting
        return
    clean = redact(message)
    if clean != message:
        record.msg, record.args = clean, None
    if record.exc_info and not record.exc_text:
        text = logging.Formatter().formatException(record.exc_info)
        clean = redact(text)
        if clean != text:
            record.exc_text = clean
    if record.stack_info:
        record.stack_info = redact(record.stack_info)


def _factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
    record: logging.LogRecord = _previous_factory(*args, **kwargs)
    _scrub(record)
    return record


def protect_logs(token: str) -> None:
    """Install the redaction (once per process) and raise the leaky loggers' levels."""
    global _previous_factory
    _tokens.add(token)
    if _previous_factory is None:
        _previous_factory = logging.getLogRecordFactory()
        logging.setLogRecordFactory(_factory)
    for name, minimum in MINIMUM_LEVELS.items():
        logger = logging.getLogger(name)
        if logger.getEffectiveLevel() < minimum:
            logger.setLevel(minimum)
