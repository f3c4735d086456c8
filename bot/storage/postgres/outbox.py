"""Outbox delivery on PostgreSQL: leases per chat, so any live process delivers.

``claim`` picks the oldest ready entries, then takes the lease of each of their chats with
one ``INSERT … ON CONFLICT DO UPDATE … WHERE`` (the lease is free, already ours, or ran
out). That statement locks the lease row: two processes claiming the same chat at once are
ordered by PostgreSQL, and the second sees the first's fresh lease and gets nothing of that
chat. A process that dies stops renewing; when its lease runs out another takes the chat over.
The entries are read again once the leases are held: between the first read and the lease,
the chat's previous holder may have sent and removed an entry (or deferred it on a 429) and
released the chat; what the first read saw must not go out a second time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from ..base import OutboxEntry
from .connection import Connection

_READY = (
    "SELECT o.id, o.chat, o.address, o.payload, o.created_at, o.attempts FROM outbox o "
    "LEFT JOIN outbox_leases l ON l.chat = o.chat "
    "WHERE (l.chat IS NULL OR l.owner = %(owner)s OR l.until <= %(now)s) "
    "AND o.chat NOT IN (SELECT chat FROM outbox WHERE not_before > %(now)s) "
    "ORDER BY o.id LIMIT %(limit)s"
)

_LEASED = (
    "SELECT id, chat, address, payload, created_at, attempts FROM outbox "
    "WHERE chat = ANY(%(chats)s::text[]) "
    "AND chat NOT IN (SELECT chat FROM outbox WHERE not_before > %(now)s) "
    "ORDER BY id LIMIT %(limit)s"
)

_LEASE = (
    "INSERT INTO outbox_leases (chat, owner, until) SELECT unnest(%(chats)s::text[]), "
    "%(owner)s, %(until)s "
    "ON CONFLICT (chat) DO UPDATE SET owner = excluded.owner, until = excluded.until "
    "WHERE outbox_leases.owner = excluded.owner OR outbox_leases.until <= %(now)s "
    "RETURNING chat"
)


def _entry(row: Sequence[object]) -> OutboxEntry:
    created = row[4]
    assert isinstance(created, dt.datetime)
    return OutboxEntry(
        id=int(row[0]),  # type: ignore[call-overload]
        chat=str(row[1]),
        address=str(row[2]),
        payload=str(row[3]),
        created_at=created,
        attempts=int(row[5]),  # type: ignore[call-overload]
    )


async def claim(
    conn: Connection, owner: str, now: dt.datetime, lease: dt.timedelta, limit: int
) -> list[OutboxEntry]:
    async with conn.transaction():
        rows = await (
            await conn.execute(_READY, {"owner": owner, "now": now, "limit": limit})
        ).fetchall()
        entries = [_entry(r) for r in rows]
        if not entries:
            return []
        chats = list(dict.fromkeys(e.chat for e in entries))
        won = await (
            await conn.execute(
                _LEASE, {"chats": chats, "owner": owner, "until": now + lease, "now": now}
            )
        ).fetchall()
        if not won:
            return []
        rows = await (  # again, now that no one else can deliver these chats
            await conn.execute(
                _LEASED, {"chats": [str(r[0]) for r in won], "now": now, "limit": limit}
            )
        ).fetchall()
    return [_entry(r) for r in rows]


async def delivered(
    conn: Connection, entry: OutboxEntry, message_id: int | None, now: dt.datetime,
    release: str | None,
) -> None:
    async with conn.transaction():
        if release is not None:  # the run's last entry: its lease ends in this transaction
            await conn.execute(
                "DELETE FROM outbox_leases WHERE owner = %s AND chat = %s", (release, entry.chat)
            )
        row = await (
            await conn.execute(
                "DELETE FROM outbox WHERE id = %s RETURNING chat, keep_ids", (entry.id,)
            )
        ).fetchone()
        if row is None:  # forgotten (or dropped) while it was being sent: keep nothing
            return
        chat, keep = str(row[0]), bool(row[1])
        if keep and message_id is not None:
            await conn.execute(
                "INSERT INTO recent_messages (pseudonym, message_id, sent_at) "
                "VALUES (%s, %s, %s) ON CONFLICT DO NOTHING",
                (chat, message_id, now),
            )
        if not keep:  # the forgotten chat's last word is out: leave no trace of it
            await conn.execute(
                "DELETE FROM outbox_leases WHERE chat = %s "
                "AND NOT EXISTS (SELECT 1 FROM outbox WHERE chat = %s)",
                (chat, chat),
            )


async def failed(conn: Connection, entry_id: int, retry_at: dt.datetime) -> None:
    await conn.execute(
        "UPDATE outbox SET attempts = attempts + 1, not_before = %s WHERE id = %s",
        (retry_at, entry_id),
    )


async def drop(conn: Connection, entry_id: int) -> None:
    await conn.execute("DELETE FROM outbox WHERE id = %s", (entry_id,))


async def drop_chat(conn: Connection, chat: str) -> int:
    return (await conn.execute("DELETE FROM outbox WHERE chat = %s", (chat,))).rowcount


async def release(conn: Connection, owner: str, chats: Sequence[str]) -> None:
    await conn.execute(
        "DELETE FROM outbox_leases WHERE owner = %s AND chat = ANY(%s::text[])",
        (owner, list(chats)),
    )
