"""Strict YAML loading for files written by people who are not programmers.

Why not ``yaml.safe_load``: it silently keeps the last of two duplicate keys, turns
``non`` into ``False`` and ``10:30`` into ``630``, expands alias bombs, and forgets
line numbers. Here every scalar stays a string (the schema converts where it asks),
duplicate keys and aliases are errors, and every value keeps its line so that an
error can say "ligne 42".
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.composer import Composer
from yaml.events import AliasEvent
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

try:  # libyaml, the C parser PyYAML ships in its wheels: about 15× faster than pure Python
    from yaml._yaml import CParser

    HAVE_LIBYAML = True
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    HAVE_LIBYAML = False

log = logging.getLogger(__name__)

MAX_FILE_BYTES = 512 * 1024
"""Content files are small; a larger one is a mistake or an attack."""

_NULLS = {"", "~", "null", "Null", "NULL"}
_STANDARD_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:map",
    "tag:yaml.org,2002:seq",
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:timestamp",
}

Path_ = tuple[str | int, ...]

_ALIAS_MESSAGE = "les alias YAML (*nom) ne sont pas acceptés : recopiez le texte à cet endroit."


class YamlError(Exception):
    """A file that cannot be read as YAML; carries a French message and a line."""

    def __init__(self, message: str, line: int | None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


class _NoAliasComposer(Composer):
    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        parser: Any = self  # the Parser mixin provides the event methods
        if parser.check_event(AliasEvent):
            event = parser.peek_event()
            raise YamlError(_ALIAS_MESSAGE, event.start_mark.line + 1)
        return super().compose_node(parent, index)


class _PythonLoader(
    yaml.reader.Reader,
    yaml.scanner.Scanner,
    yaml.parser.Parser,
    _NoAliasComposer,
    yaml.resolver.BaseResolver,
):
    """Pure Python: the fallback where libyaml is missing. Composes nodes only; no
    constructor, so no tag can run code; :class:`yaml.resolver.BaseResolver` has no implicit
    resolvers, so every plain scalar stays a string."""

    def __init__(self, stream: str) -> None:
        yaml.reader.Reader.__init__(self, stream)
        yaml.scanner.Scanner.__init__(self)
        yaml.parser.Parser.__init__(self)
        _NoAliasComposer.__init__(self)
        yaml.resolver.BaseResolver.__init__(self)


if HAVE_LIBYAML:

    class _FastLoader(CParser, yaml.resolver.BaseResolver):
        """libyaml parses and composes; an alias shows afterwards as a node met twice."""

        def __init__(self, stream: str) -> None:
            CParser.__init__(self, stream)
            yaml.resolver.BaseResolver.__init__(self)

    class _CheckedLoader(_NoAliasComposer, CParser, yaml.resolver.BaseResolver):
        """libyaml parses, Python composes: finds the line of an alias (error path only)."""

        def __init__(self, stream: str) -> None:
            CParser.__init__(self, stream)
            _NoAliasComposer.__init__(self)
            yaml.resolver.BaseResolver.__init__(self)


_warned = False


def _compose(text: str, *, checked: bool = False) -> Node | None:
    """The document's root node, by libyaml where available."""
    global _warned
    if not HAVE_LIBYAML:
        if not _warned:
            log.warning("libyaml is missing: content files are parsed in pure Python (slower)")
            _warned = True
        loader: Any = _PythonLoader(text)
    else:
        loader = _CheckedLoader(text) if checked else _FastLoader(text)
    try:
        return loader.get_single_node()  # type: ignore[no-any-return]
    finally:
        loader.dispose()


class _AliasMet(Exception):
    """The same node reached twice: the file uses an alias (``*nom``)."""


@dataclass
class Document:
    """The plain data of one file plus the line of every value in it."""

    path: Path
    data: Any
    lines: dict[Path_, int] = field(default_factory=dict)

    def line_of(self, loc: Path_) -> int | None:
        """Line of the deepest known part of ``loc`` (1-based)."""
        for end in range(len(loc), -1, -1):
            line = self.lines.get(tuple(loc[:end]))
            if line is not None:
                return line
        return None


def load_text(text: str, path: Path) -> Document:
    """Parse ``text`` strictly; raise :class:`YamlError` with a French message."""
    if len(text.encode("utf-8", errors="replace")) > MAX_FILE_BYTES:
        raise YamlError(
            f"le fichier dépasse {MAX_FILE_BYTES // 1024} Ko : découpez-le en plusieurs fichiers.",
            None,
        )
    try:
        root = _compose(text)
        doc = Document(path=path, data=None)
        if root is not None:
            doc.data = _build(root, (), doc, set())
        return doc
    except _AliasMet:
        _compose(text, checked=True)  # raises the alias error, with the alias's own line
        raise YamlError(_ALIAS_MESSAGE, None) from None  # pragma: no cover - unreachable
    except YamlError:
        raise
    except yaml.reader.ReaderError as exc:
        where = text[: exc.position].count("\n") + 1
        raise YamlError(
            f"le fichier contient un caractère invisible interdit (code {exc.character:#06x}) : "
            "effacez-le, ou retapez la ligne.",
            where,
        ) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise YamlError(_explain_syntax(exc, text), line) from None
    except yaml.YAMLError as exc:
        raise YamlError(f"le fichier n'est pas du YAML valide ({exc}).", None) from None
    except RecursionError:
        raise YamlError(
            "le fichier est imbriqué trop profondément : vérifiez les crochets et l'indentation.",
            None,
        ) from None


def load_file(path: Path) -> Document:
    """Read and parse one file; encoding problems become a :class:`YamlError`."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise YamlError(f"impossible de lire le fichier ({exc.strerror}).", None) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise YamlError(
            "le fichier n'est pas enregistré en UTF-8 : "
            "enregistrez-le en UTF-8 dans votre éditeur.",
            line,
        ) from None
    return load_text(text, path)


def _build(node: Node, loc: Path_, doc: Document, met: set[int]) -> Any:
    if id(node) in met:
        raise _AliasMet
    met.add(id(node))
    doc.lines[loc] = node.start_mark.line + 1
    if node.tag.startswith("!") or (node.tag.startswith("tag:") and node.tag not in _STANDARD_TAGS):
        raise YamlError(
            f"la balise « {node.tag} » n'est pas acceptée : écrivez une valeur simple.",
            node.start_mark.line + 1,
        )
    if isinstance(node, ScalarNode):
        value = str(node.value)
        if not node.style and value in _NULLS:  # plain: None in Python, "" from libyaml
            return None
        return value
    if isinstance(node, SequenceNode):
        return [_build(item, (*loc, i), doc, met) for i, item in enumerate(node.value)]
    if isinstance(node, MappingNode):
        result: dict[str, Any] = {}
        first_line: dict[str, int] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode):
                raise YamlError(
                    "une clé doit être un simple mot suivi de « : ».",
                    key_node.start_mark.line + 1,
                )
            key = str(key_node.value)
            line = key_node.start_mark.line + 1
            if key in result:
                raise YamlError(
                    f"la clé « {key} » apparaît deux fois (première fois ligne {first_line[key]}) :"
                    " gardez-en une seule.",
                    line,
                )
            first_line[key] = line
            if id(key_node) in met:
                raise _AliasMet
            met.add(id(key_node))
            result[key] = _build(value_node, (*loc, key), doc, met)
            doc.lines[(*loc, key)] = line
        return result
    raise YamlError("valeur YAML inattendue.", node.start_mark.line + 1)  # pragma: no cover


def _explain_syntax(exc: yaml.MarkedYAMLError, text: str) -> str:
    problem = exc.problem or ""
    mark = exc.problem_mark or exc.context_mark
    line = text.splitlines()[mark.line] if mark and mark.line < len(text.splitlines()) else ""
    if "tab" in problem or "'\\t'" in problem or "\t" in line:
        hint = "remplacez les tabulations par des espaces."
    elif "mapping values are not allowed" in problem:
        hint = "un « : » est mal placé ; mettez le texte entre guillemets s'il contient « : »."
    elif "could not find expected ':'" in problem:
        hint = "il manque « : » après une clé, ou des guillemets ne sont pas refermés."
    elif "did not find expected key" in problem or "expected <block end>" in problem:
        hint = "l'indentation est incorrecte : alignez cette ligne avec celles du même niveau."
    elif "found unexpected end of stream" in problem or "while scanning a quoted" in str(exc):
        hint = "des guillemets ne sont pas refermés."
    else:
        hint = "vérifiez l'indentation, les « : » et les guillemets."
    return f"syntaxe YAML incorrecte : {hint} (détail technique : {problem})"
