"""Fixtures of the studio tests: copies of the real content, the fake Bot API."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.fakes.fake_bot_api import FAKE_TOKEN, FakeBotApi  # noqa: E402


@pytest.fixture
def content(tmp_path: Path) -> Path:
    """A writable copy of the real content: tmp/flows and tmp/knowledge."""
    shutil.copytree(ROOT / "flows", tmp_path / "flows")
    shutil.copytree(ROOT / "knowledge", tmp_path / "knowledge")
    return tmp_path


@pytest.fixture
async def fake_bot_api() -> AsyncIterator[FakeBotApi]:
    async with FakeBotApi(FAKE_TOKEN) as api:
        yield api


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _files(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


@pytest.fixture(scope="session")
def studio(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """``entraide studio`` on a copy of the real content, run as staff run it (a process,
    started in the content's folder): (its address, the content folder).

    Tests that edit the content put it back. At the end, the studio must not have created
    any file (no database, no cache): it only reads."""
    content = tmp_path_factory.mktemp("studio")
    shutil.copytree(ROOT / "flows", content / "flows")
    shutil.copytree(ROOT / "knowledge", content / "knowledge")
    before = _files(content)
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "studio", "--port", str(port),
         "--flows", str(content / "flows"), "--knowledge", str(content / "knowledge")],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=content,
    )
    assert process.stdout is not None
    line = process.stdout.readline()  # written once the port is open
    assert line.startswith("Studio ouvert sur http://127.0.0.1:"), line
    try:
        yield f"http://127.0.0.1:{port}", content
    finally:
        process.terminate()
        process.wait(timeout=10)
        process.stdout.close()
    assert _files(content) == before
