"""What both backends share about a turn: its writes are buffered, then applied in order.

A :class:`BufferedTurn` is the :class:`~bot.storage.base.TurnTransaction` the service sees:
it records what the turn decides (save, forget, count, send, remember) and each backend
applies the list at the end, in call order, in the transaction that claimed the update id.
:func:`keeps_ids` is the one rule both apply to the outbox entries of a turn that forgot
the user. :class:`PseudonymLocks` serialises one user's turns inside a process (PostgreSQL
adds a database lock across processes).
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Sequence
from typing import Any

Op = tuple[Any, ...]
"""A buffered write: ``("save", state)``, ``("forget",)``, ``("count", flow, outcome)``,
``("send", address, payload)``, ``("remember", ids)``."""


class BufferedTurn:
    """The turn's view of the store: the state read at its start, and its writes so far."""

    def __init__(self, duplicate: bool, state: str | None) -> None:
        self._duplicate = duplicate
        self._state = state
        self.ops: list[Op] = []

    @property
    def duplicate(self) -> bool:
        return self._duplicate

    async def load(self) -> str | None:
        return self._state

    def save(self, state: str) -> None:
        self.ops.append(("save", state))

    def forget(self) -> None:
        self.ops.append(("forget",))

    def count(self, flow: str, outcome: str) -> None:
        self.ops.append(("count", flow, outcome))

    def send(self, address: str, payload: str) -> None:
        self.ops.append(("send", address, payload))

    def remember(self, message_ids: Sequence[int]) -> None:
        self.ops.append(("remember", tuple(message_ids)))


def keeps_ids(ops: Sequence[Op]) -> list[bool]:
    """For each op: would a ``send`` here keep its message id once delivered? Not after a
    ``forget`` (``/oubli`` keeps nothing), unless the turn saved a new conversation after
    it (``/effacer`` starts a fresh one whose messages it must be able to delete)."""
    saved_after_forget = True
    for op in ops:
        if op[0] == "forget":
            saved_after_forget = False
        elif op[0] == "save":
            saved_after_forget = True
    forgotten, marks = False, []
    for op in ops:
        forgotten = forgotten or op[0] == "forget"
        marks.append(saved_after_forget or not forgotten)
    return marks


class PseudonymLocks:
    """One asyncio lock per pseudonym with a turn in progress; unused locks go away."""

    def __init__(self) -> None:
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()

    def __call__(self, pseudonym: str) -> asyncio.Lock:
        lock = self._locks.get(pseudonym)
        if lock is None:
            lock = asyncio.Lock()
            self._locks[pseudonym] = lock
        return lock
