"""Expiry, counters and recent message ids on PostgreSQL.

Erasure here means: the rows are deleted in one transaction, then ``VACUUM`` lets
PostgreSQL reclaim the dead row versions of the tables that held personal data. What that
does and does not guarantee (old bytes in pages until reused, WAL segments, backups) is
written in docs/deploy.md; no stronger promise is made.
"""

from __future__ import annotations

import datetime as dt

from ..base import HANDLED_UPDATES_KEPT, OUTBOX_KEPT, RECENT_MESSAGES_KEPT, Counter, Purged
from .connection import Connection

PERSONAL_TABLES = ("conversations", "outbox", "outbox_leases", "recent_messages")


async def purge(conn: Connection, now: dt.datetime, retention: dt.timedelta) -> Purged:
    async with conn.transaction():
        counts = []
        for sql, cutoff in (
            ("DELETE FROM conversations WHERE updated_at < %s", now - retention),
            ("DELETE FROM handled_updates WHERE handled_at < %s", now - HANDLED_UPDATES_KEPT),
            ("DELETE FROM outbox WHERE created_at < %s", now - OUTBOX_KEPT),
            ("DELETE FROM recent_messages WHERE sent_at < %s", now - RECENT_MESSAGES_KEPT),
        ):
            counts.append((await conn.execute(sql, (cutoff,))).rowcount)
        await conn.execute(
            "DELETE FROM outbox_leases WHERE until < %s "
            "AND chat NOT IN (SELECT chat FROM outbox)",
            (now,),
        )
    await vacuum(conn)
    return Purged(*counts)


async def vacuum(conn: Connection) -> None:
    """Reclaim dead row versions of the personal tables (outside any transaction)."""
    await conn.execute("VACUUM " + ", ".join(PERSONAL_TABLES))


async def recent_messages(conn: Connection, pseudonym: str, now: dt.datetime) -> list[int]:
    rows = await (
        await conn.execute(
            "SELECT message_id FROM recent_messages WHERE pseudonym = %s AND sent_at >= %s "
            "ORDER BY message_id",
            (pseudonym, now - RECENT_MESSAGES_KEPT),
        )
    ).fetchall()
    return [int(r[0]) for r in rows]  # type: ignore[call-overload]


async def counters(conn: Connection, since: dt.date) -> list[Counter]:
    rows = await (
        await conn.execute(
            "SELECT day, flow, outcome, count FROM counters WHERE day >= %s "
            "ORDER BY day, flow, outcome",
            (since,),
        )
    ).fetchall()
    return [
        Counter(str(r[0]), str(r[1]), str(r[2]), int(r[3]))  # type: ignore[call-overload]
        for r in rows
    ]
