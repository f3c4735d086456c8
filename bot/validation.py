"""The one way to load content for use: every check, whoever asks (check, chat, run, studio).

:func:`bot.content.loader.load_content` reads and cross-checks the YAML; checks that need the
engine (how a screen renders) are added here, above both layers, so that ``bot/content``
never imports ``bot/engine``.
"""

from __future__ import annotations

import sys
from pathlib import Path

from bot.config import Settings
from bot.content.loader import LoadResult, load_content
from bot.content.report import report


def validate(flows_dir: Path, knowledge_dir: Path) -> LoadResult:
    """The content with every problem found; ``bundle`` is None unless it is all valid."""
    return load_content(flows_dir, knowledge_dir)


def load_or_report(settings: Settings) -> LoadResult:
    """Load the content and print its problems in French on stderr."""
    result = validate(settings.flows_dir, settings.knowledge_dir)
    if result.problems:
        sys.stderr.write(report(result.problems))
    return result
