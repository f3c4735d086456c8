"""The strict YAML loader: what staff typos and hostile files become.

Every rule is proven twice: with libyaml (the C parser, used wherever PyYAML ships it) and
with the pure-Python fallback.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from bot.content import yaml_loader
from bot.content.yaml_loader import MAX_FILE_BYTES, YamlError, load_file, load_text

P = Path("flows/x.yaml")


@pytest.fixture(autouse=True, params=["libyaml", "python"])
def parser(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run each test with the C parser, then with the pure-Python one."""
    if request.param == "python":
        monkeypatch.setattr(yaml_loader, "HAVE_LIBYAML", False)
        monkeypatch.setattr(yaml_loader, "_warned", True)
    else:
        assert yaml_loader.HAVE_LIBYAML, "PyYAML without libyaml: install a PyYAML wheel"
    return str(request.param)


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


def test_an_alias_on_its_own_line_is_found_where_it_is() -> None:
    text = "etapes:\n  a: &texte\n    message: x\n  b:\n    - ok\n    - *texte\n"
    with pytest.raises(YamlError) as err:
        load_text(text, P)
    assert err.value.line == 6 and "alias" in err.value.message
    with pytest.raises(YamlError) as err:
        load_text("a: &k x\n*k : y\n", P)  # an alias used as a key
    assert err.value.line == 2


def test_an_anchor_alone_is_harmless_and_comments_are_ignored() -> None:
    doc = load_text("# commentaire\na: &nom texte  # fin\n", P)
    assert doc.data == {"a": "texte"}


def test_quoted_empty_text_is_text_but_an_empty_value_is_nothing() -> None:
    doc = load_text('a:\nb: ""\nc: ~\nd: "~"\ne: |\n  deux\n  lignes\n', P)
    assert doc.data == {"a": None, "b": "", "c": None, "d": "~", "e": "deux\nlignes\n"}


def test_an_unknown_tag_is_refused_with_its_line() -> None:
    with pytest.raises(YamlError) as err:
        load_text("a: ok\nb: !secret x\n", P)
    assert err.value.line == 2 and "balise" in err.value.message


def test_an_invisible_control_character_names_its_line() -> None:
    with pytest.raises(YamlError) as err:
        load_text("a: ok\nb: mot\x07cloche\n", P)
    assert err.value.line == 2 and "caractère invisible" in err.value.message


@pytest.mark.parametrize("text", ["a: " + "[" * 5000, "a:\n" + "".join(
    " " * i + f"k{i}:\n" for i in range(1, 2500))])
def test_absurdly_deep_nesting_is_an_error_not_a_crash(text: str) -> None:
    with pytest.raises(YamlError):
        load_text(text, P)


def test_two_documents_in_one_file_are_refused() -> None:
    with pytest.raises(YamlError) as err:
        load_text("a: 1\n---\nb: 2\n", P)
    assert err.value.line == 2


def test_the_real_content_reads_the_same_with_both_parsers(
    parser: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Same data, same lines, whichever parser: the C one is only faster."""
    root = Path(__file__).resolve().parents[2]
    for path in sorted([*root.glob("flows/*.yaml"), *root.glob("knowledge/**/*.yaml")]):
        monkeypatch.setattr(yaml_loader, "HAVE_LIBYAML", True)
        fast = load_file(path)
        monkeypatch.setattr(yaml_loader, "HAVE_LIBYAML", False)
        slow = load_file(path)
        assert fast.data == slow.data and fast.lines == slow.lines, path


def test_without_libyaml_one_log_line_says_so(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(yaml_loader, "HAVE_LIBYAML", False)
    monkeypatch.setattr(yaml_loader, "_warned", False)
    with caplog.at_level(logging.INFO, logger="bot.content.yaml_loader"):
        for _ in range(3):
            assert load_text("a: b\n", P).data == {"a": "b"}
    assert [r.getMessage() for r in caplog.records] == [
        "libyaml is missing: content files are parsed in pure Python (slower)"
    ]
