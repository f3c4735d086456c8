"""The staff-written scenarios of ``flows/scenarios/``, run one by one with their transcript.

Same runner as ``entraide scenarios`` (:func:`bot.scenarios.run_scenario`); the studio also
keeps what was done and read at each step, so that a failure can be read as a conversation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from bot.content.bundle import Bundle
from bot.content.humanize import problems_from
from bot.content.problems import Code, Problem, relative
from bot.content.yaml_loader import YamlError, load_file
from bot.scenarios import ScenarioFile, run_scenario, scenario_files


@dataclass(frozen=True)
class Run:
    """One scenario: passed, or its failure and the conversation up to it."""

    name: str
    failure: Problem | None
    transcript: tuple[tuple[str, str], ...]

    @property
    def passed(self) -> bool:
        return self.failure is None


@dataclass
class FileRuns:
    """The scenarios of one file, or why the file could not be read."""

    file: str
    runs: list[Run] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def failed(self) -> int:
        return sum(not run.passed for run in self.runs) + len(self.problems)


def run_all(bundle: Bundle, folder: Path) -> list[FileRuns]:
    """Every scenario of every file of ``folder``."""
    out: list[FileRuns] = []
    for path in scenario_files(folder):
        found = FileRuns(relative(path))
        out.append(found)
        try:
            doc = load_file(path)
            model = ScenarioFile.model_validate(doc.data)
        except YamlError as exc:
            found.problems.append(Problem(found.file, exc.line, Code.YAML, exc.message))
            continue
        except ValidationError as exc:
            found.problems.extend(problems_from(exc, doc))
            continue
        for i, scenario in enumerate(model.scenarios):
            lines = [doc.line_of(("scenarios", i, "pas", j)) for j in range(len(scenario.steps))]
            transcript: list[tuple[str, str]] = []
            failures = run_scenario(bundle, scenario, found.file, lines, transcript=transcript)
            found.runs.append(
                Run(scenario.name, failures[0] if failures else None, tuple(transcript))
            )
    return out
