"""Scenario files: conversations written in YAML by staff, replayed on the pure engine.

A scenario says what the person does (``commande``, ``toucher``, ``ecrire``) and
what must then be read (``attendu``), must not be read (``absent``), or where the
conversation must be (``etape``). ``entraide scenarios`` and the test suite run
them all; failures name the file, the line and what was shown instead.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from bot.channels.plain import render
from bot.content.bundle import Bundle
from bot.content.humanize import problems_from
from bot.content.problems import Code, Problem, relative
from bot.content.yaml_loader import YamlError, load_file
from bot.engine.engine import step
from bot.engine.events import Command, Event, Press, Start, Text
from bot.engine.replies import Action, Button
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


@dataclass(frozen=True)
class Failure:
    """A scenario step whose expectation was not met."""

    file: str
    line: int | None
    scenario: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}, ligne {self.line}" if self.line else self.file
        return f"{where} [{self.scenario}] : {self.message}"


def _fold(text: str) -> str:
    """Compare as a reader would: case, accents and spacing do not matter."""
    text = unicodedata.normalize("NFKD", text.replace("\u00a0", " ").replace("\u202f", " "))
    text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(text.casefold().split())


def _event(step_: ScenarioStep, buttons: list[Button]) -> Event | str:
    """The event for a step, or a French error message."""
    if step_.command is not None:
        name, _, arg = step_.command.strip().lstrip("/").partition(" ")
        return Start(arg.strip() or None) if name == "start" else Command(name)
    if step_.write is not None:
        return Text(step_.write)
    assert step_.press is not None
    for button in buttons:
        if _fold(button.label) == _fold(step_.press) and button.data is not None:
            return Press(button.data)
    shown = ", ".join(f"« {b.label} »" for b in buttons if b.data) or "aucun"
    return f"pas de bouton « {step_.press} » ; boutons affichés : {shown}"


def run_scenario(
    bundle: Bundle, scenario: Scenario, file: str, lines: list[int | None]
) -> list[Failure]:
    """Replay one scenario; returns its failures (empty when it passes)."""
    state = State.fresh("s")
    buttons: list[Button] = []
    for index, step_ in enumerate(scenario.steps):
        line = lines[index]
        event = _event(step_, buttons)
        if isinstance(event, str):
            return [Failure(file, line, scenario.name, event)]
        result = step(bundle, state, event)
        state = result.state
        text, buttons = render(result.replies)
        if Action.FORGET in result.replies:
            state = State.fresh("s2")
        folded = _fold(text)
        for word in step_.expect:
            if _fold(word) not in folded:
                return [
                    Failure(
                        file,
                        line,
                        scenario.name,
                        f"« {word} » attendu mais absent. Affiché :\n{text}",
                    )
                ]
        for word in step_.absent:
            if _fold(word) in folded:
                return [Failure(file, line, scenario.name, f"« {word} » ne devait pas apparaître")]
        if step_.at is not None and bundle.canonical(step_.at) != state.node:
            return [
                Failure(
                    file,
                    line,
                    scenario.name,
                    f"étape « {step_.at} » attendue, la conversation est à « {state.node} »",
                )
            ]
    return []


def scenario_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.glob("*.y*ml") if p.is_file())


def run_file(bundle: Bundle, path: Path) -> tuple[int, list[Failure | Problem]]:
    """Run every scenario of one file; returns (scenarios run, failures or format problems)."""
    try:
        doc = load_file(path)
        model = ScenarioFile.model_validate(doc.data)
    except YamlError as exc:
        return 0, [Problem(relative(path), exc.line, Code.YAML, exc.message)]
    except ValidationError as exc:
        return 0, list(problems_from(exc, doc))
    failures: list[Failure | Problem] = []
    for i, scenario in enumerate(model.scenarios):
        lines = [doc.line_of(("scenarios", i, "pas", j)) for j in range(len(scenario.steps))]
        failures.extend(run_scenario(bundle, scenario, relative(path), lines))
    return len(model.scenarios), failures
