"""What runs in the SQLite store's database thread: one function per operation, each write one
``BEGIN IMMEDIATE`` transaction (see :mod:`bot.storage.sqlite` for why, and for erasure)."""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
from pathlib import Path
from typing import Any

from .base import (
    HANDLED_UPDATES_KEPT,
    OUTBOX_KEPT,
    RECENT_MESSAGES_KEPT,
    OutboxEntry,
    Purged,
)
from .buffered import Op, keeps_ids
from .sqlite_schema import migrate

FILE_MODE = 0o600
BUSY_TIMEOUT_MS = 10_000


def iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat(timespec="microseconds")


def is_corruption(exc: BaseException) -> bool:
    """A damaged or foreign file, as opposed to a path that cannot be opened."""
    text = str(exc).lower()
    return "not a database" in text or "malformed" in text or "corrupt" in text


def private_files(path: str) -> None:
    """Database, WAL and SHM readable by the owner only (SQLite gives -wal and -shm the
    mode of the database file, so creating that one 0600 is what matters)."""
    for suffix in ("", "-wal", "-shm"):
        target = Path(path + suffix)
        if target.exists():
            target.chmod(FILE_MODE)


def connect(path: str) -> sqlite3.Connection:
    """Create (0600) or open the file, check it, switch to WAL, migrate."""
    if path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        old_umask = os.umask(0o077)
        try:
            os.close(os.open(path, os.O_RDWR | os.O_CREAT, FILE_MODE))
        finally:
            os.umask(old_umask)
        private_files(path)
    db = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
    try:
        db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        row = db.execute("PRAGMA quick_check").fetchone()
        if row is None or row[0] != "ok":
            raise sqlite3.DatabaseError(
                f"integrity check failed (corrupt): {row[0] if row else 'no answer'}"
            )
        db.execute("PRAGMA secure_delete = ON")
        db.execute("PRAGMA journal_mode = WAL")
        db.execute("PRAGMA synchronous = FULL")
        migrate(db)
    except BaseException:
        db.close()
        raise
    if path != ":memory:":
        private_files(path)
    return db


class Write:
    """``with Write(db):`` one ``BEGIN IMMEDIATE`` … ``COMMIT`` (``ROLLBACK`` on error).

    ``durable=False`` commits without waiting for the disk (``synchronous = NORMAL`` for
    that transaction; an fsync costs about 0.2 ms of CPU here, 0.02 ms without): in WAL
    mode such a commit survives a crash of the process, and only a power loss or a crash
    of the machine may undo it, until the next durable commit syncs it too. Used for the
    leases alone, which say who delivers a chat now and mean nothing after a reboot; what a
    turn decided, and the removal of what was sent, always wait for the disk.
    """

    def __init__(self, db: sqlite3.Connection, *, durable: bool = True) -> None:
        self.db, self.durable = db, durable

    def __enter__(self) -> sqlite3.Connection:
        if not self.durable:
            self.db.execute("PRAGMA synchronous = NORMAL")
        try:
            self.db.execute("BEGIN IMMEDIATE")
        except BaseException:  # no __exit__ then: the next turn must still wait for the disk
            self._durable_again()
            raise
        return self.db

    def __exit__(self, kind: object, value: object, traceback: object) -> None:
        try:
            self.db.execute("COMMIT" if kind is None else "ROLLBACK")
        finally:
            self._durable_again()

    def _durable_again(self) -> None:
        if not self.durable:
            self.db.execute("PRAGMA synchronous = FULL")


def checkpoint(db: sqlite3.Connection) -> None:
    """Copy the (zeroed) pages into the main file and empty the WAL."""
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()


def mark_forgotten_sends(ops: list[Op]) -> list[Op]:
    """Each ``send`` gets its ``keep_ids`` flag (:func:`~.buffered.keeps_ids`)."""
    marks = keeps_ids(ops)
    return [(*op, keep) if op[0] == "send" else op for op, keep in zip(ops, marks, strict=True)]


def begin(
    db: sqlite3.Connection, pseudonym: str, update_id: int | None
) -> tuple[bool, str | None]:
    if update_id is not None and db.execute(
        "SELECT 1 FROM handled_updates WHERE update_id = ?", (update_id,)
    ).fetchone():
        return True, None
    row = db.execute("SELECT state FROM conversations WHERE pseudonym = ?", (pseudonym,)).fetchone()
    return False, (str(row[0]) if row else None)


def commit(
    db: sqlite3.Connection, pseudonym: str, update_id: int | None, now: dt.datetime, ops: list[Op]
) -> bool:
    """Apply one turn; False (nothing written) if its update id was claimed meanwhile."""
    stamp, day = iso(now), now.astimezone(dt.UTC).date().isoformat()
    erased = False
    with Write(db):
        if update_id is not None:
            claimed = db.execute(
                "INSERT OR IGNORE INTO handled_updates (update_id, handled_at) VALUES (?, ?)",
                (update_id, stamp),
            )
            if claimed.rowcount == 0:
                raise AlreadyClaimed
        for op in ops:
            kind = op[0]
            if kind == "save":
                db.execute(
                    "INSERT INTO conversations (pseudonym, state, updated_at) VALUES (?, ?, ?) "
                    "ON CONFLICT(pseudonym) DO UPDATE SET state = excluded.state, "
                    "updated_at = excluded.updated_at",
                    (pseudonym, op[1], stamp),
                )
            elif kind == "forget":
                erase(db, pseudonym)
                erased = True
            elif kind == "count":
                db.execute(
                    "INSERT INTO counters (day, flow, outcome, count) VALUES (?, ?, ?, 1) "
                    "ON CONFLICT(day, flow, outcome) DO UPDATE SET count = count + 1",
                    (day, op[1], op[2]),
                )
            elif kind == "send":
                db.execute(
                    "INSERT INTO outbox (chat, address, payload, created_at, keep_ids) "
                    "VALUES (?, ?, ?, ?, ?)",
                    (pseudonym, op[1], op[2], stamp, int(op[3])),
                )
            elif kind == "remember":
                db.executemany(
                    "INSERT OR IGNORE INTO recent_messages (pseudonym, message_id, sent_at) "
                    "VALUES (?, ?, ?)",
                    [(pseudonym, i, stamp) for i in op[1]],
                )
    if erased:
        checkpoint(db)
    return True


class AlreadyClaimed(Exception):
    """Internal: the update id was claimed between the read and the write of a turn."""


def erase(db: sqlite3.Connection, pseudonym: str) -> None:
    db.execute("DELETE FROM conversations WHERE pseudonym = ?", (pseudonym,))
    db.execute("DELETE FROM outbox WHERE chat = ?", (pseudonym,))
    db.execute("DELETE FROM outbox_leases WHERE chat = ?", (pseudonym,))
    db.execute("DELETE FROM recent_messages WHERE pseudonym = ?", (pseudonym,))


def entry(row: sqlite3.Row | tuple[Any, ...]) -> OutboxEntry:
    return OutboxEntry(
        id=int(row[0]),
        chat=str(row[1]),
        address=str(row[2]),
        payload=str(row[3]),
        created_at=dt.datetime.fromisoformat(str(row[4])),
        attempts=int(row[5]),
    )


def claim(
    db: sqlite3.Connection, owner: str, now: dt.datetime, lease: dt.timedelta, limit: int
) -> list[OutboxEntry]:
    stamp = iso(now)
    with Write(db, durable=False):  # only leases are written
        rows = db.execute(
            "SELECT o.id, o.chat, o.address, o.payload, o.created_at, o.attempts FROM outbox o "
            "LEFT JOIN outbox_leases l ON l.chat = o.chat "
            "WHERE (l.chat IS NULL OR l.owner = ? OR l.until <= ?) "
            "AND o.chat NOT IN (SELECT chat FROM outbox WHERE not_before > ?) "
            "ORDER BY o.id LIMIT ?",
            (owner, stamp, stamp, limit),
        ).fetchall()
        entries = [entry(r) for r in rows]
        until = iso(now + lease)
        db.executemany(
            "INSERT INTO outbox_leases (chat, owner, until) VALUES (?, ?, ?) "
            "ON CONFLICT(chat) DO UPDATE SET owner = excluded.owner, until = excluded.until",
            [(chat, owner, until) for chat in dict.fromkeys(e.chat for e in entries)],
        )
    return entries


def delivered(
    db: sqlite3.Connection, sent: OutboxEntry, message_id: int | None, now: dt.datetime,
    release: str | None,
) -> None:
    with Write(db):
        if release is not None:  # the run's last entry: its lease ends in this transaction
            db.execute(
                "DELETE FROM outbox_leases WHERE owner = ? AND chat = ?", (release, sent.chat)
            )
        row = db.execute("SELECT chat, keep_ids FROM outbox WHERE id = ?", (sent.id,)).fetchone()
        if row is None:  # forgotten (or dropped) while it was being sent: keep nothing
            return
        chat, keep = str(row[0]), bool(row[1])
        db.execute("DELETE FROM outbox WHERE id = ?", (sent.id,))
        if keep and message_id is not None:
            db.execute(
                "INSERT OR IGNORE INTO recent_messages (pseudonym, message_id, sent_at) "
                "VALUES (?, ?, ?)",
                (chat, message_id, iso(now)),
            )
        last = keep or db.execute("SELECT 1 FROM outbox WHERE chat = ?", (chat,)).fetchone()
        if not last:  # the forgotten chat's last word is out: leave no trace of it
            db.execute("DELETE FROM outbox_leases WHERE chat = ?", (chat,))
    if not keep:
        checkpoint(db)


def purge(db: sqlite3.Connection, now: dt.datetime, retention: dt.timedelta) -> Purged:
    with Write(db):
        purged = Purged(
            conversations=db.execute(
                "DELETE FROM conversations WHERE updated_at < ?", (iso(now - retention),)
            ).rowcount,
            handled_updates=db.execute(
                "DELETE FROM handled_updates WHERE handled_at < ?",
                (iso(now - HANDLED_UPDATES_KEPT),),
            ).rowcount,
            outbox=db.execute(
                "DELETE FROM outbox WHERE created_at < ?", (iso(now - OUTBOX_KEPT),)
            ).rowcount,
            recent_messages=db.execute(
                "DELETE FROM recent_messages WHERE sent_at < ?",
                (iso(now - RECENT_MESSAGES_KEPT),),
            ).rowcount,
        )
        db.execute(
            "DELETE FROM outbox_leases WHERE until < ? AND chat NOT IN (SELECT chat FROM outbox)",
            (iso(now),),
        )
    checkpoint(db)
    return purged


