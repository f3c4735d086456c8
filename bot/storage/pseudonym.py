"""Pseudonyms: users are stored under a keyed hash, never under their Telegram id.

The key lives outside the database (``ENTRAIDE_SECRET``) or in a file created once
beside it with owner-only permissions, so a copy of the database alone cannot be
linked back to Telegram accounts.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import secrets
from pathlib import Path

log = logging.getLogger(__name__)


def load_secret(db_path: str, env_value: str | None) -> bytes:
    """The pseudonym key: from the environment, or a file beside the database."""
    if env_value:
        return env_value.encode("utf-8")
    if db_path == ":memory:":
        return secrets.token_bytes(32)
    key_file = Path(db_path).with_name(Path(db_path).name + ".key")
    if key_file.exists():
        key_file.chmod(0o600)  # owner only, even if someone loosened it
        return bytes.fromhex(key_file.read_text(encoding="ascii").strip())
    key = secrets.token_bytes(32)
    key_file.parent.mkdir(parents=True, exist_ok=True)
    old_umask = os.umask(0o077)
    try:
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    finally:
        os.umask(old_umask)
    os.fchmod(fd, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(key.hex())
    log.info("created a new pseudonym key beside the database")
    return key


def pseudonym(secret: bytes, channel: str, user_id: int | str) -> str:
    """Stable, non-reversible identifier of a user on a channel."""
    message = f"{channel}:{user_id}".encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()[:32]
