"""One update, one PostgreSQL transaction, serialised per pseudonym across processes.

The transaction opens with ``pg_advisory_xact_lock`` on a hash of the pseudonym: a turn of
the same user in any other process waits there until this one commits or rolls back, so no
turn ever reads a state another is about to replace. Then the update id is claimed with
``INSERT … ON CONFLICT DO NOTHING``: if another process already committed it, the turn is a
duplicate; if another is processing it right now, the insert waits for that transaction and
then sees the conflict. Whatever the turn decided is applied at the end, in call order, in
the same transaction; if the ``async with`` block raises, nothing is written (not even the
update id, so Telegram's retry is processed).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence

from ..buffered import BufferedTurn, Op, keeps_ids
from .connection import Connection

TURN_LOCK_SPACE = 0x4B49  # "KI": first key of the (int4, int4) advisory locks of turns


def lock_key(pseudonym: str) -> int:
    """A signed 32-bit hash of the pseudonym (a collision only serialises two users)."""
    digest = hashlib.blake2b(pseudonym.encode(), digest_size=4).digest()
    return int.from_bytes(digest, "big", signed=True)


async def begin(
    conn: Connection, pseudonym: str, update_id: int | None, now: dt.datetime
) -> BufferedTurn:
    """Lock the pseudonym, claim the update id, read the state (inside a transaction)."""
    await conn.execute(
        "SELECT pg_advisory_xact_lock(%s, %s)", (TURN_LOCK_SPACE, lock_key(pseudonym))
    )
    if update_id is not None:
        claimed = await conn.execute(
            "INSERT INTO handled_updates (update_id, handled_at) VALUES (%s, %s) "
            "ON CONFLICT (update_id) DO NOTHING",
            (update_id, now),
        )
        if claimed.rowcount == 0:
            return BufferedTurn(True, None)
    row = await (
        await conn.execute("SELECT state FROM conversations WHERE pseudonym = %s", (pseudonym,))
    ).fetchone()
    return BufferedTurn(False, str(row[0]) if row else None)


async def erase(conn: Connection, pseudonym: str) -> None:
    """Everything about one pseudonym (counters are linked to nobody; update ids too)."""
    await conn.execute("DELETE FROM conversations WHERE pseudonym = %s", (pseudonym,))
    await conn.execute("DELETE FROM outbox WHERE chat = %s", (pseudonym,))
    await conn.execute("DELETE FROM outbox_leases WHERE chat = %s", (pseudonym,))
    await conn.execute("DELETE FROM recent_messages WHERE pseudonym = %s", (pseudonym,))


async def apply(conn: Connection, pseudonym: str, now: dt.datetime, ops: Sequence[Op]) -> None:
    """Write what the turn decided, in call order."""
    day = now.astimezone(dt.UTC).date()
    for op, keep in zip(ops, keeps_ids(ops), strict=True):
        kind = op[0]
        if kind == "save":
            await conn.execute(
                "INSERT INTO conversations (pseudonym, state, updated_at) VALUES (%s, %s, %s) "
                "ON CONFLICT (pseudonym) DO UPDATE SET state = excluded.state, "
                "updated_at = excluded.updated_at",
                (pseudonym, op[1], now),
            )
        elif kind == "forget":
            await erase(conn, pseudonym)
        elif kind == "count":
            await conn.execute(
                "INSERT INTO counters (day, flow, outcome, count) VALUES (%s, %s, %s, 1) "
                "ON CONFLICT (day, flow, outcome) DO UPDATE SET count = counters.count + 1",
                (day, op[1], op[2]),
            )
        elif kind == "send":
            await conn.execute(
                "INSERT INTO outbox (chat, address, payload, created_at, keep_ids) "
                "VALUES (%s, %s, %s, %s, %s)",
                (pseudonym, op[1], op[2], now, keep),
            )
        elif kind == "remember" and op[1]:
            async with conn.cursor() as cur:
                await cur.executemany(
                    "INSERT INTO recent_messages (pseudonym, message_id, sent_at) "
                    "VALUES (%s, %s, %s) ON CONFLICT DO NOTHING",
                    [(pseudonym, i, now) for i in op[1]],
                )
