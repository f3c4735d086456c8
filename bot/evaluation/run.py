"""Send labelled messages to the real engine and score where each one lands.

Each message is typed from the screen a person would be on (the main menu after
giving a status, or the very first screen after /start). Figures are measured
on the whole pipeline (crisis check, typed commands, button answers, router),
because that is what people experience.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from bot.content.bundle import Bundle
from bot.engine.engine import step
from bot.engine.events import Press, Start, Text
from bot.engine.replies import Message
from bot.engine.state import State

from .cases import NOT_UNDERSTOOD, Case, CasesError, FirstScreens
from .first_screen import missing, screen_text

Kind = Literal["crisis", "confident", "close", "none", "direct"]


@dataclass(frozen=True)
class Landing:
    """Where one message took the conversation, and what its first screen showed.

    kind: crisis (crisis answer), confident (router acted), close (buttons
    offered), none (not understood), direct (a typed command or button answer).
    ``screen`` is the folded readable text of the answer (see ``first_screen``);
    ``alert`` says it held the crisis screen (the emergency flow's alert message,
    whether the crisis detector or the router led there), unlike a one-line
    reminder of 3114 inside an ordinary answer.
    """

    kind: Kind
    flow: str | None = None
    proposed: tuple[str, ...] = ()
    screen: str = ""
    alert: bool = False

    def describe(self) -> str:
        if self.kind == "close":
            return "close[" + ",".join(self.proposed) + "]"
        if self.kind == "none":
            return NOT_UNDERSTOOD
        if self.kind == "crisis":
            return "CRISIS"
        return f"{self.flow}" + (" (direct)" if self.kind == "direct" else "")


@dataclass(frozen=True)
class Outcome:
    """A case, where it landed, and how it is scored.

    ``first_screen`` is None when nothing is required of the first screen,
    else whether it showed every key content (``lacking`` lists what it did not).
    """

    case: Case
    landing: Landing
    strict: bool
    one_tap: bool
    crisis_raised: bool
    first_screen: bool | None = None
    lacking: tuple[str, ...] = ()

    @property
    def got(self) -> str:
        """The flow reached, for the confusion table (close calls name their best offer)."""
        if self.landing.kind == "close":
            return "close:" + (self.landing.proposed[0] if self.landing.proposed else "?")
        if self.landing.kind == "none":
            return NOT_UNDERSTOOD
        return self.landing.flow or "?"


def _session(bundle: Bundle, case: Case) -> State:
    """The state a person is in just before typing ``case.message``."""
    result = step(bundle, State.fresh("e"), Start())
    state = result.state
    if case.origin == "accueil":
        return state
    variable = bundle.interface.audience_variable
    node = bundle.node_at(state.node or "")
    assert node is not None
    for index, choice in enumerate(node.choices):
        if choice.sets.get(variable) == case.status:
            return step(bundle, state, Press(f"{state.nonce}.{state.screen}.{index}")).state
    raise CasesError(f"unknown status {case.status!r} for: {case.message}")


def land(bundle: Bundle, case: Case) -> Landing:
    """Send ``case.message`` to the engine and say where the conversation went."""
    result = step(bundle, _session(bundle, case), Text(case.message))
    screen = screen_text(result.replies)
    alert = any(isinstance(reply, Message) and reply.alert for reply in result.replies)
    kinds = {outcome.kind: outcome.flow for outcome in result.outcomes}
    if "crise_detectee" in kinds:
        return Landing("crisis", bundle.interface.emergency_flow, screen=screen, alert=alert)
    if "oriente" in kinds:
        return Landing("confident", kinds["oriente"], screen=screen, alert=alert)
    proposed = tuple(
        option.action.partition(":")[2]
        for option in result.state.options
        if option.action.startswith("route:")
    )
    if proposed:
        return Landing("close", None, proposed, screen=screen, alert=alert)
    if "incompris" in kinds:
        return Landing("none", screen=screen, alert=alert)
    node = result.state.node
    flow = node.partition("/")[0] if node else None
    return Landing("direct", flow, screen=screen, alert=alert)


def score(case: Case, landing: Landing, required: Sequence[str] | None = None) -> Outcome:
    """Strict, within-one-tap and first-screen correctness of one landing."""
    raised = landing.kind == "crisis"
    if case.is_crisis:
        strict = one_tap = raised
    elif case.expected == NOT_UNDERSTOOD:
        strict = one_tap = landing.kind == "none"
    else:
        strict = landing.kind in ("confident", "direct", "crisis") and (
            landing.flow == case.expected
        )
        one_tap = strict or (landing.kind == "close" and case.expected in landing.proposed)
    lacking = tuple(missing(landing.screen, required)) if required else ()
    first = None if not required else not lacking
    return Outcome(case, landing, strict, one_tap, raised, first, lacking)


def run_cases(
    bundle: Bundle, cases: Sequence[Case], screens: FirstScreens | None = None
) -> list[Outcome]:
    """Every case through the engine; no I/O."""
    return [
        score(case, land(bundle, case), screens.required(case) if screens else None)
        for case in cases
    ]
