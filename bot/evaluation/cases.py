"""The files ``entraide eval`` reads: labelled messages and first-screen annotations.

Both are staff-maintained YAML with French keys, read strictly: a typo in a key
or a value is an error naming the file and line, never a silent default.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bot.content.yaml_loader import Document, YamlError, load_file

_TESTS: Final = Path(__file__).resolve().parent.parent.parent / "tests" / "understanding"
DEFAULT_CASES: Final = _TESTS / "labelled_messages.yaml"
"""The labelled set the gates apply to."""
DEFAULT_HOLDOUT: Final = _TESTS / "labelled_holdout.yaml"
DEFAULT_NEAR_MISSES: Final = _TESTS / "near_misses.yaml"
"""Calm messages written with crisis-like words: none may get the crisis screen."""
DEFAULT_NEAR_MISSES_HOLDOUT: Final = _TESTS / "near_misses_holdout.yaml"
DEFAULT_FIRST_SCREENS: Final = _TESTS / "first_screens.yaml"
"""What the first screen must show, per expected flow, and each flow's floor."""
DEFAULT_STATUS: Final = "liberal"
NOT_UNDERSTOOD: Final = "aucun"
"""Label of messages the assistant must admit it did not understand."""


class CasesError(Exception):
    """A file of ``entraide eval`` cannot be read; the message says where."""


class Case(BaseModel):
    """One labelled message (field names are the French ones of the YAML file)."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)
    message: str = Field(min_length=1)
    expected: str = Field(alias="attendu", min_length=1)
    crisis: Literal["oui", "non"] = Field(alias="crise")
    origin: Literal["menu", "accueil"] = Field("menu", alias="depuis")
    status: str = Field(DEFAULT_STATUS, alias="statut")
    first_screen: tuple[str, ...] | None = Field(None, alias="premier_ecran")
    """Overrides the expected flow's key content (``first_screens.yaml``) for this message."""
    note: str | None = None

    @property
    def is_crisis(self) -> bool:
        return self.crisis == "oui"


class FlowScreen(BaseModel):
    """What a flow's first screen must show, and the rate it must not fall below."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    show: tuple[str, ...] = Field(alias="montrer")
    """Each item must appear; "a | b" means either. Empty: nothing is checked."""
    floor: float = Field(0.0, alias="plancher", ge=0, le=100)
    """Per cent of the main set's messages expected in this flow that must pass."""


class FirstScreens(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    flows: dict[str, FlowScreen] = Field(alias="premier_ecran")

    def required(self, case: Case) -> tuple[str, ...] | None:
        """Key content ``case`` must find on its first screen; None when not annotated."""
        if case.first_screen is not None:
            return case.first_screen
        rule = self.flows.get(case.expected)
        return rule.show if rule is not None else None


def _load(path: Path) -> tuple[Document, object]:
    try:
        doc = load_file(path)
    except YamlError as exc:
        raise CasesError(f"{path}, line {exc.line}: {exc.message}") from None
    except OSError as exc:
        raise CasesError(f"{path}: {exc.strerror}") from None
    return doc, doc.data


def load_cases(path: Path) -> list[Case]:
    """Read labelled messages (a YAML list), strictly: every mistake is an error."""
    doc, data = _load(path)
    if not isinstance(data, list) or not data:
        raise CasesError(f"{path}: expected a non-empty list of cases")
    cases: list[Case] = []
    for number, raw in enumerate(data):
        try:
            cases.append(Case.model_validate(raw))
        except ValidationError as exc:
            line = doc.line_of((number,))
            raise CasesError(f"{path}, line {line}: {exc.errors()[0]['msg']}") from None
    return cases


def load_first_screens(path: Path) -> FirstScreens:
    """Read the first-screen annotations (``premier_ecran:`` flow -> montrer, plancher)."""
    doc, data = _load(path)
    try:
        return FirstScreens.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        line = doc.line_of(tuple(error["loc"]))
        raise CasesError(f"{path}, line {line}: {error['msg']}") from None
