"""Settings from the environment, read once at start."""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from pathlib import Path


class ConfigError(Exception):
    """A setting is missing or malformed; the message says which and how to fix it."""


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, got {raw!r}") from None


@dataclass(frozen=True)
class Settings:
    """Where the content and the database are, and how long data is kept."""

    flows_dir: Path = field(default_factory=lambda: Path("flows"))
    knowledge_dir: Path = field(default_factory=lambda: Path("knowledge"))
    db_path: str = "entraide.db"
    database_url: str | None = None
    """``DATABASE_URL`` (``postgresql://…``): PostgreSQL instead of SQLite at ``db_path``."""
    secret: str | None = None
    retention: dt.timedelta = dt.timedelta(days=30)

    @classmethod
    def from_env(cls) -> Settings:
        days = _int("ENTRAIDE_RETENTION_DAYS", 30)
        if days < 1:
            raise ConfigError("ENTRAIDE_RETENTION_DAYS must be at least 1")
        return cls(
            flows_dir=Path(os.environ.get("ENTRAIDE_FLOWS") or "flows"),
            knowledge_dir=Path(os.environ.get("ENTRAIDE_KNOWLEDGE") or "knowledge"),
            db_path=os.environ.get("ENTRAIDE_DB") or "entraide.db",
            database_url=os.environ.get("DATABASE_URL") or None,
            secret=os.environ.get("ENTRAIDE_SECRET") or None,
            retention=dt.timedelta(days=days),
        )
