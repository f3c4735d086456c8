"""Which store runs: ``DATABASE_URL=postgresql://…`` selects PostgreSQL, otherwise SQLite at
``ENTRAIDE_DB``. The one place that chooses, so no channel knows which backend it has.

With PostgreSQL the bot runs on a host whose disk is wiped at every deploy: the pseudonym
key must come from ``ENTRAIDE_SECRET``, never from a key file created beside the database
(it would be lost, and every returning user would become a stranger).
"""

from __future__ import annotations

from bot.config import ConfigError, Settings

from .base import Store
from .pseudonym import load_secret

POSTGRES_SCHEMES = ("postgresql://", "postgres://")


def uses_postgres(settings: Settings) -> bool:
    return bool(settings.database_url)


def _check(settings: Settings) -> None:
    url = settings.database_url
    if url is None:
        return
    if not url.startswith(POSTGRES_SCHEMES):
        raise ConfigError(
            "DATABASE_URL must start with postgresql:// (or postgres://); "
            "unset it to use SQLite at ENTRAIDE_DB"
        )
    if not settings.secret:
        raise ConfigError(
            "ENTRAIDE_SECRET is required with DATABASE_URL: the pseudonym key must survive "
            "deploys, so it is not generated on this disk. Set ENTRAIDE_SECRET to a long "
            "random value (for example: python -c 'import secrets; print(secrets.token_hex(32))') "
            "and keep it outside the database"
        )


def create_store(settings: Settings) -> Store:
    """The configured store, not yet open; ConfigError if the settings cannot work."""
    _check(settings)
    if settings.database_url:
        from .postgres import PostgresStore

        return PostgresStore(settings.database_url, settings.retention)
    from .sqlite import SqliteStore

    return SqliteStore(settings.db_path, settings.retention)


def pseudonym_secret(settings: Settings) -> bytes:
    """The pseudonym key: ``ENTRAIDE_SECRET``, or (SQLite only) the key file beside it."""
    _check(settings)
    return load_secret(settings.db_path, settings.secret)
