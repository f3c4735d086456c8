"""One conversation turn with storage around the pure engine; shared by all channels.

Each event is one :meth:`bot.storage.base.Store.turn`: the update id is claimed, the state
read, :func:`bot.engine.engine.step` run, and the new state, the anonymous counters, the
erasures and the rendered replies (when the channel gives a :class:`Recipient`) are written
in one transaction. A re-delivered update therefore either finds everything done (and is a
duplicate: nothing is answered twice) or finds nothing done (and is processed afresh). The
store serialises the turns of one user; different users run concurrently.

``/oubli`` (Action.FORGET) erases everything about the user in that same transaction.
``/effacer`` (Action.ERASE_CHAT) does too, then starts a fresh conversation on the
quick-exit screen, so that nothing leads back to what the person was reading; the ids of
the messages to delete are handed to the channel in :attr:`Turn.erase`. Its counters are
those of the user's turn only (the fresh screen is not counted a second time).
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from bot.content.bundle import Bundle
from bot.engine.engine import step
from bot.engine.events import Command, Event, Resume
from bot.engine.replies import Action, Message, Reply
from bot.engine.state import State
from bot.storage.base import Store
from bot.storage.pseudonym import pseudonym

log = logging.getLogger(__name__)

ERASE_COMMAND = Action.ERASE_CHAT.value
"""The command that shows the quick-exit screen (``/effacer``), used for the fresh start."""


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class Turn:
    """What a channel must send and do after one event.

    ``erase``: ids of remembered messages (of the last 48 h) that ``/effacer`` asks the
    channel to delete; the ids of the update's own messages come on top.
    """

    replies: tuple[Reply, ...]
    user: str
    duplicate: bool = False
    erase: tuple[int, ...] = ()

    @property
    def actions(self) -> tuple[Action, ...]:
        return tuple(r for r in self.replies if isinstance(r, Action))


class Recipient(Protocol):
    """Where a turn's replies go, and in what form, for channels with an outbox.

    ``address`` is sealed by the channel (the database never holds a raw chat id);
    ``render`` turns the turn into the channel's payloads, one per message, queued in order
    in the turn's own transaction.
    """

    @property
    def address(self) -> str: ...

    def render(self, turn: Turn) -> Sequence[str]: ...


class Conversations:
    """The engine plus storage, for any channel."""

    def __init__(
        self,
        bundle: Bundle,
        store: Store,
        secret: bytes,
        clock: Callable[[], dt.datetime] = utcnow,
    ) -> None:
        self.bundle = bundle
        self.store = store
        self.secret = secret
        self.clock = clock

    def user(self, channel: str, user_id: int | str) -> str:
        """The pseudonym under which this user's data is stored."""
        return pseudonym(self.secret, channel, user_id)

    async def handle(
        self,
        user: str,
        event: Event,
        *,
        update_id: int | None = None,
        incoming: Sequence[int] = (),
        recipient: Recipient | None = None,
        never_silent: bool = False,
    ) -> Turn:
        """Run one event for one user, in one transaction; a re-delivered update gives none.

        ``incoming``: ids of the user's messages of this update, remembered for ``/effacer``
        (or, on ``/effacer``, added to :attr:`Turn.erase`). ``recipient``: queue the
        rendered replies in the outbox in the same transaction (without it the channel
        sends :attr:`Turn.replies` itself). ``never_silent``: a turn that shows no message
        (typed "au revoir") shows the current screen again, for channels where a
        conversation cannot end.
        """
        now = self.clock()
        async with self.store.turn(user, update_id, now) as tx:
            if tx.duplicate:
                log.info("update %d already handled; ignored", update_id)
                return Turn((), user, duplicate=True)
            state = State.from_json(await tx.load(), secrets.token_hex(3))
            result = step(self.bundle, state, event)
            for outcome in result.outcomes:
                tx.count(outcome.flow, outcome.kind)
            replies = result.replies
            erase: tuple[int, ...] = ()
            if Action.FORGET in replies:
                tx.forget()
                log.info("user data erased on request")
            elif Action.ERASE_CHAT in replies:
                erase = (*await self.store.recent_messages(user, now), *incoming)
                tx.forget()
                fresh = step(self.bundle, State.fresh(secrets.token_hex(3)), Command(ERASE_COMMAND))
                tx.save(fresh.state.to_json())
                replies = fresh.replies
                log.info("chat erased on request: %d message id(s) to delete", len(erase))
            else:
                new_state = result.state
                if never_silent and not any(isinstance(r, Message) for r in replies):
                    again = step(self.bundle, new_state, Resume())
                    replies, new_state = (*replies, *again.replies), again.state
                tx.save(new_state.to_json())
                tx.remember(incoming)
            turn = Turn(tuple(replies), user, erase=tuple(erase))
            if recipient is not None:
                for payload in recipient.render(turn):
                    tx.send(recipient.address, payload)
            return turn

    async def claim(
        self,
        user: str,
        update_id: int | None,
        *,
        incoming: Sequence[int] = (),
        address: str | None = None,
        payloads: Sequence[str] = (),
    ) -> bool:
        """For an update that makes no engine event (sticker, edited message, admin
        command): claim its id, remember ``incoming`` and queue ``payloads`` to ``address``,
        in one transaction. False: a duplicate, nothing done."""
        async with self.store.turn(user, update_id, self.clock()) as tx:
            if tx.duplicate:
                log.info("update %d already handled; ignored", update_id)
                return False
            tx.remember(incoming)
            if address is not None:
                for payload in payloads:
                    tx.send(address, payload)
            return True

    async def remember(self, user: str, message_ids: Sequence[int]) -> None:
        """Keep ids of messages sent outside the outbox, for ``/effacer``."""
        if message_ids:
            async with self.store.turn(user, None, self.clock()) as tx:
                tx.remember(message_ids)
