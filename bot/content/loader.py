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
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from . import checks
from .bundle import Bundle
from .humanize import problems_from
from .knowledge import Knowledge
from .located import Located
from .models import Flow, Interface, Understanding
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
    version: str = ""
    """Digest of the files read, valid or not: two loads of the same files agree."""
    where: Located = field(default_factory=Located)
    """File and line of every item that was loaded (for the studio's tables)."""

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
    knowledge = Knowledge(where, problems)
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
            problem = Problem(relative(path), line, Code.YAML, message)
            problems.append(problem)
            _salvage_names(path, path.is_relative_to(flows_dir), problem, where)
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
                before = len(problems)
                flow = _validate(Flow, doc, doc.data, (), problems)
                if flow is None:
                    _break_flow(doc, problems[before], where)
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
            knowledge.collect(doc)

    version = digest.hexdigest()[:10]
    if interface is None or understanding is None or (problems and not flows):
        return LoadResult(None, sorted(problems, key=_order), version, where)
    problems.extend(
        checks.check_all(
            flows,
            knowledge.resources,
            knowledge.departments,
            knowledge.simulators,
            interface,
            understanding,
            where,
        )
    )
    problems = sorted(set(problems), key=_order)
    bundle = Bundle(
        flows=flows,
        resources=knowledge.resources,
        departments=dict(sorted(knowledge.departments.items())),
        regions=knowledge.regions,
        simulators=knowledge.simulators,
        interface=interface,
        understanding=understanding,
        version=version,
        loaded_at=dt.datetime.now(dt.UTC),
        files=tuple(files),
    )
    return LoadResult(None if problems else bundle, problems, version, where)


def _order(problem: Problem) -> tuple[str, int, str]:
    return (problem.file, problem.line or 0, problem.message)


def _break_flow(doc: Document, problem: Problem, where: Located) -> None:
    """A flow that failed its schema: references to it, and to the variables it sets, are
    consequences of its problem."""
    name = doc.data.get("flux")
    where.break_item(f"flux:{name if isinstance(name, str) else doc.path.stem}", problem)
    for variable in _variables_set(doc.data):
        where.break_item(f"variable:{variable}", problem)


def _variables_set(data: Any) -> set[str]:
    """Names under every ``definir`` and every ``saisie: variable`` of raw flow data."""
    found: set[str] = set()
    if isinstance(data, dict):
        for key, value in data.items():
            if key == "definir" and isinstance(value, dict):
                found.update(str(k) for k in value)
            elif key == "saisie" and isinstance(value, dict) and "variable" in value:
                found.add(str(value["variable"]))
            found |= _variables_set(value)
    elif isinstance(data, list):
        for item in data:
            found |= _variables_set(item)
    return found


_FLOW_NAME_RE = re.compile(r"^flux:\s*[\"']?([a-z0-9_]+)", re.MULTILINE)
_ITEM_RE = re.compile(r"^  ([a-z0-9_]+):\s*(?:#.*)?$", re.MULTILINE)
_CODE_RE = re.compile(r"code:\s*[\"']?(\d{2,3}|2[AB])\b")
_CONTACT_RE = re.compile(r"(?:telephone|sms|url):\s*[\"']?([^\"'\n#]+)")
_VARIABLE_RE = re.compile(r"(?:variable:\s*|definir:\s*\{\s*)([a-z0-9_]+)")


def _salvage_names(path: Path, is_flow: bool, problem: Problem, where: Located) -> None:
    """A file that is not even YAML: guess, from its text, the names it defines, so that
    references to them are reported as consequences of its problem rather than on their own."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return
    if is_flow:
        match = _FLOW_NAME_RE.search(text)
        where.break_item(f"flux:{match.group(1) if match else path.stem}", problem)
        for variable in _VARIABLE_RE.findall(text):
            where.break_item(f"variable:{variable}", problem)
        return
    for key in _ITEM_RE.findall(text):
        where.break_item(f"ressource:{key}", problem)
        where.break_item(f"simulateur:{key}", problem)
    for code in _CODE_RE.findall(text):
        where.break_item(f"departement:{code}", problem)
    for contact in _CONTACT_RE.findall(text):
        where.break_contact(contact.strip(), problem)
