"""Safety promises of the shipped content, whatever the state of the conversation."""

from __future__ import annotations

import pytest

from bot.content.bundle import Bundle
from bot.engine.engine import step
from bot.engine.events import Text
from bot.engine.replies import Message
from bot.scenarios import Driver

CRISIS_NUMBERS = ("3114", "15", "112", "0800 288 038")


def screens(bundle: Bundle) -> list[Driver]:
    """One conversation stopped at the start of each flow."""
    drivers = []
    for flow in bundle.flows:
        driver = Driver(bundle)
        driver.command(f"/start {flow}")
        drivers.append(driver)
    return drivers


@pytest.mark.parametrize("text", ["je veux en finir", "jveu mourir", "il va me tuer"])
def test_crisis_numbers_come_first_in_one_message_from_every_screen(
    real_bundle: Bundle, text: str
) -> None:
    for driver in screens(real_bundle):
        result = step(real_bundle, driver.state, Text(text))
        first = result.replies[0]
        assert isinstance(first, Message) and first.alert, driver.state.node
        assert all(n in first.text for n in CRISIS_NUMBERS), first.text


def test_urgence_is_one_command_away_everywhere(real_bundle: Bundle) -> None:
    for driver in screens(real_bundle):
        text = driver.command("/urgence")
        assert all(n in text.split("\n\n")[0] for n in CRISIS_NUMBERS)


def test_not_understood_still_gives_the_suicide_prevention_line(real_bundle: Bundle) -> None:
    driver = Driver(real_bundle)
    driver.command("/start")
    text = driver.write("xkcd zzz qwerty")
    assert "Je n'ai pas bien compris" in text
    assert "3114" in text
