"""Turn pydantic validation errors into French sentences for the staff.

Pydantic speaks of ``dict`` and ``missing``; the staff speak of keys and lines.
Friendly names come from the schema's aliases, which are the French keys.
"""

from __future__ import annotations

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from .problems import Code, Problem, relative
from .yaml_loader import Document, Path_

_TYPE_NAMES = {
    "dict_type": "une liste de « clé: valeur » (un bloc indenté)",
    "list_type": "une liste (lignes commençant par « - »)",
    "string_type": "un texte",
    "int_parsing": "un nombre entier",
    "bool_parsing": "oui ou non",
    "date_from_datetime_parsing": "une date AAAA-MM-JJ (par ex. 2025-11-23)",
    "date_parsing": "une date AAAA-MM-JJ (par ex. 2025-11-23)",
}


def _where(loc: tuple[int | str, ...]) -> str:
    keys = [str(part) for part in loc if isinstance(part, str)]
    return f"« {keys[-1]} »" if keys else "ce bloc"


def describe(error: ErrorDetails) -> str:
    """One French sentence for one pydantic error."""
    kind = error["type"]
    loc = tuple(part for part in error["loc"] if not str(part).startswith("function-"))
    ctx = error.get("ctx") or {}
    if kind == "missing":
        return f"la clé {_where(loc)} est obligatoire ici : ajoutez-la."
    if kind == "extra_forbidden":
        return (
            f"la clé {_where(loc)} n'est pas connue : vérifiez son orthographe "
            "(voir le README du dossier)."
        )
    if kind == "literal_error":
        return f"valeur non acceptée pour {_where(loc)} : choisissez parmi {ctx.get('expected')}."
    if kind == "string_pattern_mismatch":
        return (
            f"{_where(loc)} doit être un nom simple : minuscules sans accent, chiffres et « _ » "
            "(par ex. « violences_cabinet »)."
        )
    if kind == "string_too_long":
        return f"{_where(loc)} est trop long ({ctx.get('max_length')} caractères au plus)."
    if kind == "string_too_short":
        return f"{_where(loc)} ne doit pas être vide."
    if kind == "too_short":
        return f"{_where(loc)} doit contenir au moins {ctx.get('min_length')} élément(s)."
    if kind in ("value_error", "assertion_error"):
        message = str(ctx.get("error", error["msg"]))
        return message[:1].lower() + message[1:] + ("" if message.endswith((".", "?")) else ".")
    if kind in _TYPE_NAMES:
        return f"{_where(loc)} doit être {_TYPE_NAMES[kind]}."
    if kind == "greater_than_equal":
        return f"{_where(loc)} doit être supérieur ou égal à {ctx.get('ge')}."
    return f"{_where(loc)} : valeur incorrecte ({error['msg']})."


def problems_from(exc: ValidationError, doc: Document, prefix: Path_ = ()) -> list[Problem]:
    """Every error of ``exc`` located in ``doc``; ``prefix`` is where the model sits in it."""
    found: list[Problem] = []
    for error in exc.errors(include_url=False):
        loc = tuple(p for p in error["loc"] if not str(p).startswith("function-"))
        line = doc.line_of((*prefix, *loc))
        found.append(Problem(relative(doc.path), line, Code.SCHEMA, describe(error)))
    return found
