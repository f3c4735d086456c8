"""The SQLite schema, as numbered migrations applied in place (``PRAGMA user_version``).

Each migration runs in one ``BEGIN IMMEDIATE`` transaction together with the bump of
``user_version``: a process killed halfway leaves the previous version intact (SQLite rolls
the unfinished transaction back), and the next open runs the migration again from its start.
Migrations only ever get appended; a released one is never edited.
"""

from __future__ import annotations

import sqlite3

MIGRATIONS: list[list[str]] = [
    # version 1: the first release (handled update ids were linked to a pseudonym).
    [
        """CREATE TABLE conversations (
            pseudonym TEXT PRIMARY KEY,
            state TEXT NOT NULL,
            updated_at TEXT NOT NULL
        )""",
        """CREATE TABLE handled_updates (
            pseudonym TEXT NOT NULL,
            update_id INTEGER NOT NULL,
            handled_at TEXT NOT NULL,
            PRIMARY KEY (pseudonym, update_id)
        )""",
        """CREATE TABLE recent_messages (
            pseudonym TEXT NOT NULL,
            message_id INTEGER NOT NULL,
            sent_at TEXT NOT NULL,
            PRIMARY KEY (pseudonym, message_id)
        )""",
        """CREATE TABLE counters (
            day TEXT NOT NULL,
            flow TEXT NOT NULL,
            outcome TEXT NOT NULL,
            count INTEGER NOT NULL,
            PRIMARY KEY (day, flow, outcome)
        )""",
    ],
    # version 2: update ids linked to nobody (remembered after /oubli), the outbox, and
    # indexes for expiry.
    [
        """CREATE TABLE handled_updates_v2 (
            update_id INTEGER PRIMARY KEY,
            handled_at TEXT NOT NULL
        )""",
        """INSERT OR IGNORE INTO handled_updates_v2 (update_id, handled_at)
            SELECT update_id, MIN(handled_at) FROM handled_updates GROUP BY update_id""",
        "DROP TABLE handled_updates",
        "ALTER TABLE handled_updates_v2 RENAME TO handled_updates",
        "CREATE INDEX handled_updates_by_age ON handled_updates (handled_at)",
        # keep_ids = 0: queued after the chat was forgotten (the "erased" confirmation):
        # its message id is not remembered once Telegram accepts it.
        """CREATE TABLE outbox (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            chat TEXT NOT NULL,
            address TEXT NOT NULL,
            payload TEXT NOT NULL,
            created_at TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            not_before TEXT NOT NULL DEFAULT '',
            keep_ids INTEGER NOT NULL DEFAULT 1
        )""",
        "CREATE INDEX outbox_by_chat ON outbox (chat, id)",
        "CREATE INDEX outbox_by_age ON outbox (created_at)",
        """CREATE TABLE outbox_leases (
            chat TEXT PRIMARY KEY,
            owner TEXT NOT NULL,
            until TEXT NOT NULL
        )""",
        "CREATE INDEX conversations_by_age ON conversations (updated_at)",
        "CREATE INDEX recent_messages_by_age ON recent_messages (sent_at)",
    ],
]

VERSION = len(MIGRATIONS)


def migrate(db: sqlite3.Connection) -> int:
    """Bring ``db`` (autocommit mode) to :data:`VERSION`; returns the version found."""
    found = int(db.execute("PRAGMA user_version").fetchone()[0])
    if found > VERSION:
        raise sqlite3.DatabaseError(
            f"schema version {found} is newer than this program's {VERSION}: "
            "run the newer version, or restore a backup"
        )
    for number in range(found + 1, VERSION + 1):
        db.execute("BEGIN IMMEDIATE")
        try:
            for statement in MIGRATIONS[number - 1]:
                db.execute(statement)
            db.execute(f"PRAGMA user_version = {number}")
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
    return found
