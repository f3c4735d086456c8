"""Read ``flows/`` and ``knowledge/``, validate everything, report every problem.

Three layers, as in the best flow engines: strict YAML (lines kept), pydantic
schemas (French keys), then cross-checks over the whole content
(:mod:`bot.content.checks`). Nothing stops at the first problem: the staff fix
everything in one pass.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from . import checks
from .bundle import Bundle
from .humanize import problems_from
from .located import Located
from .models import (
    DepartmentFile,
    Flow,
    Interface,
    ResourceFile,
    SimulatorFile,
    Understanding,
)
from .problems import Code, Problem, relative
from .yaml_loader import Document, YamlError, load_file

log = logging.getLogger(__name__)

M = TypeVar("M", bound=BaseModel)

INTERFACE_FILE = "interface.yaml"
UNDERSTANDING_FILE = "comprehension.yaml"


@dataclass
class LoadResult:
    """The content when valid, and every problem found."""

    bundle: Bundle | None
    problems: list[Problem]

    @property
    def ok(self) -> bool:
        return self.bundle is not None and not self.problems


def _yaml_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())


def _validate(
    model: type[M], doc: Document, data: Any, prefix: tuple[str | int, ...], out: list[Problem]
) -> M | None:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        out.extend(problems_from(exc, doc, prefix))
        return None


def load_content(flows_dir: Path, knowledge_dir: Path) -> LoadResult:
    """Load and check all content; never raises on bad content."""
    problems: list[Problem] = []
    where = Located()
    flows: dict[str, Flow] = {}
    resources: dict[str, Any] = {}
    departments: dict[str, Any] = {}
    regions: dict[str, str] = {}
    simulators: dict[str, Any] = {}
    interface: Interface | None = None
    understanding: Understanding | None = None
    digest = hashlib.sha256()
    files: list[str] = []

    def read(path: Path) -> Document | None:
        files.append(relative(path))
        digest.update(relative(path).encode())
        try:
            digest.update(path.read_bytes())
            doc = load_file(path)
        except (YamlError, OSError) as exc:
            message = exc.message if isinstance(exc, YamlError) else str(exc)
            line = exc.line if isinstance(exc, YamlError) else None
            problems.append(Problem(relative(path), line, Code.YAML, message))
            return None
        if not isinstance(doc.data, dict):
            problems.append(
                Problem(relative(path), 1, Code.SCHEMA, "le fichier est vide ou n'est pas un bloc.")
            )
            return None
        return doc

    for folder, label in ((flows_dir, "flows"), (knowledge_dir, "knowledge")):
        if not folder.is_dir():
            problems.append(
                Problem(
                    relative(folder),
                    None,
                    Code.MISSING_FILE,
                    f"le dossier {label} est introuvable.",
                )
            )

    if flows_dir.is_dir():
        for path in sorted(flows_dir.glob("*.y*ml")):
            doc = read(path)
            if doc is None:
                continue
            if path.name == INTERFACE_FILE:
                interface = _validate(
                    Interface, doc, doc.data.get("interface"), ("interface",), problems
                )
                where.interface = doc
            elif path.name == UNDERSTANDING_FILE:
                understanding = _validate(Understanding, doc, doc.data, (), problems)
                where.understanding = doc
            else:
                flow = _validate(Flow, doc, doc.data, (), problems)
                if flow is None:
                    continue
                if flow.name in flows:
                    first = relative(where.flows[flow.name][0].path)
                    problems.append(
                        Problem(
                            relative(path),
                            doc.line_of(("flux",)),
                            Code.DUPLICATE_ID,
                            f"le flux « {flow.name} » existe déjà dans {first} : "
                            "renommez l'un des deux.",
                        )
                    )
                    continue
                flows[flow.name] = flow
                where.flows[flow.name] = (doc, ())
        for name, found in ((INTERFACE_FILE, interface), (UNDERSTANDING_FILE, understanding)):
            if found is None and not (flows_dir / name).exists():
                problems.append(
                    Problem(
                        relative(flows_dir / name),
                        None,
                        Code.MISSING_FILE,
                        "ce fichier obligatoire est absent.",
                    )
                )

    if knowledge_dir.is_dir():
        for path in _yaml_files(knowledge_dir):
            doc = read(path)
            if doc is None:
                continue
            _collect_knowledge(doc, problems, where, resources, departments, regions, simulators)

    if interface is None or understanding is None or (problems and not flows):
        return LoadResult(None, sorted(problems, key=_order))
    problems.extend(
        checks.check_all(flows, resources, departments, simulators, interface, understanding, where)
    )
    problems = sorted(set(problems), key=_order)
    bundle = Bundle(
        flows=flows,
        resources=resources,
        departments=dict(sorted(departments.items())),
        regions=regions,
        simulators=simulators,
        interface=interface,
        understanding=understanding,
        version=digest.hexdigest()[:10],
        loaded_at=dt.datetime.now(dt.UTC),
        files=tuple(files),
    )
    return LoadResult(None if problems else bundle, problems)


def _order(problem: Problem) -> tuple[str, int, str]:
    return (problem.file, problem.line or 0, problem.message)


def _collect_knowledge(
    doc: Document,
    problems: list[Problem],
    where: Located,
    resources: dict[str, Any],
    departments: dict[str, Any],
    regions: dict[str, str],
    simulators: dict[str, Any],
) -> None:
    name = relative(doc.path)
    kinds: dict[str, tuple[type[BaseModel], Callable[[Any], None]]] = {}

    def add_resources(model: ResourceFile) -> None:
        for key, res in model.resources.items():
            _add_unique(
                key,
                res,
                resources,
                where.resources,
                doc,
                ("ressources", key),
                "la ressource",
                problems,
            )

    def add_departments(model: DepartmentFile) -> None:
        for i, dep in enumerate(model.departments):
            if _add_unique(
                dep.code,
                dep,
                departments,
                where.departments,
                doc,
                ("departements", i),
                "le département",
                problems,
            ):
                regions[dep.code] = model.region

    def add_simulators(model: SimulatorFile) -> None:
        for key, sim in model.simulators.items():
            _add_unique(
                key,
                sim,
                simulators,
                where.simulators,
                doc,
                ("simulateurs", key),
                "le simulateur",
                problems,
            )

    kinds["ressources"] = (ResourceFile, add_resources)
    kinds["departements"] = (DepartmentFile, add_departments)
    kinds["simulateurs"] = (SimulatorFile, add_simulators)
    for key, (model_type, add) in kinds.items():
        if key in doc.data:
            model = _validate(model_type, doc, doc.data, (), problems)
            if model is not None:
                add(model)
            return
    problems.append(
        Problem(
            name,
            1,
            Code.SCHEMA,
            "fichier de connaissances non reconnu : il doit commencer par « ressources: », "
            "« departements: » (avec « region: ») ou « simulateurs: ».",
        )
    )


def _add_unique(
    key: str,
    value: Any,
    into: dict[str, Any],
    located: dict[str, tuple[Document, tuple[str | int, ...]]],
    doc: Document,
    loc: tuple[str | int, ...],
    what: str,
    problems: list[Problem],
) -> bool:
    if key in into:
        first_doc, first_loc = located[key]
        problems.append(
            Problem(
                relative(doc.path),
                doc.line_of(loc),
                Code.DUPLICATE_ID,
                f"{what} « {key} » existe déjà dans {relative(first_doc.path)}, "
                f"ligne {first_doc.line_of(first_loc)} : gardez-en une seule.",
            )
        )
        return False
    into[key] = value
    located[key] = (doc, loc)
    return True
