"""The studio's web server as an HTTP client sees it: local only, strict headers, bad
requests refused, one engine turn per request."""

from __future__ import annotations

import http.client
import json
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from bot.cli import main


def request(address: str, method: str, path: str, body: bytes | None = None,
            headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    parts = urlsplit(address)
    connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=10)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def turn(address: str, payload: dict[str, object]) -> dict[str, object]:
    status, _, body = request(address, "POST", "/api/tour", json.dumps(payload).encode(),
                              {"Content-Type": "application/json"})
    assert status == 200, body
    return dict(json.loads(body))


def test_pages_are_french_and_strictly_served(studio: tuple[str, Path]) -> None:
    address, _ = studio
    for path in ("/", "/apercu", "/carte", "/fraicheur", "/couverture", "/scenarios"):
        status, headers, body = request(address, "GET", path)
        assert status == 200, path
        assert b'<html lang="fr">' in body
        assert "script-src 'self'" in headers["Content-Security-Policy"]
        assert headers["X-Content-Type-Options"] == "nosniff"
    status, _, body = request(address, "GET", "/carte?partie=1")
    assert status == 200 and not body.startswith(b"<!DOCTYPE")


def test_a_request_for_another_host_is_refused(studio: tuple[str, Path]) -> None:
    address, _ = studio
    status, _, _ = request(address, "GET", "/", headers={"Host": "attacker.example:8765"})
    assert status == 403


def test_bad_turns_are_refused(studio: tuple[str, Path]) -> None:
    address, _ = studio
    assert request(address, "POST", "/api/tour", b"{not json")[0] == 400
    assert request(address, "POST", "/api/tour", b"[1, 2]")[0] == 400
    assert request(address, "POST", "/api/tour", b"x" * 70_000)[0] == 413


def test_the_conversation_state_travels_with_the_page(studio: tuple[str, Path]) -> None:
    address, _ = studio
    first = turn(address, {"action": "start"})
    assert first["node"] == "accueil/qui"
    state = json.loads(str(first["state"]))
    assert "Kiné libéral·e" in [o["label"] for o in state["options"]]
    press = f"{state['nonce']}.{state['screen']}.0"
    second = turn(address, {"action": "press", "value": press, "state": first["state"]})
    assert second["node"] == "menu/principal" and second["profil"] == "liberal"
    crisis = turn(address, {"action": "text", "value": "je veux mourir",
                            "state": second["state"]})
    assert str(crisis["node"]).startswith("urgence/") and "3114" in str(crisis["html"])


def test_events_announce_the_content_generation(studio: tuple[str, Path]) -> None:
    address, _ = studio
    parts = urlsplit(address)
    connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=10)
    try:
        connection.request("GET", "/api/evenements")
        response = connection.getresponse()
        assert response.getheader("Content-Type", "").startswith("text/event-stream")
        assert response.readline().startswith(b"data: ")
    finally:
        connection.close()


def test_another_address_only_when_asked_and_with_a_warning(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import bot.studio.server as server

    listened: list[str] = []

    async def serve(workspace: object, host: str, port: int, months: int,
                    ready: object = None) -> None:
        listened.append(host)

    monkeypatch.setattr(server, "serve", serve)
    root = Path(__file__).resolve().parents[2]
    content = ["--flows", str(root / "flows"), "--knowledge", str(root / "knowledge")]
    assert main(["studio", *content]) == 0
    assert "Attention" not in capsys.readouterr().err
    assert main(["studio", "--host", "0.0.0.0", *content]) == 0
    assert "Attention : le studio écoute sur 0.0.0.0" in capsys.readouterr().err
    assert listened == ["127.0.0.1", "0.0.0.0"]
