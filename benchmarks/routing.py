"""How long does understanding one message take, now and when the content grows?

Run: ``make bench`` (or ``.venv/bin/python benchmarks/routing.py``). Not a test:
timings depend on the machine, so nothing here asserts. It prints median and
p99 times for:

* ``Router.decide`` on the real content, and on content scaled x50 with
  synthetic entries (50 times the flows, examples and keywords, with new words),
  so the cost of growth is visible;
* ``CrisisDetector.detect``, real and x50 expressions;
* the full engine ``step`` on a typed message (crisis check, commands, choices,
  router, rendering), from the main menu.

Messages are the labelled test set (realistic typos, SMS, long stories), each
seen once with cold caches ("first sight"), then again with warm caches
("steady"), which is what a running bot mostly sees. Target: router p99 under
5 ms, on the real content and on the x50 content. The crisis detector is built
as the bundle builds it, with the common-word lexicon.
"""

from __future__ import annotations

import random
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.content.bundle import Bundle  # noqa: E402
from bot.content.lexicon import common_words  # noqa: E402
from bot.content.loader import load_content  # noqa: E402
from bot.engine.engine import step  # noqa: E402
from bot.engine.events import Press, Start, Text  # noqa: E402
from bot.engine.state import State  # noqa: E402
from bot.evaluation import DEFAULT_CASES, load_cases  # noqa: E402
from bot.understanding.crisis import CrisisDetector  # noqa: E402
from bot.understanding.router import Router, Target  # noqa: E402

SCALE = 50
REPEATS = 5
TARGET_P99_MS = 5.0
_SYLLABLES = (
    *(consonant + vowel for consonant in "bcdfglmnprstv" for vowel in "aeiou"),
    *("tion", "ment", "eur", "euse", "ique", "age", "ance"),
)


def pseudo_word(rng: random.Random) -> str:
    """A French-looking word nobody typed, so the x50 vocabulary really grows."""
    return "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 4)))


def scaled_targets(targets: Sequence[Target], factor: int, seed: int = 7) -> list[Target]:
    """The real targets plus ``factor - 1`` synthetic copies of each, with new words mixed in.

    Half the words of each synthetic phrase are replaced by new pseudo-words, so
    shared French words stay shared (as in real content) while the vocabulary grows.
    """
    rng = random.Random(seed)

    def mutate(phrase: str) -> str:
        words = phrase.split()
        return " ".join(pseudo_word(rng) if rng.random() < 0.5 else word for word in words)

    scaled = list(targets)
    for copy in range(1, factor):
        for target in targets:
            scaled.append(
                Target(
                    f"{target.key}_{copy}",
                    tuple(mutate(p) for p in target.examples),
                    tuple(mutate(k) for k in target.keywords),
                )
            )
    return scaled


def real_targets(bundle: Bundle) -> list[Target]:
    return [
        Target(key, tuple(t.examples), tuple(t.keywords))
        for key, t in bundle.understanding.routes.items()
    ]


def crisis_phrases(bundle: Bundle) -> tuple[list[str], list[str]]:
    crisis = bundle.understanding.crisis
    return [*crisis.keywords, *crisis.examples], list(bundle.understanding.crisis_exceptions)


def timings_ms(run: Callable[[str], object], messages: Sequence[str], repeats: int) -> list[float]:
    out: list[float] = []
    for _ in range(repeats):
        for message in messages:
            start = time.perf_counter_ns()
            run(message)
            out.append((time.perf_counter_ns() - start) / 1e6)
    return out


def summary(label: str, values: Sequence[float]) -> str:
    ordered = sorted(values)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return (
        f"  {label:<34} median {statistics.median(ordered):7.3f} ms   p99 {p99:7.3f} ms"
        f"   max {ordered[-1]:7.3f} ms"
    )


def measure(label: str, build: Callable[[], Callable[[str], object]], messages: list[str]) -> float:
    """Print first-sight and steady timings; return the steady p99."""
    run = build()
    first = timings_ms(run, messages, 1)
    steady = timings_ms(run, messages, REPEATS)
    print(summary(f"{label}, first sight", first))
    print(summary(f"{label}, steady", steady))
    ordered = sorted(first + steady)
    return ordered[round(0.99 * (len(ordered) - 1))]


def engine_runner(bundle: Bundle) -> Callable[[str], object]:
    """A step on a typed message from the main menu (after /start and a status)."""
    state = step(bundle, State.fresh("b"), Start()).state
    node = bundle.node_at(state.node or "")
    assert node is not None
    variable = bundle.interface.audience_variable
    index = next(i for i, c in enumerate(node.choices) if c.sets.get(variable) == "liberal")
    menu = step(bundle, state, Press(f"{state.nonce}.{state.screen}.{index}")).state
    return lambda text: step(bundle, menu, Text(text))


def main() -> int:
    loaded = load_content(ROOT / "flows", ROOT / "knowledge")
    if loaded.bundle is None:
        print("content does not load; run `entraide check`")
        return 1
    bundle = loaded.bundle
    messages = [case.message for case in load_cases(DEFAULT_CASES)]
    long_story = " ".join(messages)[:2_000]
    messages.append(long_story)
    targets = real_targets(bundle)
    big = scaled_targets(targets, SCALE)
    expressions, exceptions = crisis_phrases(bundle)
    big_expressions = list(
        dict.fromkeys(
            phrase
            for target in scaled_targets([Target("crise", (), tuple(expressions))], SCALE)
            for phrase in target.keywords
        )
    )

    def count(ts: Sequence[Target]) -> str:
        phrases = sum(len(t.examples) + len(t.keywords) for t in ts)
        return f"{len(ts)} targets, {phrases} phrases"

    print(f"{len(messages)} messages (labelled set + one 2,000-character story), x{REPEATS} steady")
    print(f"Real content: {count(targets)}; x{SCALE}: {count(big)}")
    started = time.perf_counter()
    Router(big)
    print(f"Building the x{SCALE} router: {1000 * (time.perf_counter() - started):.0f} ms")
    print()
    print("Router.decide")
    p99_real = measure("real content", lambda: Router(targets).decide, messages)
    p99_big = measure(f"x{SCALE} content", lambda: Router(big).decide, messages)
    print()
    print(f"CrisisDetector.detect ({len(expressions)} expressions, {len(exceptions)} exceptions)")
    words = common_words()
    measure(
        "real expressions",
        lambda: CrisisDetector(expressions, exceptions, words=words).detect,
        messages,
    )
    print(f"  (x{SCALE}: {len(big_expressions)} expressions)")
    measure(
        f"x{SCALE} expressions",
        lambda: CrisisDetector(big_expressions, exceptions, words=words).detect,
        messages,
    )
    print()
    print("engine step on a typed message, from the main menu (real content)")
    p99_step = measure("step", lambda: engine_runner(bundle), messages)
    print()
    for label, p99 in (("real content", p99_real), (f"x{SCALE} content", p99_big)):
        verdict = "OK" if p99 < TARGET_P99_MS else "OVER TARGET"
        print(f"Router p99 on {label}: {p99:.3f} ms (target < {TARGET_P99_MS} ms): {verdict}")
    print(f"Engine step p99 on real content: {p99_step:.3f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
