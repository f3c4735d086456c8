"""JSON Schemas of the content files, so an editor validates and completes while staff type."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from .models import DepartmentFile, Flow, Interface, ResourceFile, SimulatorFile, Understanding


class _InterfaceFile(BaseModel):
    interface: Interface


SCHEMAS: dict[str, type[BaseModel]] = {
    "flux": Flow,
    "interface": _InterfaceFile,
    "comprehension": Understanding,
    "ressources": ResourceFile,
    "departements": DepartmentFile,
    "simulateurs": SimulatorFile,
}


def schema_of(model: type[BaseModel], name: str) -> dict[str, Any]:
    """The JSON Schema with French keys (the aliases), as staff write them."""
    schema = model.model_json_schema(by_alias=True, mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = f"Entraide Kiné — {name}"
    return schema


def export(folder: Path) -> list[Path]:
    """Write one ``<name>.schema.json`` per kind of file; returns the paths written."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, model in SCHEMAS.items():
        path = folder / f"{name}.schema.json"
        path.write_text(
            json.dumps(schema_of(model, name), ensure_ascii=False, indent=2) + "\n",
            encoding="utf-8",
        )
        written.append(path)
    return written
