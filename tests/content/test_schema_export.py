"""`entraide schema` exports JSON Schemas with the French keys staff type."""

from __future__ import annotations

import json
from pathlib import Path

from bot.cli import main


def test_schema_export_writes_every_kind_with_french_keys(tmp_path: Path) -> None:
    assert main(["schema", "--out", str(tmp_path)]) == 0
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == [
        "comprehension.schema.json",
        "departements.schema.json",
        "flux.schema.json",
        "interface.schema.json",
        "ressources.schema.json",
        "simulateurs.schema.json",
    ]
    flow = json.loads((tmp_path / "flux.schema.json").read_text("utf-8"))
    assert set(flow["required"]) == {"flux", "titre", "debut", "etapes"}
    node = flow["$defs"]["Node"]["properties"]
    assert {"message", "choix", "saisie", "selon", "ressources", "fin"} <= set(node)
    assert node["choix"]["items"]["$ref"].endswith("Choice")
    resource = json.loads((tmp_path / "ressources.schema.json").read_text("utf-8"))
    props = resource["$defs"]["Resource"]["properties"]
    assert "verifie_le" in props and "source" in props


def test_check_prints_a_one_line_summary(capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["check"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Contenu valide :") and out.count("\n") == 1
    assert "101 départements" in out


def test_facts_not_checked_for_a_year_are_flagged(real_bundle) -> None:  # type: ignore[no-untyped-def]
    import datetime as dt

    from bot.cli import stale_facts

    assert stale_facts(real_bundle, dt.date(2026, 11, 23)) == []
    later = stale_facts(real_bundle, dt.date(2028, 1, 1))
    assert any("« ligne_ecoute_ordre » a été vérifiée le 23/11/2026" in line for line in later)
