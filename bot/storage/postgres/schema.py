"""The PostgreSQL schema, as numbered migrations recorded in ``schema_version``.

Several processes may start at once (a deploy with two instances): migrations run under a
session advisory lock, so one process migrates while the others wait, then find nothing
left to do. Each migration runs in its own transaction together with the row recording it;
PostgreSQL's DDL is transactional, so a process killed halfway leaves the previous version
intact and usable, and the next start runs that migration again from its start.
Migrations only ever get appended; a released one is never edited.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from ..base import StorageError
from .connection import Connection

log = logging.getLogger(__name__)

MIGRATION_LOCK = 0x656E7472  # "entr": the advisory lock key of migrations (bigint form)

MIGRATIONS: list[list[str]] = [
    # version 1: the schema of SQLite's version 2 (the first PostgreSQL release).
    [
        """CREATE TABLE conversations (
            pseudonym TEXT PRIMARY KEY,
            state TEXT NOT NULL,
            updated_at TIMESTAMPTZ NOT NULL
        )""",
        "CREATE INDEX conversations_by_age ON conversations (updated_at)",
        """CREATE TABLE handled_updates (
            update_id BIGINT PRIMARY KEY,
            handled_at TIMESTAMPTZ NOT NULL
        )""",
        "CREATE INDEX handled_updates_by_age ON handled_updates (handled_at)",
        """CREATE TABLE recent_messages (
            pseudonym TEXT NOT NULL,
            message_id BIGINT NOT NULL,
            sent_at TIMESTAMPTZ NOT NULL,
            PRIMARY KEY (pseudonym, message_id)
        )""",
        "CREATE INDEX recent_messages_by_age ON recent_messages (sent_at)",
        """CREATE TABLE counters (
            day DATE NOT NULL,
            flow TEXT NOT NULL,
            outcome TEXT NOT NULL,
            count BIGINT NOT NULL,
            PRIMARY KEY (day, flow, outcome)
        )""",
        # keep_ids false: queued after the chat was forgotten (the "erased" confirmation):
        # its message id is not remembered once Telegram accepts it.
        """CREATE TABLE outbox (
            id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            chat TEXT NOT NULL,
            address TEXT NOT NULL,
            payload TEXT NOT NULL,
            created_at TIMESTAMPTZ NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            not_before TIMESTAMPTZ,
            keep_ids BOOLEAN NOT NULL DEFAULT TRUE
        )""",
        "CREATE INDEX outbox_by_chat ON outbox (chat, id)",
        "CREATE INDEX outbox_by_age ON outbox (created_at)",
        """CREATE TABLE outbox_leases (
            chat TEXT PRIMARY KEY,
            owner TEXT NOT NULL,
            until TIMESTAMPTZ NOT NULL
        )""",
    ],
]

VERSION = len(MIGRATIONS)

TABLES = (
    "conversations",
    "handled_updates",
    "recent_messages",
    "counters",
    "outbox",
    "outbox_leases",
)


async def current_version(conn: Connection) -> int:
    row = await (
        await conn.execute("SELECT coalesce(max(version), 0) FROM schema_version")
    ).fetchone()
    return int(row[0]) if row else 0  # type: ignore[call-overload]


async def migrate(conn: Connection, migrations: Sequence[Sequence[str]] = MIGRATIONS) -> int:
    """Bring the database to ``len(migrations)`` on ``conn`` (autocommit); returns the
    version found. Raises StorageError if the database is newer than this program."""
    await conn.execute("SELECT pg_advisory_lock(%s)", (MIGRATION_LOCK,))
    try:
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_version ("
            "version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())"
        )
        found = await current_version(conn)
        if found > len(migrations):
            raise StorageError(
                f"schema version {found} is newer than this program's {len(migrations)}: "
                "run the newer version, or restore a backup"
            )
        for number in range(found + 1, len(migrations) + 1):
            async with conn.transaction():
                for statement in migrations[number - 1]:
                    await conn.execute(statement)
                await conn.execute("INSERT INTO schema_version (version) VALUES (%s)", (number,))
            log.info("PostgreSQL schema migrated to version %d", number)
        return found
    finally:
        await conn.execute("SELECT pg_advisory_unlock(%s)", (MIGRATION_LOCK,))
