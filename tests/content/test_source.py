"""Editing content while the bot runs: valid edits apply, broken ones never break it."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest

from bot.content.loader import load_content
from bot.content.source import ContentSource
from bot.scenarios import Driver


def _touch_later(path: Path) -> None:
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10_000_000))


def test_valid_edit_is_applied_and_broken_edit_keeps_the_last_good_content(
    content_copy: Path, caplog: pytest.LogCaptureFixture
) -> None:
    flows, knowledge = content_copy / "flows", content_copy / "knowledge"
    first = load_content(flows, knowledge).bundle
    assert first is not None
    source = ContentSource(flows, knowledge, first)
    assert not source.reload_if_changed().changed

    aide = flows / "aide.yaml"
    aide.write_text(aide.read_text("utf-8").replace("je vous oriente", "je vous guide"), "utf-8")
    _touch_later(aide)
    assert source.reload_if_changed().applied
    assert "je vous guide" in Driver(source.bundle).command("/aide")
    good = source.bundle

    aide.write_text("flux: aide\netapes: [\n", "utf-8")
    _touch_later(aide)
    with caplog.at_level(logging.ERROR):
        reload = source.reload_if_changed()
    assert reload.changed and not reload.applied
    assert source.bundle is good
    assert "aide.yaml, ligne" in caplog.text
    assert "je vous guide" in Driver(source.bundle).command("/aide")
    assert not source.reload_if_changed().changed, "a broken edit is reported once"
