"""The running bot tells its admins when it refuses a content edit, and when it is fixed.

Unit tests of the decision (pure), then the real bot against the fake Bot API: an edit is
broken on disk, the bot's own reload runs, and the admins' chats are read as they would be.
"""

from __future__ import annotations

import os
from pathlib import Path

from bot.channels.telegram.staff_alerts import MAX_CAUSES, StaffAlerts, decide
from bot.content.loader import LoadResult
from bot.content.problems import Code, Problem
from bot.content.source import Reload
from bot.validation import validate
from tests.fakes.fake_bot_api import FakeBotApi
from tests.studio.breakage import break_as_in_the_issue, edit
from tests.telegram.tg_harness import running_bot

ADMINS = (7001, 7002)
SOMEONE = 5001


def refused(version: str, problems: list[Problem] | None = None) -> Reload:
    return Reload(changed=True, applied=False, result=LoadResult(None, problems or [], version))


APPLIED = Reload(changed=True, applied=True)
UNCHANGED = Reload(changed=False, applied=False)


def test_each_distinct_broken_version_is_reported_once_then_the_fix() -> None:
    reported, said = None, []
    for reload in (UNCHANGED, APPLIED, refused("a"), refused("a"), UNCHANGED, refused("b"),
                   APPLIED, APPLIED):
        reported, what = decide(reported, reload)
        said.append(what)
    assert said == [None, None, "refuse", None, None, "refuse", "retabli", None]


def test_a_reload_that_crashed_says_nothing() -> None:
    assert decide(None, Reload(changed=True, applied=False)) == (None, None)


def test_the_alert_lists_at_most_ten_causes(real_bundle) -> None:  # type: ignore[no-untyped-def]
    problems = [Problem(f"flows/f{i:02d}.yaml", 3, Code.SCHEMA, f"problème {i}") for i in range(13)]
    alerts = StaffAlerts(ADMINS).after(refused("x", problems), real_bundle)
    assert [a.chat_id for a in alerts] == list(ADMINS)
    text = "\n".join(m.plain for m in alerts[0].messages)
    assert "Modification du contenu refusée" in text and real_bundle.version in text
    assert "13 problèmes à corriger, dans 13 fichiers." in text
    assert f"problème {MAX_CAUSES - 1}" in text and f"problème {MAX_CAUSES}" not in text
    assert text.rstrip().endswith("… et 3 autres.")


def test_no_admin_no_message(real_bundle) -> None:  # type: ignore[no-untyped-def]
    assert StaffAlerts(()).after(refused("x"), real_bundle) == []


async def test_admins_hear_of_a_refused_edit_and_of_its_fix(
    fake_bot_api: FakeBotApi, content: Path, tmp_path: Path
) -> None:
    flows, knowledge = content / "flows", content / "knowledge"
    async with running_bot(fake_bot_api, tmp_path / "bot.db", admins=ADMINS, flows=flows,
                           knowledge=knowledge) as bot:
        person = bot.person(SOMEONE)
        await person.send("/start")
        before = len(person.messages())
        seen = {}
        for admin in ADMINS:  # an admin must have started a chat with the bot once
            await bot.person(admin).send("/start")
            seen[admin] = len(fake_bot_api.sent_messages(admin))
        lifecycle = bot.assembled.lifecycle

        def told(admin: int) -> list[dict]:  # type: ignore[type-arg]
            return fake_bot_api.sent_messages(admin)[seen[admin]:]

        break_as_in_the_issue(content)
        await lifecycle.reload()
        await bot.settle()
        for admin in ADMINS:
            (alert,) = told(admin)
            text = alert["text"]
            assert text.startswith("⚠️ Modification du contenu refusée")
            assert "3 problèmes à corriger, dans 2 fichiers" in text
            assert "lignes_ecoute.yaml, ligne 12" in text and "urgence.yaml" in text
            assert "la ressource « sps » n'existe pas" not in text
        assert len(person.messages()) == before, "nobody else is told"

        # The same broken version again (the file saved once more): nothing new.
        urgence = flows / "urgence.yaml"
        os.utime(urgence, ns=(urgence.stat().st_atime_ns, urgence.stat().st_mtime_ns + 10**9))
        await lifecycle.reload()
        await bot.settle()
        assert len(told(ADMINS[0])) == 1

        # Another broken version: reported too.
        edit(urgence, r"vers: ([a-z_]+)x", r"vers: \1xy")
        await lifecycle.reload()
        await bot.settle()
        assert len(told(ADMINS[0])) == 2

        # Fixed: one message saying so, and the fixed content is live.
        edit(urgence, r"vers: ([a-z_]+)xy", r"vers: \1")
        lines = knowledge / "ressources" / "lignes_ecoute.yaml"
        original = (Path(__file__).resolve().parents[2] / "knowledge" / "ressources"
                    / "lignes_ecoute.yaml").read_text(encoding="utf-8")
        lines.write_text(original, encoding="utf-8")
        assert validate(flows, knowledge).bundle is not None
        await lifecycle.reload()
        await bot.settle()
        for admin in ADMINS:
            messages = told(admin)
            assert len(messages) == 3
            assert messages[-1]["text"].startswith("✅ Contenu de nouveau valide")
        assert len(person.messages()) == before
