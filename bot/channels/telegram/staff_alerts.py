"""Tell the operators when the running bot refuses a content edit, and when it is fixed.

Pure: given what a content reload found (:class:`~bot.content.source.Reload`) and what was
reported before, it says which messages go to which admin (``ENTRAIDE_ADMIN_IDS``), and
sends nothing itself. The rules:

- a refused edit is reported once per distinct broken version (the files' digest): saving
  the same broken file again, or touching it, says nothing new;
- the report is the French problem list of :mod:`bot.content.report` (root causes, at most
  :data:`MAX_CAUSES`, then "… et N autres."), under ``admin_contenu_refuse``;
- once a valid version is applied after a refusal, one ``admin_contenu_retabli`` message;
  valid edits that follow valid content say nothing (the log has them);
- nobody but the admins ever gets any of this.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

from bot.content.bundle import Bundle
from bot.content.report import report
from bot.content.source import Reload

from .render import PLAIN, Outgoing, Run, markup_runs, split_runs, to_html, to_plain

MAX_CAUSES: Final = 10
"""Root causes listed in one alert; the rest are counted."""


@dataclass(frozen=True)
class Alert:
    """Messages for one admin's private chat."""

    chat_id: int
    messages: tuple[Outgoing, ...]


def decide(reported: str | None, reload: Reload) -> tuple[str | None, str | None]:
    """``(broken version now reported, what to say)``: ``"refuse"``, ``"retabli"`` or None.

    ``reported`` is the broken version the admins were last told about (None: they were
    told nothing, or told it was fixed)."""
    if not reload.changed:
        return reported, None
    if reload.applied:
        return None, ("retabli" if reported is not None else None)
    if reload.result is None or reload.result.version == reported:
        return reported, None
    return reload.result.version, "refuse"


def _messages(runs: list[Run]) -> tuple[Outgoing, ...]:
    return tuple(Outgoing(to_html(part), to_plain(part)) for part in split_runs(runs))


class StaffAlerts:
    """Remembers what the admins were told; :meth:`after` is called after every reload."""

    def __init__(self, admin_ids: Iterable[int]) -> None:
        self.admins = tuple(sorted(set(admin_ids)))
        self.reported: str | None = None

    def after(self, reload: Reload, bundle: Bundle) -> list[Alert]:
        """The alerts to send; ``bundle`` is the content in use (its words are used)."""
        self.reported, what = decide(self.reported, reload)
        if what is None or not self.admins:
            return []
        runs = markup_runs(bundle.message(f"admin_contenu_{what}", version=bundle.version))
        if what == "refuse" and reload.result is not None:
            runs += [("\n\n", PLAIN), (report(reload.result.problems, limit=MAX_CAUSES), PLAIN)]
        messages = _messages(runs)
        return [Alert(admin, messages) for admin in self.admins]
