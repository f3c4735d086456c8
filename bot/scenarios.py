"""Scenario files: conversations written in YAML by staff, replayed on the pure engine.

A scenario says what the person does (``commande``, ``toucher``, ``ecrire``) and
what must then be read (``attendu``), must not be read (``absent``), or where the
conversation must be (``etape``). ``entraide scenarios`` and the test suite run
them all; failures name the file, the line and what was shown instead.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from bot.channels.plain import render
from bot.content.bundle import Bundle
from bot.content.humanize import problems_from
from bot.content.problems import Code, Problem, relative
from bot.content.yaml_loader import YamlError, load_file
from bot.engine.engine import step
from bot.engine.events import Command, Event, Press, Start, Text
from bot.engine.replies import Action, Button, Reply
from bot.engine.state import State


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ScenarioStep(_Strict):
    command: str | None = Field(None, alias="commande", description="Par ex. /start, /menu.")
    press: str | None = Field(None, alias="toucher", description="Texte exact d'un bouton affiché.")
    write: str | None = Field(None, alias="ecrire", description="Texte tapé par la personne.")
    expect: list[str] = Field(default_factory=list, alias="attendu")
    absent: list[str] = Field(default_factory=list, alias="absent")
    at: str | None = Field(None, alias="etape", description="Étape atteinte : flux/etape.")

    @model_validator(mode="after")
    def _one_action(self) -> ScenarioStep:
        if sum(x is not None for x in (self.command, self.press, self.write)) != 1:
            raise ValueError("chaque pas a exactement une action : commande, toucher ou ecrire")
        return self


class Scenario(_Strict):
    name: str = Field(alias="nom")
    steps: list[ScenarioStep] = Field(alias="pas", min_length=1)


class ScenarioFile(_Strict):
    scenarios: list[Scenario] = Field(alias="scenarios", min_length=1)


def _failure(file: str, line: int | None, scenario: str, message: str) -> Problem:
    """A scenario whose expectation was not met, located like any content problem."""
    return Problem(file, line, Code.SCENARIO, f"[{scenario}] {message}")


def _fold(text: str) -> str:
    """Compare as a reader would: case, accents and spacing do not matter."""
    text = unicodedata.normalize("NFKD", text.replace("\u00a0", " ").replace("\u202f", " "))
    text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(text.casefold().split())


class Driver:
    """A person talking to the pure engine: the scenario runner's and the tests' hands."""

    def __init__(self, bundle: Bundle, nonce: str = "s") -> None:
        self.bundle = bundle
        self.state = State.fresh(nonce)
        self.buttons: list[Button] = []
        self.text = ""
        self.replies: tuple[Reply, ...] = ()
        self.visited: set[str] = set()
        """Every node the conversation stopped at: what the scenarios cover."""

    def send(self, event: Event) -> str:
        """Apply one event; returns what the person reads."""
        result = step(self.bundle, self.state, event)
        self.state = result.state
        self.replies = result.replies
        if result.state.node is not None:
            self.visited.add(result.state.node)
        self.text, self.buttons = render(result.replies)
        if Action.FORGET in result.replies:
            self.state = State.fresh(self.state.nonce + "x")
        return self.text

    def command(self, line: str) -> str:
        name, _, arg = line.strip().lstrip("/").partition(" ")
        return self.send(Start(arg.strip() or None) if name == "start" else Command(name))

    def write(self, text: str) -> str:
        return self.send(Text(text))

    def button(self, label: str) -> Button | None:
        """The button on display whose label reads as ``label``."""
        for button in self.buttons:
            if _fold(button.label) == _fold(label) and button.data is not None:
                return button
        return None

    def press(self, label: str) -> str:
        button = self.button(label)
        if button is None or button.data is None:
            raise LookupError(self.missing(label))
        return self.send(Press(button.data))

    def missing(self, label: str) -> str:
        shown = ", ".join(f"« {b.label} »" for b in self.buttons if b.data) or "aucun"
        return f"pas de bouton « {label} » ; boutons affichés : {shown}"


def run_scenario(
    bundle: Bundle,
    scenario: Scenario,
    file: str,
    lines: list[int | None],
    visited: set[str] | None = None,
    transcript: list[tuple[str, str]] | None = None,
) -> list[Problem]:
    """Replay one scenario; returns its failures (empty when it passes).

    ``visited`` collects the nodes the scenario went through, to measure coverage;
    ``transcript`` receives each step as (what the person did, what they then read).
    """
    driver = Driver(bundle)
    if visited is not None:
        driver.visited = visited
    for index, step_ in enumerate(scenario.steps):
        line = lines[index]
        try:
            if step_.command is not None:
                text = driver.command(step_.command)
            elif step_.write is not None:
                text = driver.write(step_.write)
            else:
                assert step_.press is not None
                text = driver.press(step_.press)
        except LookupError as exc:
            return [_failure(file, line, scenario.name, str(exc))]
        if transcript is not None:
            did = step_.command or step_.write or f"[{step_.press}]"
            transcript.append((did, text))
        folded = _fold(text)
        for word in step_.expect:
            if _fold(word) not in folded:
                message = f"« {word} » attendu mais absent. Affiché :\n{text}"
                return [_failure(file, line, scenario.name, message)]
        for word in step_.absent:
            if _fold(word) in folded:
                return [_failure(file, line, scenario.name, f"« {word} » ne devait pas apparaître")]
        if step_.at is not None and bundle.canonical(step_.at) != driver.state.node:
            where = driver.state.node
            message = f"étape « {step_.at} » attendue, la conversation est à « {where} »"
            return [_failure(file, line, scenario.name, message)]
    return []


def scenario_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.glob("*.y*ml") if p.is_file())


def run_file(
    bundle: Bundle, path: Path, visited: set[str] | None = None
) -> tuple[int, list[Problem]]:
    """Run every scenario of one file; returns (scenarios run, failures or format problems)."""
    try:
        doc = load_file(path)
        model = ScenarioFile.model_validate(doc.data)
    except YamlError as exc:
        return 0, [Problem(relative(path), exc.line, Code.YAML, exc.message)]
    except ValidationError as exc:
        return 0, list(problems_from(exc, doc))
    failures: list[Problem] = []
    for i, scenario in enumerate(model.scenarios):
        lines = [doc.line_of(("scenarios", i, "pas", j)) for j in range(len(scenario.steps))]
        failures.extend(run_scenario(bundle, scenario, relative(path), lines, visited))
    return len(model.scenarios), failures
