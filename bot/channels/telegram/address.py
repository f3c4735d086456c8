"""Sealed chat addresses: the outbox knows where to send without holding a Telegram id.

An outbox entry must say which chat it goes to, and it lives in the database until Telegram
accepts it. The chat id is therefore stored *sealed*: encrypted with AES-GCM under a key
derived (HKDF-SHA256) from the pseudonym secret, which never enters the database
(``ENTRAIDE_SECRET`` or the key file beside it, :mod:`bot.storage.pseudonym`). A copy of
the database alone cannot be turned back into Telegram ids; the running bot can.

Each seal uses a fresh random nonce, so the same chat gives a different address each time:
addresses cannot be compared to link entries together. Entries are grouped by the chat's
pseudonym, never by address. GCM also authenticates: an address sealed under another key
(the secret was changed) or altered is refused with :class:`SealError`, never misdelivered.
"""

from __future__ import annotations

import base64
import os
from typing import Final

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

INFO: Final = b"entraide telegram chat address v1"
"""HKDF context: this key is for addresses only, distinct from the pseudonym HMAC key."""
NONCE_BYTES: Final = 12
PREFIX: Final = "a1."
"""Format version, so a later scheme can be told apart."""


class SealError(ValueError):
    """The address was sealed under another key, or was altered: it cannot be opened."""


class Sealer:
    """Seals and opens chat ids with a key derived from the pseudonym secret."""

    def __init__(self, secret: bytes) -> None:
        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=INFO).derive(secret)
        self._aead = AESGCM(key)

    def seal(self, chat_id: int) -> str:
        """An opaque, authenticated address for ``chat_id``."""
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, str(chat_id).encode("ascii"), None)
        return PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode("ascii")

    def open(self, address: str) -> int:
        """The chat id inside ``address``; raise :class:`SealError` if it is not ours."""
        if not address.startswith(PREFIX):
            raise SealError("unknown address format")
        try:
            raw = base64.urlsafe_b64decode(address[len(PREFIX):])
            plain = self._aead.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], None)
            return int(plain.decode("ascii"))
        except (InvalidTag, ValueError) as exc:
            raise SealError("address sealed under another key, or altered") from exc
