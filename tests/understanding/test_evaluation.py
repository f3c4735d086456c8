"""The labelled set and its gates: measured on the real engine and content, not asserted.

The suite fails when crisis recall drops below 100 %, strict accuracy below 90 %,
the first-screen rate below its gate or any flow below its first-screen floor on
tests/understanding/labelled_messages.yaml. The held-out set (never tuned on for
routing) must keep 100 % crisis recall; its accuracy is only reported by
``entraide eval --cases``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest
import yaml

from bot.config import Settings
from bot.content.bundle import Bundle
from bot.evaluation import (
    ACCURACY_GATE,
    DEFAULT_CASES,
    DEFAULT_FIRST_SCREENS,
    DEFAULT_HOLDOUT,
    DEFAULT_NEAR_MISSES,
    DEFAULT_NEAR_MISSES_HOLDOUT,
    FIRST_SCREEN_GATE,
    NOT_UNDERSTOOD,
    Case,
    CasesError,
    FirstScreens,
    Landing,
    Report,
    evaluate,
    format_report,
    load_cases,
    load_first_screens,
    run_eval,
    score,
)
from bot.understanding.normalise import normalise
from tests.conftest import KNOWLEDGE, REAL_FLOWS

HOLDOUT = DEFAULT_HOLDOUT


@pytest.fixture(scope="module")
def cases() -> list[Case]:
    return load_cases(DEFAULT_CASES)


@pytest.fixture(scope="module")
def screens() -> FirstScreens:
    return load_first_screens(DEFAULT_FIRST_SCREENS)


@pytest.fixture(scope="module")
def near_misses() -> list[Case]:
    return load_cases(DEFAULT_NEAR_MISSES)


@pytest.fixture(scope="module")
def report(
    real_bundle: Bundle, cases: list[Case], near_misses: list[Case], screens: FirstScreens
) -> Report:
    return evaluate(real_bundle, cases, near_misses=near_misses, screens=screens, floors=True)


def _listing(outcomes: object) -> str:
    assert isinstance(outcomes, list)
    return "\n".join(f"{o.case.message!r} -> {o.landing.describe()}" for o in outcomes)


# --- the set itself -----------------------------------------------------------------


def test_the_set_is_big_and_balanced_enough(cases: list[Case]) -> None:
    crisis = [c for c in cases if c.is_crisis]
    calm = [c for c in cases if not c.is_crisis]
    assert len(cases) >= 200
    assert len(crisis) >= 40
    assert len(calm) >= 40
    assert sum(c.origin == "accueil" for c in cases) >= 10, "first messages after /start"
    assert sum(c.status in ("proche", "patient") for c in cases) >= 10, "relatives, patients"
    assert sum(len(c.message) > 120 for c in cases) >= 3, "long stories"


def test_labels_name_real_flows(real_bundle: Bundle, cases: list[Case]) -> None:
    for case in cases:
        assert case.expected == NOT_UNDERSTOOD or case.expected in real_bundle.flows, case
        if case.is_crisis:
            assert case.expected == real_bundle.interface.emergency_flow, case


def test_no_message_is_labelled_twice(cases: list[Case], near_misses: list[Case]) -> None:
    every = cases + load_cases(HOLDOUT) + near_misses + load_cases(DEFAULT_NEAR_MISSES_HOLDOUT)
    seen = [c.message.strip().casefold() for c in every]
    assert len(seen) == len(set(seen)), [m for m in set(seen) if seen.count(m) > 1]


def test_the_near_miss_sets_are_calm_and_big_enough(
    real_bundle: Bundle, near_misses: list[Case]
) -> None:
    held_out = load_cases(DEFAULT_NEAR_MISSES_HOLDOUT)
    assert len(near_misses) >= 80 and len(held_out) >= 30
    for case in near_misses + held_out:
        assert not case.is_crisis, case
        assert case.expected == NOT_UNDERSTOOD or case.expected in real_bundle.flows, case


def test_the_set_is_not_a_copy_of_the_staff_examples(cases: list[Case]) -> None:
    """Messages must measure understanding, not recall of the YAML: a few overlaps at most."""
    data = yaml.safe_load((REAL_FLOWS / "comprehension.yaml").read_text(encoding="utf-8"))
    phrases = {normalise(p) for p in data["crise"]["exemples"]}
    for triggers in data["orientation"].values():
        phrases |= {normalise(p) for p in triggers.get("exemples", [])}
    copies = [c.message for c in cases if normalise(c.message) in phrases]
    assert len(copies) <= 5, copies
    holdout = [c.message for c in load_cases(HOLDOUT) if normalise(c.message) in phrases]
    assert holdout == [], "held-out messages must never be copied into comprehension.yaml"


# --- the gates ----------------------------------------------------------------------


def test_every_crisis_message_raises_the_crisis_answer(report: Report) -> None:
    assert report.crisis_recall == 1.0, "missed crises:\n" + _listing(report.missed_crises)


def test_strict_accuracy_meets_the_gate(report: Report) -> None:
    wrong = [o for o in report.outcomes if not o.strict]
    assert report.accuracy >= ACCURACY_GATE, f"{report.accuracy:.1%}\n" + _listing(wrong)


def test_everything_is_within_one_tap_or_nearly(report: Report) -> None:
    assert report.one_tap >= 0.95


def test_false_alarms_stay_rare(report: Report) -> None:
    """Counted and reported; this bound only catches a detector gone wild."""
    assert report.false_alarm_rate <= 0.03, _listing(report.false_alarms)


def test_the_first_screen_rate_meets_its_gate(report: Report) -> None:
    lacking = [o for o in report.screened if not o.first_screen]
    assert report.first_screen_rate >= FIRST_SCREEN_GATE, _listing(lacking)


def test_no_flow_loses_first_screen_content(report: Report) -> None:
    assert report.below_floor() == []


def test_every_labelled_flow_says_what_its_first_screen_must_show(
    real_bundle: Bundle, cases: list[Case], screens: FirstScreens
) -> None:
    every = cases + load_cases(HOLDOUT)
    near = load_cases(DEFAULT_NEAR_MISSES) + load_cases(DEFAULT_NEAR_MISSES_HOLDOUT)
    expected = {c.expected for c in every + near}
    assert expected <= set(screens.flows), expected - set(screens.flows)
    unchecked = [c.message for c in every if not c.is_crisis and not screens.required(c)]
    assert unchecked == [], "every calm labelled message has key content to find"
    for flow in screens.flows:
        assert flow == NOT_UNDERSTOOD or flow in real_bundle.flows, flow
    assert sum(c.first_screen is not None for c in cases) >= 20, "per-message overrides"


def test_no_near_miss_gets_the_crisis_screen(report: Report) -> None:
    assert report.near_misses, "the near-miss set is measured"
    assert report.near_miss_screens == [], _listing(report.near_miss_screens)


def test_no_held_out_near_miss_gets_the_crisis_screen(real_bundle: Bundle) -> None:
    held_out = evaluate(real_bundle, [], near_misses=load_cases(DEFAULT_NEAR_MISSES_HOLDOUT))
    assert held_out.near_miss_screens == [], _listing(held_out.near_miss_screens)


def test_a_crisis_screen_on_a_near_miss_fails_the_report(report: Report) -> None:
    alarmed = score(_case("installation"), Landing("crisis", "urgence", alert=True))
    failing = Report(report.outcomes, [alarmed])
    assert not failing.passed
    assert "Near-miss crisis screens (must be fixed)" in format_report(failing)
    routed = score(_case("aucun"), Landing("confident", "urgence", alert=True))
    assert Report([], [routed]).near_miss_screens == [routed], "a route to the alert counts"


def test_held_out_crisis_messages_are_all_caught(real_bundle: Bundle) -> None:
    held_out = evaluate(real_bundle, load_cases(HOLDOUT))
    assert held_out.crisis_recall == 1.0, _listing(held_out.missed_crises)


# --- scoring rules ------------------------------------------------------------------


def _case(expected: str, crisis: str = "non") -> Case:
    return Case.model_validate({"message": "x", "attendu": expected, "crise": crisis})


def test_a_close_call_counts_within_one_tap_only() -> None:
    outcome = score(_case("soutien_psy"), Landing("close", None, ("collegue", "soutien_psy")))
    assert (outcome.strict, outcome.one_tap) == (False, True)
    assert outcome.got == "close:collegue"


def test_a_crisis_message_counts_only_when_the_crisis_answer_fires() -> None:
    routed = score(_case("urgence", "oui"), Landing("confident", "urgence"))
    assert (routed.strict, routed.one_tap, routed.crisis_raised) == (False, False, False)
    caught = score(_case("urgence", "oui"), Landing("crisis", "urgence"))
    assert (caught.strict, caught.crisis_raised) == (True, True)


def test_a_crisis_answer_on_a_calm_message_is_a_false_alarm() -> None:
    outcome = score(_case("soutien_psy"), Landing("crisis", "urgence"))
    assert outcome.crisis_raised and not outcome.strict
    report = Report([outcome, score(_case("soutien_psy"), Landing("confident", "soutien_psy"))])
    assert report.false_alarm_rate == 0.5
    assert report.accuracy == 0.5


def test_not_understood_is_right_only_for_gibberish() -> None:
    assert score(_case(NOT_UNDERSTOOD), Landing("none")).strict
    assert not score(_case(NOT_UNDERSTOOD), Landing("confident", "entraide")).strict
    assert not score(_case("entraide"), Landing("none")).one_tap


# --- the command --------------------------------------------------------------------


def _settings() -> Settings:
    return Settings(flows_dir=REAL_FLOWS, knowledge_dir=KNOWLEDGE)


def test_entraide_eval_prints_the_report_and_passes(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_eval(_settings(), argparse.Namespace(cases=None)) == 0
    out = capsys.readouterr().out
    for part in (
        "Strict accuracy",
        "Within one tap",
        "Crisis recall",
        "False-alarm rate",
        "First-screen rate",
        "Near-miss crisis screens: 0/",
        "first screen (floor)",
    ):
        assert part in out
    assert "Per expected flow" in out and "Confusions" in out
    assert out.rstrip().endswith("PASS")


def test_entraide_eval_fails_on_a_missed_crisis(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cases = tmp_path / "cases.yaml"
    cases.write_text('- message: "bonjour"\n  attendu: urgence\n  crise: oui\n', encoding="utf-8")
    assert run_eval(_settings(), argparse.Namespace(cases=str(cases))) == 1
    out = capsys.readouterr().out
    assert "Missed crises" in out and out.rstrip().endswith("FAIL")


def test_a_malformed_cases_file_is_reported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cases = tmp_path / "cases.yaml"
    cases.write_text('- message: "bonjour"\n  attendu: aucun\n  crise: peut-etre\n')
    assert run_eval(_settings(), argparse.Namespace(cases=str(cases))) == 1
    assert "line 1" in capsys.readouterr().err


def test_the_report_lists_confusions(report: Report) -> None:
    text = format_report(report)
    for (expected, got), _count in report.confusions().items():
        assert f"{expected} -> {got}" in text


def test_a_flow_below_its_floor_fails_the_report(report: Report) -> None:
    rate = report.per_flow()["entraide"].first_screen
    assert rate is not None
    raised = Report(report.outcomes, floors={**report.floors, "entraide": rate + 0.01})
    assert [flow for flow, _, _ in raised.below_floor()] == ["entraide"]
    assert not raised.passed
    assert "BELOW FLOOR: entraide" in format_report(raised, details=False)


def test_first_screen_scoring_follows_the_annotation() -> None:
    shown = Landing("confident", "soutien_psy", screen="appelez le 0800288038 ou sps 0805232336")
    outcome = score(_case("soutien_psy"), shown, ("0800 288 038", "0805 23 23 36"))
    assert outcome.first_screen is True and outcome.lacking == ()
    half = Landing("confident", "soutien_psy", screen="appelez le 0800288038")
    outcome = score(_case("soutien_psy"), half, ("0800 288 038", "0805 23 23 36"))
    assert outcome.first_screen is False and outcome.lacking == ("0805 23 23 36",)
    assert score(_case("menu"), shown, ()).first_screen is None


def test_a_message_override_replaces_its_flow_default(screens: FirstScreens) -> None:
    case = Case.model_validate(
        {"message": "x", "attendu": "organismes", "crise": "non", "premier_ecran": ["URSSAF"]}
    )
    assert screens.required(case) == ("URSSAF",)
    assert screens.required(_case("organismes")) == screens.flows["organismes"].show


def test_a_malformed_first_screens_file_names_its_line(tmp_path: Path) -> None:
    bad = tmp_path / "screens.yaml"
    bad.write_text("premier_ecran:\n  entraide:\n    montrer: [CDO]\n    plancher: 120\n")
    with pytest.raises(CasesError, match="line 4"):
        load_first_screens(bad)
