"""Read the files of ``knowledge/`` (resources, departments, simulators) into one place.

A file that fails its schema still holds valid items: they are kept (so that references to
them are not reported), and each broken item is remembered with its own problem
(:attr:`Located.broken`), so that references to it are reported as consequences of that
problem and not as new ones. Nothing here is ever served while any problem remains: the
loader builds no bundle then.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ValidationError

from .humanize import problems_from
from .located import Loc, Located
from .models import (
    Department,
    DepartmentFile,
    Resource,
    ResourceFile,
    Simulator,
    SimulatorFile,
)
from .problems import Code, Problem, relative
from .yaml_loader import Document

CONTACT_FIELDS = ("telephone", "sms", "url")


@dataclass
class Knowledge:
    """Everything read from ``knowledge/`` so far, and the problems found."""

    where: Located
    problems: list[Problem]
    resources: dict[str, Resource] = field(default_factory=dict)
    departments: dict[str, Department] = field(default_factory=dict)
    regions: dict[str, str] = field(default_factory=dict)
    simulators: dict[str, Simulator] = field(default_factory=dict)

    def collect(self, doc: Document) -> None:
        """Add the items of one parsed file, whatever its kind."""
        kinds: dict[str, tuple[type[BaseModel], Callable[[Document, Any], None]]] = {
            "ressources": (ResourceFile, self._resources),
            "departements": (DepartmentFile, self._departments),
            "simulateurs": (SimulatorFile, self._simulators),
        }
        for key, (model, add) in kinds.items():
            if key in doc.data:
                self._validated(model, key, doc, add)
                return
        self.problems.append(
            Problem(
                relative(doc.path),
                1,
                Code.SCHEMA,
                "fichier de connaissances non reconnu : il doit commencer par « ressources: », "
                "« departements: » (avec « region: ») ou « simulateurs: ».",
            )
        )

    def _validated(
        self,
        model: type[BaseModel],
        container: str,
        doc: Document,
        add: Callable[[Document, Any], None],
    ) -> None:
        try:
            model.model_validate(doc.data)
        except ValidationError as exc:
            found = problems_from(exc, doc)
            self.problems.extend(found)
            per_item: dict[str | int, Problem] = {}
            whole: Problem | None = None
            for error, problem in zip(exc.errors(include_url=False), found, strict=True):
                loc = [part for part in error["loc"] if not str(part).startswith("function-")]
                if len(loc) >= 2 and loc[0] == container:
                    per_item.setdefault(loc[1], problem)
                elif whole is None:
                    whole = problem
            add(doc, (per_item, whole or next(iter(per_item.values()), None)))
            return
        add(doc, None)

    def _items(
        self,
        doc: Document,
        container: str,
        model: type[BaseModel],
        broken: tuple[dict[str | int, Problem], Problem | None] | None,
    ) -> list[tuple[str | int, Any, BaseModel | None, Problem | None]]:
        """``(key or index, raw value, validated item or None, its problem or None)``."""
        raw = doc.data.get(container)
        pairs = list(raw.items()) if isinstance(raw, dict) else list(enumerate(raw or []))
        out: list[tuple[str | int, Any, BaseModel | None, Problem | None]] = []
        per_item, fallback = broken if broken is not None else ({}, None)
        for key, value in pairs:
            bad = per_item.get(key)
            item: BaseModel | None = None
            if bad is None:
                try:
                    item = model.model_validate(value)
                except ValidationError:
                    bad = fallback
            out.append((key, value, item, bad))
        return out

    def _resources(self, doc: Document, broken: Any) -> None:
        if not isinstance(doc.data.get("ressources"), dict):
            return
        for key, value, item, bad in self._items(doc, "ressources", Resource, broken):
            if isinstance(item, Resource):
                self._add(str(key), item, self.resources, self.where.resources, doc,
                          ("ressources", key), "la ressource")
            elif bad is not None:
                self.where.break_item(f"ressource:{key}", bad)
                for contact in CONTACT_FIELDS:
                    if isinstance(value, dict) and isinstance(value.get(contact), str):
                        self.where.break_contact(value[contact], bad)

    def _departments(self, doc: Document, broken: Any) -> None:
        if not isinstance(doc.data.get("departements"), list):
            return
        region = doc.data.get("region")
        for index, value, item, bad in self._items(doc, "departements", Department, broken):
            if isinstance(item, Department):
                if self._add(item.code, item, self.departments, self.where.departments, doc,
                             ("departements", index), "le département"):
                    self.regions[item.code] = region if isinstance(region, str) else ""
            elif bad is not None and isinstance(value, dict) and isinstance(value.get("code"), str):
                self.where.break_item(f"departement:{value['code']}", bad)

    def _simulators(self, doc: Document, broken: Any) -> None:
        if not isinstance(doc.data.get("simulateurs"), dict):
            return
        for key, _value, item, bad in self._items(doc, "simulateurs", Simulator, broken):
            if isinstance(item, Simulator):
                self._add(str(key), item, self.simulators, self.where.simulators, doc,
                          ("simulateurs", key), "le simulateur")
            elif bad is not None:
                self.where.break_item(f"simulateur:{key}", bad)

    def _add(
        self,
        key: str,
        value: Any,
        into: dict[str, Any],
        located: dict[str, tuple[Document, Loc]],
        doc: Document,
        loc: Loc,
        what: str,
    ) -> bool:
        if key in into:
            first_doc, first_loc = located[key]
            self.problems.append(
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
