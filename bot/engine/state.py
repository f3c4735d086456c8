"""Conversation state: small, versioned, JSON-serialisable, and free of user text.

It holds node addresses, structured answers (status, department code, numbers)
and the options of the screen on display. Never the words the user typed.
"""

from __future__ import annotations

import json
import logging

from pydantic import BaseModel, ConfigDict, Field, ValidationError

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1
MAX_HISTORY = 30
"""Enough to go back through any real conversation; bounded so the state stays small."""


class Frame(BaseModel):
    """A screen the user left, with the answers known when it was shown."""

    model_config = ConfigDict(frozen=True)
    node: str
    variables: dict[str, str] = Field(default_factory=dict)


class Option(BaseModel):
    """One button of the screen on display: what it does, and its label for typed answers."""

    model_config = ConfigDict(frozen=True)
    action: str
    label: str


class State(BaseModel):
    """Everything the engine remembers about one conversation."""

    model_config = ConfigDict(frozen=True)
    schema_version: int = SCHEMA_VERSION
    nonce: str = "0"
    content_version: str = ""
    node: str | None = None
    variables: dict[str, str] = Field(default_factory=dict)
    history: tuple[Frame, ...] = ()
    screen: int = 0
    options: tuple[Option, ...] = ()
    awaiting: str | None = None
    """Address of the node whose free-text input (department, number) is expected."""

    def to_json(self) -> str:
        """Compact JSON for storage."""
        return self.model_dump_json(exclude_defaults=False)

    @classmethod
    def fresh(cls, nonce: str) -> State:
        """A new conversation; ``nonce`` makes buttons of an erased conversation stale."""
        return cls(nonce=nonce)

    @classmethod
    def from_json(cls, raw: str | None, nonce: str) -> State:
        """Load a stored state; anything unreadable gives a fresh state, never an exception."""
        if not raw:
            return cls.fresh(nonce)
        try:
            data = json.loads(raw)
            if not isinstance(data, dict):
                raise TypeError("state is not an object")
            data = _migrate(data)
            return cls.model_validate(data)
        except (ValueError, TypeError, ValidationError) as exc:
            log.warning("unreadable stored state replaced by a fresh one: %s", type(exc).__name__)
            return cls.fresh(nonce)


def _migrate(data: dict[str, object]) -> dict[str, object]:
    """Bring a state saved by an older version of the bot up to date."""
    version = data.get("schema_version", 1)
    if version != SCHEMA_VERSION:
        # Only version 1 exists; a future version adds its step here.
        raise ValueError(f"unknown state schema {version}")
    return data
