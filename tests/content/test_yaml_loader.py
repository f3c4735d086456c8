"""The strict YAML loader: what staff typos and hostile files become."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.content.yaml_loader import MAX_FILE_BYTES, YamlError, load_file, load_text

P = Path("flows/x.yaml")


def test_every_scalar_stays_text_so_no_means_no() -> None:
    doc = load_text("reponse: non\nheure: 10:30\ncode: 0612\ndate: 2024-01-02\nvide:\n", P)
    assert doc.data == {
        "reponse": "non",
        "heure": "10:30",
        "code": "0612",
        "date": "2024-01-02",
        "vide": None,
    }


def test_duplicate_key_names_both_lines() -> None:
    with pytest.raises(YamlError) as err:
        load_text("etapes:\n  a:\n    message: x\n  a:\n    message: y\n", P)
    assert err.value.line == 4
    assert "« a » apparaît deux fois (première fois ligne 2)" in err.value.message


def test_alias_bomb_is_refused_with_its_line() -> None:
    bomb = "a: &a [x, x]\nb: &b [*a, *a]\nc: [*b, *b]\n"
    with pytest.raises(YamlError) as err:
        load_text(bomb, P)
    assert err.value.line == 2
    assert "alias" in err.value.message


def test_python_tags_never_run_code() -> None:
    with pytest.raises(YamlError) as err:
        load_text("x: !!python/object/apply:os.system ['echo pwned']\n", P)
    assert "balise" in err.value.message


def test_syntax_error_is_explained_in_french_with_line() -> None:
    with pytest.raises(YamlError) as err:
        load_text("flux: a\netapes:\n  b:\n    message: Attention: deux points\n", P)
    assert err.value.line == 4
    assert "guillemets" in err.value.message


def test_tabs_are_explained() -> None:
    with pytest.raises(YamlError) as err:
        load_text("flux: a\netapes:\n\tb: c\n", P)
    assert "tabulations" in err.value.message


def test_oversized_file_is_refused() -> None:
    with pytest.raises(YamlError) as err:
        load_text("a: " + "x" * (MAX_FILE_BYTES + 1), P)
    assert "Ko" in err.value.message


def test_non_utf8_file_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes("a: ok\nb: café\n".encode("latin-1"))
    with pytest.raises(YamlError) as err:
        load_file(path)
    assert err.value.line == 2
    assert "UTF-8" in err.value.message


def test_lines_are_kept_for_nested_values() -> None:
    doc = load_text("etapes:\n  a:\n    choix:\n      - texte: Oui\n        vers: b\n", P)
    assert doc.line_of(("etapes", "a", "choix", 0, "vers")) == 5
    assert doc.line_of(("etapes", "a", "choix", 0, "inconnu")) == 4
