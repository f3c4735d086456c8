"""Content that can be updated while the bot runs, without ever breaking it.

Staff edit YAML files on the server; the running bot notices (file times and
sizes), loads the new content, and switches to it only if it is entirely valid.
A broken edit is logged with its French errors, once, and the bot keeps
answering with the last good content.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .bundle import Bundle
from .loader import LoadResult, load_content
from .report import report

log = logging.getLogger(__name__)

Fingerprint = tuple[tuple[str, int, int], ...]


def fingerprint(*folders: Path) -> Fingerprint:
    """Names, modification times and sizes of every YAML file: cheap change detection."""
    entries: list[tuple[str, int, int]] = []
    for folder in folders:
        if not folder.is_dir():
            continue
        for path in sorted(folder.rglob("*.y*ml")):
            try:
                stat = path.stat()
            except OSError:
                continue
            entries.append((str(path), stat.st_mtime_ns, stat.st_size))
    return tuple(entries)


@dataclass
class Reload:
    """What a reload attempt found."""

    changed: bool
    applied: bool
    result: LoadResult | None = None


class ContentSource:
    """The current good content, and the folders it comes from."""

    def __init__(
        self,
        flows_dir: Path,
        knowledge_dir: Path,
        bundle: Bundle,
        validate: Callable[[Path, Path], LoadResult] = load_content,
    ) -> None:
        self.flows_dir = flows_dir
        self.knowledge_dir = knowledge_dir
        self.bundle = bundle
        self.validate = validate
        """Every check a running bot applies (:func:`bot.validation.validate`, which adds the
        rendered checks this layer cannot make)."""
        self._seen = fingerprint(flows_dir, knowledge_dir)

    def reload_if_changed(self) -> Reload:
        """Switch to the files' content if they changed and are valid; never raises."""
        current = fingerprint(self.flows_dir, self.knowledge_dir)
        if current == self._seen:
            return Reload(changed=False, applied=False)
        self._seen = current
        try:
            result = self.validate(self.flows_dir, self.knowledge_dir)
        except Exception:  # a bug in loading must not stop the bot answering
            log.exception("content reload failed; keeping version %s", self.bundle.version)
            return Reload(changed=True, applied=False)
        if result.bundle is None:
            log.error(
                "content edit rejected, keeping version %s:\n%s",
                self.bundle.version,
                report(result.problems).rstrip(),
            )
            return Reload(changed=True, applied=False, result=result)
        result.bundle.warm_up()
        log.info("content reloaded: version %s -> %s", self.bundle.version, result.bundle.version)
        self.bundle = result.bundle
        return Reload(changed=True, applied=True, result=result)
