"""Fill ``{placeholders}`` in content text from the conversation's answers."""

from __future__ import annotations

import re

from bot.content.bundle import Bundle

PLACEHOLDER_RE = re.compile(r"\{([a-z0-9_]+)\}")


def value_label(bundle: Bundle, variable: str, value: str) -> str:
    """Readable form of an answer: the declared label, or the department's name."""
    declared = bundle.interface.variables.get(variable)
    if declared is not None:
        if declared.kind == "departement":
            dep = bundle.departments.get(value)
            return f"{dep.name} ({dep.code})" if dep else value
        return declared.values.get(value, value)
    return value


def fill(bundle: Bundle, text: str, variables: dict[str, str]) -> str:
    """Replace ``{variable}`` by its readable value; unknown ones stay visible to tests."""

    def sub(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in variables:
            return value_label(bundle, name, variables[name])
        return match.group(0)

    return PLACEHOLDER_RE.sub(sub, text)
