"""Shared fixtures: the frozen test content and the real content."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.content.bundle import Bundle
from bot.content.loader import LoadResult, load_content
from bot.scenarios import Driver

ROOT = Path(__file__).resolve().parent.parent
FIXTURE_FLOWS = ROOT / "tests" / "fixtures" / "flows"
REAL_FLOWS = ROOT / "flows"
KNOWLEDGE = ROOT / "knowledge"


def _bundle(flows: Path, knowledge: Path) -> Bundle:
    result = load_content(flows, knowledge)
    assert result.bundle is not None, "\n".join(map(str, result.problems))
    return result.bundle


@pytest.fixture(scope="session")
def fixture_bundle() -> Bundle:
    """Frozen content made for the engine tests (tests/fixtures/flows + knowledge/)."""
    return _bundle(FIXTURE_FLOWS, KNOWLEDGE)


@pytest.fixture(scope="session")
def real_bundle() -> Bundle:
    """The content the assistant ships with."""
    return _bundle(REAL_FLOWS, KNOWLEDGE)


@pytest.fixture
def driver(fixture_bundle: Bundle) -> Driver:
    return Driver(fixture_bundle)


@pytest.fixture
def content_copy(tmp_path: Path) -> Path:
    """A writable copy of the fixture content: tmp/flows and tmp/knowledge."""
    shutil.copytree(FIXTURE_FLOWS, tmp_path / "flows")
    shutil.copytree(KNOWLEDGE, tmp_path / "knowledge")
    return tmp_path


@pytest.fixture
def load_edited(content_copy: Path) -> Callable[[str, str], LoadResult]:
    """Write ``text`` to ``relative`` inside the copy and load the whole content."""

    def edit(relative: str, text: str) -> LoadResult:
        path = content_copy / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return load_content(content_copy / "flows", content_copy / "knowledge")

    return edit
