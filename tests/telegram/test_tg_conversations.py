"""Scripted conversations through the real bot and the fake Bot API.

The pure engine (driven by the scenario runner's :class:`Driver`) is the oracle: what a
person reads on Telegram must be exactly what the engine said, rendered. Content texts are
read from the content itself, so editors can change words without breaking these tests.
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from tg_harness import (
    FLOWS,
    KNOWLEDGE,
    Database,
    Person,
    RunningBot,
    buttons_of,
    fold,
    load_bundle,
    plain,
    running_bot,
)

from bot.channels.telegram import app as app_module
from bot.channels.telegram.handlers import CHANNEL_COMMANDS
from bot.channels.telegram.pacing import Pacer
from bot.channels.telegram.render import render_replies
from bot.content.bundle import Bundle
from bot.content.yaml_loader import load_file
from bot.scenarios import Driver, Scenario, ScenarioFile, scenario_files
from tests.fakes.fake_bot_api import DELETE_WINDOW_SECONDS, FakeBotApi

BUNDLE = load_bundle()
ALICE, BOB = 1001, 1002


def texts(messages: list[dict[str, object]]) -> list[str]:
    return [str(m["text"]) for m in messages]


def expected(driver: Driver) -> list[str]:
    return [o.plain for o in render_replies(driver.replies)]


def keyboard_labels(messages: list[dict[str, object]]) -> list[str]:
    return [b["text"] for m in messages for b in buttons_of(m) if "callback_data" in b]


def same_as_engine(person: Person, driver: Driver) -> None:
    assert texts(person.last) == expected(driver)
    assert keyboard_labels(person.last) == [b.label for b in driver.buttons if b.data]


@pytest.fixture
async def bot(fake_bot_api: FakeBotApi, database: Database):  # type: ignore[no-untyped-def]
    """The bot on each backend in turn (SQLite, PostgreSQL)."""
    async with running_bot(fake_bot_api, database) as running:
        yield running


@pytest.fixture
async def quick_bot(fake_bot_api: FakeBotApi, database: Database):  # type: ignore[no-untyped-def]
    """The same, with per-chat pacing lifted: for tests that send dozens of messages in one
    chat and are not about pacing (tests/telegram/test_tg_outbox.py is)."""
    pacer = Pacer(chat_interval=0.001, chat_burst=1000)
    async with running_bot(fake_bot_api, database, pacer=pacer) as running:
        yield running


def no_errors(fake: FakeBotApi) -> None:
    assert [e for e in fake.errors if not e.injected] == []


async def test_commands_are_registered_in_french_without_quitter(bot: RunningBot) -> None:
    commands = BUNDLE.interface.commands
    await bot.fake.wait_for_call("setMyCommands", after=0)  # registered once polling runs
    assert bot.fake.commands == [
        {"command": name, "description": commands[name].description} for name in CHANNEL_COMMANDS
    ]
    assert "quitter" not in [c["command"] for c in bot.fake.commands]


async def test_start_choices_typing_and_navigation_match_the_engine(bot: RunningBot) -> None:
    alice, driver = bot.person(ALICE), Driver(BUNDLE)
    await alice.send("/start")
    driver.command("/start")
    same_as_engine(alice, driver)
    first = driver.buttons[0].label
    await alice.press(first)
    driver.press(first)
    same_as_engine(alice, driver)
    steps = [
        ("/retour", lambda: driver.command("/retour")),
        ("2", lambda: driver.write("2")),  # a number picks the second button
        ("/menu", lambda: driver.command("/menu")),
        (plain(BUNDLE.flows["menu"].nodes["principal"].choices[2].label).lower(),
         lambda: driver.write(BUNDLE.flows["menu"].nodes["principal"].choices[2].label.lower())),
        ("/recommencer", lambda: driver.command("/recommencer")),
        ("/urgence", lambda: driver.command("/urgence")),
        ("/aide", lambda: driver.command("/aide")),
        ("/confidentialite", lambda: driver.command("/confidentialite")),
    ]
    for typed, engine in steps:
        await alice.send(typed)
        engine()
        same_as_engine(alice, driver)
    ui = BUNDLE.interface.buttons
    pressed = 1
    for label in (ui.back, ui.menu, ui.emergency, ui.back):
        if driver.button(label) is None:
            continue  # e.g. the main menu offers no "Menu" button
        await alice.press(label)
        driver.press(label)
        same_as_engine(alice, driver)
        pressed += 1
    assert pressed >= 3 and len(bot.fake.answered_callbacks) == pressed
    no_errors(bot.fake)


async def test_navigation_buttons_sit_on_their_own_last_row(bot: RunningBot) -> None:
    alice = bot.person(ALICE)
    await alice.send("/start entraide")
    rows = alice.last[-1]["reply_markup"]["inline_keyboard"]
    nav = {BUNDLE.interface.buttons.back, BUNDLE.interface.buttons.menu,
           BUNDLE.interface.buttons.emergency}
    assert {b["text"] for b in rows[-1]} <= nav
    assert all(b["text"] not in nav for row in rows[:-1] for b in row)
    assert all(len(row) <= 2 for row in rows[:-1])


@pytest.mark.parametrize("flow", sorted(BUNDLE.flows))
async def test_every_flow_opens_by_deep_link_and_its_first_choice_works(
    bot: RunningBot, flow: str
) -> None:
    alice, driver = bot.person(ALICE), Driver(BUNDLE)
    await alice.send(f"/start {flow}")
    driver.command(f"/start {flow}")
    same_as_engine(alice, driver)
    assert alice.last, f"no answer for /start {flow}"
    choices = [b for b in driver.buttons if b.data is not None]
    if choices:
        await alice.press(choices[0].label)
        driver.press(choices[0].label)
        same_as_engine(alice, driver)
    no_errors(bot.fake)


def _scenarios(path: Path) -> list[Scenario]:
    return ScenarioFile.model_validate(load_file(path).data).scenarios


CORE_SCENARIOS = ("accueil_menu.yaml", "urgence.yaml", "entraide.yaml")
"""Replayed here on Telegram; every scenario file also runs on the engine alone
(tests/test_scenarios.py), and every flow is opened here by deep link. Replaying all of
them through Telegram's rate limit (30 messages/s) would outgrow the suite's time budget."""


@pytest.mark.parametrize(
    "path",
    [p for p in scenario_files(FLOWS / "scenarios") if p.name in CORE_SCENARIOS],
    ids=lambda p: p.name,
)
async def test_staff_scenarios_read_the_same_on_telegram(quick_bot: RunningBot, path: Path) -> None:
    """The core scenarios of flows/scenarios/, played by a person on Telegram."""
    bot = quick_bot
    for number, scenario in enumerate(_scenarios(path)):
        person = bot.person(2000 + number)
        for step in scenario.steps:
            if step.command is not None:
                await person.send(step.command)
            elif step.write is not None:
                await person.send(step.write)
            else:
                assert step.press is not None
                await person.press(step.press)
            shown = fold(person.read())
            for word in step.expect:
                assert fold(word) in shown, (scenario.name, word, person.read())
            for word in step.absent:
                assert fold(word) not in shown, (scenario.name, word)
            if step.at is not None:
                state = bot.stored_state(person.user_id)
                assert state is not None and state["node"] == BUNDLE.canonical(step.at)
    no_errors(bot.fake)


async def test_oubli_asks_then_erases_everything(bot: RunningBot) -> None:
    alice = bot.person(ALICE)
    await alice.send("/start entraide")
    assert bot.stored_state(ALICE) is not None and bot.remembered_ids(ALICE)
    await alice.send("/oubli")
    confirm = BUNDLE.flows["oubli"].nodes["confirmer"]
    assert texts(alice.last)[0] == plain(confirm.messages[0])
    assert bot.stored_state(ALICE) is not None  # nothing erased before the confirmation
    await alice.press(confirm.choices[0].label)
    assert texts(alice.last)[0] == plain(BUNDLE.flows["oubli"].nodes["efface"].messages[0])
    assert bot.stored_state(ALICE) is None
    assert bot.remembered_ids(ALICE) == []
    await alice.send("/retour")  # nothing to go back to
    assert texts(alice.last)[0].startswith(BUNDLE.message("debut_conversation"))


async def test_oubli_can_be_cancelled(bot: RunningBot) -> None:
    alice = bot.person(ALICE)
    await alice.send("/oubli")
    await alice.press(BUNDLE.flows["oubli"].nodes["confirmer"].choices[1].label)
    assert bot.stored_state(ALICE) is not None
    assert texts(alice.last)[0] == plain(BUNDLE.flows["menu"].nodes["principal"].messages[0])


async def test_effacer_deletes_both_sides_then_explains_with_no_way_back(bot: RunningBot) -> None:
    alice = bot.person(ALICE)
    await alice.send("/start violences")
    await alice.send("/urgence")  # crisis numbers: deleted by /effacer, and only by it
    user_ids = [alice.result["message"]["message_id"]]
    await alice.send("je ne sais pas quoi faire")
    user_ids.append(alice.result["message"]["message_id"])
    before = [m["message_id"] for m in alice.messages()]
    await alice.send("/effacer")
    erase_id = alice.result["message"]["message_id"]
    deleted = bot.fake.deleted_message_ids(ALICE)
    assert set(before) <= set(deleted)
    assert {*user_ids, erase_id} <= set(deleted)
    explanation = ["\n\n".join(plain(m) for m in BUNDLE.flows["effacer"].nodes["efface"].messages)]
    assert texts(alice.messages()) == explanation  # all that is left in the chat
    labels = keyboard_labels(alice.last)
    assert BUNDLE.interface.buttons.back not in labels
    assert BUNDLE.interface.buttons.emergency in labels
    state = bot.stored_state(ALICE)
    assert state is not None and state["history"] == [] and state["variables"] == {}
    assert bot.remembered_ids(ALICE) == [m["message_id"] for m in alice.last]
    # Showing the quick-exit screen again (here /retour, with nowhere to go back to)
    # erases again: what it says stays true, and nothing leads back to the violence pages.
    await alice.send("/retour")
    assert texts(alice.messages()) == explanation
    assert bot.stored_state(ALICE)["history"] == []  # type: ignore[index]
    await alice.press(BUNDLE.interface.buttons.emergency)
    assert "3114" in alice.read()  # the explanation's buttons work
    no_errors(bot.fake)


async def test_effacer_goes_by_batches_of_100(quick_bot: RunningBot) -> None:
    bot = quick_bot
    alice = bot.person(ALICE)
    await alice.send("/start")
    for _ in range(50):  # 50 × (command + menu) + the welcome: more than 100 ids
        bot.fake.user_sends_command(ALICE, "/menu")
    await bot.settle()
    await alice.send("/effacer")
    calls = [c for c in bot.fake.calls if c.method == "deleteMessages"]
    assert len(calls) == 2 and all(len(c.params["message_ids"]) <= 100 for c in calls)
    assert len(alice.messages()) == len(alice.last)


async def test_effacer_after_48_hours_still_explains(bot: RunningBot) -> None:
    alice = bot.person(ALICE)
    old = await alice.send("/start")
    bot.fake.advance_clock(DELETE_WINDOW_SECONDS + 3600)
    await alice.send("/effacer")
    explanation = ["\n\n".join(plain(m) for m in BUNDLE.flows["effacer"].nodes["efface"].messages)]
    assert texts(alice.last) == explanation
    assert texts(alice.messages()) == texts(old) + explanation  # Telegram keeps the old ones
    assert bot.fake.deleted_message_ids(ALICE) == [alice.result["message"]["message_id"]]
    no_errors(bot.fake)


async def test_old_button_gets_stale_notice_and_current_screen(bot: RunningBot) -> None:
    alice = bot.person(ALICE)
    first = await alice.send("/start entraide")
    await alice.press(keyboard_labels(first)[0])
    here = bot.stored_state(ALICE)
    await alice.press(keyboard_labels(first)[1], among=first)  # from the older message
    [screen] = texts(alice.last)  # the notice and the current screen, in one message
    assert screen.startswith(BUNDLE.message("menu_perime") + "\n\n")
    assert keyboard_labels(alice.last)
    assert bot.stored_state(ALICE)["node"] == here["node"]  # type: ignore[index]
    assert len(bot.fake.answered_callbacks) == 2


async def test_crisis_numbers_are_sent_first(bot: RunningBot) -> None:
    alice = bot.person(ALICE)
    await alice.send("/urgence")
    numbers = alice.last
    await alice.press_data(numbers[-1]["message_id"], "forged")  # engine: stale, then numbers
    [screen] = texts(alice.last)
    assert screen.startswith(texts(numbers)[0])
    assert screen.endswith(BUNDLE.message("menu_perime"))


async def test_restart_mid_conversation_resumes_and_old_buttons_still_work(
    fake_bot_api: FakeBotApi, database: Database
) -> None:
    db = database
    driver = Driver(BUNDLE)
    async with running_bot(fake_bot_api, db) as bot:
        alice = bot.person(ALICE)
        await alice.send("/start entraide")
        driver.command("/start entraide")
        screen = alice.last
    async with running_bot(fake_bot_api, db) as bot:
        alice = bot.person(ALICE)
        label = keyboard_labels(screen)[0]
        await alice.press(label, among=screen)  # a button sent before the restart
        driver.press(label)
        same_as_engine(alice, driver)
        await alice.send("/retour")
        driver.command("/retour")
        same_as_engine(alice, driver)
    no_errors(fake_bot_api)


async def test_redelivered_update_is_answered_once(bot: RunningBot) -> None:
    alice = bot.person(ALICE)
    await alice.send("/start")
    update = alice.result
    state = bot.stored_state(ALICE)
    count = len(alice.messages())
    bot.fake.redeliver(update)  # as Telegram does after a crash before the offset moved
    await bot.settle()
    assert len(alice.messages()) == count
    assert bot.stored_state(ALICE) == state


def _copy_content(tmp_path: Path) -> tuple[Path, Path]:
    flows, knowledge = tmp_path / "flows", tmp_path / "knowledge"
    shutil.copytree(FLOWS, flows)
    shutil.copytree(KNOWLEDGE, knowledge)
    return flows, knowledge


ESSAI = """flux: essai
titre: "Essai"
debut: question
etapes:
  question:
    message: "Une question d'essai ?"
    choix:
      - texte: "Oui"
        vers: fin
      - texte: "Non"
        flux: menu
  fin:
    message: "Fin de l'essai."
    fin: oui
"""


async def test_buttons_after_a_content_update(fake_bot_api: FakeBotApi, tmp_path: Path) -> None:
    flows, knowledge = _copy_content(tmp_path)
    (flows / "essai.yaml").write_text(ESSAI, encoding="utf-8")
    db = tmp_path / "bot.db"
    async with running_bot(fake_bot_api, db, flows=flows, knowledge=knowledge) as bot:
        alice, bob = bot.person(ALICE), bot.person(BOB)
        essai = await alice.send("/start essai")
        entraide = await bob.send("/start entraide")
    # The staff delete the flow Alice is in and reword the screen Bob is on.
    (flows / "essai.yaml").unlink()
    path = flows / "entraide.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("soutient", "aide"), encoding="utf-8")
    async with running_bot(fake_bot_api, db, flows=flows, knowledge=knowledge) as bot:
        updated: Bundle = bot.bundle
        alice, bob = bot.person(ALICE), bot.person(BOB)
        await alice.press("Oui", among=essai)
        assert texts(alice.last)[0].startswith(updated.message("etape_disparue"))
        assert bot.stored_state(ALICE)["node"] == "menu/principal"  # type: ignore[index]
        await bob.press(keyboard_labels(entraide)[0], among=entraide)
        assert texts(bob.last)[0].startswith(updated.message("menu_perime"))
        assert bot.stored_state(BOB)["node"] == "entraide/presentation"  # type: ignore[index]
        await bob.press(keyboard_labels(bob.last)[0])  # the fresh buttons work
        assert bot.stored_state(BOB)["node"] != "entraide/presentation"  # type: ignore[index]
        assert len(bot.fake.answered_callbacks) == 3
    no_errors(fake_bot_api)


async def test_content_edited_while_running(
    fake_bot_api: FakeBotApi, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Valid edits go live without a restart; a broken edit changes nothing."""
    monkeypatch.setattr(app_module, "CONTENT_CHECK_EVERY", 0.05)
    flows, knowledge = _copy_content(tmp_path)
    admin_id = 777
    async with running_bot(fake_bot_api, tmp_path / "bot.db", flows=flows,
                           knowledge=knowledge, admins=[admin_id]) as bot:
        alice, bob, admin = bot.person(ALICE), bot.person(BOB), bot.person(admin_id)
        screen = await bob.send("/start entraide")
        [before] = texts(await admin.send("/version"))

        async def until(done: Callable[[], Awaitable[bool]]) -> None:
            for _ in range(200):  # the bot looks every 0.05 s here; allow 10 s
                if await done():
                    return
                await asyncio.sleep(0.05)
            pytest.fail("the edit was not noticed")

        async def rejected() -> bool:  # logged, and the staff alert has reached the admin
            return "content edit rejected" in caplog.text and len(admin.messages()) > 1

        async def version_changed() -> bool:
            return texts(await admin.send("/version")) != [before]

        aide = (flows / "aide.yaml").read_text(encoding="utf-8")
        (flows / "aide.yaml").write_text("flux: [cassé\n", encoding="utf-8")
        await until(rejected)
        assert texts(await admin.send("/version")) == [before]
        assert await alice.send("/aide")  # the bot answers with the last good content
        (flows / "aide.yaml").write_text(aide, encoding="utf-8")
        path = flows / "entraide.yaml"
        path.write_text(path.read_text(encoding="utf-8").replace("soutient", "aide"), "utf-8")
        await until(version_changed)
        await bob.press(keyboard_labels(screen)[0], among=screen)
        assert texts(bob.last)[0].startswith(BUNDLE.message("menu_perime"))
        assert "aide les kinés" in " ".join(texts(bob.last))
