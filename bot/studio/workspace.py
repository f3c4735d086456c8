"""The content as it is on disk now, valid or not, and the last valid version of it.

The studio looks at the files' names, times and sizes (cheap) every half second and
validates again only when they changed, with every check the bot applies
(:func:`bot.validation.validate`). Like the running bot, the preview keeps running on the
last valid content while the files are broken, and says so.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from bot.content.bundle import Bundle
from bot.content.loader import LoadResult
from bot.content.problems import Code, Problem
from bot.content.source import Fingerprint, fingerprint
from bot.validation import validate

log = logging.getLogger(__name__)

Validate = Callable[[Path, Path], LoadResult]


class Workspace:
    """Follows ``flows/`` and ``knowledge/``; never writes them."""

    def __init__(self, flows_dir: Path, knowledge_dir: Path, check: Validate = validate) -> None:
        self.flows_dir = flows_dir
        self.knowledge_dir = knowledge_dir
        self.check = check
        self.generation = 0
        """Goes up by one each time the files changed and were checked again."""
        self.result = LoadResult(None, [])
        self.good: LoadResult | None = None
        """The last valid content seen (the one the preview runs on)."""
        self._seen: Fingerprint | None = None
        self.refresh()

    @property
    def scenarios_dir(self) -> Path:
        return self.flows_dir / "scenarios"

    @property
    def bundle(self) -> Bundle | None:
        """The content the preview runs on: the files' if valid, else the last valid one."""
        return self.good.bundle if self.good is not None else None

    @property
    def behind(self) -> bool:
        """True when the files are broken and the preview shows an older, valid version."""
        return self.result.bundle is None and self.good is not None

    def refresh(self) -> bool:
        """Check the files again if they changed; True when they did. Never raises."""
        current = fingerprint(self.flows_dir, self.knowledge_dir)
        if current == self._seen:
            return False
        self._seen = current
        try:
            result = self.check(self.flows_dir, self.knowledge_dir)
        except Exception:  # a bug in a check must not stop the studio
            log.exception("content check failed")
            failed = "la vérification du contenu a échoué (erreur interne, voir le terminal)."
            result = LoadResult(None, [Problem(str(self.flows_dir), None, Code.SCHEMA, failed)])
        if result.bundle is not None:
            result.bundle.warm_up()
            self.good = result
        self.result = result
        self.generation += 1
        log.info("content checked (generation %d): %d problem(s)", self.generation,
                 len(result.problems))
        return True
