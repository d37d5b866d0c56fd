"""AI benchmark: a headless round robin between the bot's levels and a perfect tracker.

Every pairing of easy, normal, hard and `tracker` (a scripted opponent that reads the true
ball position every tick, which the rules forbid the AI) plays `--games` games, first to
5, sides alternated, on the real engine and room loop with a clock that jumps to each tick
(`FastClock`): games run as fast as the CPU allows. Seeds `--seed`, `--seed + 1`, ... so a
run is reproducible. The games are `transcendence_ai.tournament.win_rates`.

Prints the win-rate table as markdown (row against column), every pairing's wins as a
ratio, and the three claims of docs/ai.md: hard beats normal and normal beats easy in more
than half of their games, and hard wins at least one game against the tracker.

    .venv/bin/python bench/ai_bench.py                  # 40 games per pairing, seeds 0-39
    .venv/bin/python bench/ai_bench.py --games 100 --seed 1000

The test suite checks the claims on a smaller sample (tests/plugins/ai/test_tournament.py).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import time

from transcendence_ai.tournament import NAMES, win_rates

CLAIMS = (("hard", "normal", "more"), ("normal", "easy", "more"), ("hard", "tracker", "some"))


def positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of games >= 1, got {text!r}")
    return value


def whole(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None


def report(rates: dict[tuple[str, str], float], games: int, seed: int) -> list[str]:
    def won(a: str, b: str) -> int:
        return round(rates[(a, b)] * games)

    lines = [
        f"Win rate of the row against the column: {games} games per pairing, first to 5, "
        f"sides alternated, seeds {seed}-{seed + games - 1}.",
        "",
        "| | " + " | ".join(NAMES) + " |",
        "| --- |" + " ---: |" * len(NAMES),
    ]
    for a in NAMES:
        cells = ("-" if a == b else f"{rates[(a, b)]:.0%}" for b in NAMES)
        lines.append(f"| **{a}** | " + " | ".join(cells) + " |")
    lines += ["", "Wins per pairing:", ""]
    for i, a in enumerate(NAMES):
        for b in NAMES[i + 1 :]:
            lines.append(f"- {a} {won(a, b)} - {won(b, a)} {b}")
    lines += ["", "Claims:", ""]
    for a, b, kind in CLAIMS:
        n = won(a, b)
        held = n > games / 2 if kind == "more" else n >= 1
        claim = (
            f"{a} beats {b} in more than half of their games"
            if kind == "more"
            else f"{a} wins at least one game against {b}"
        )
        verdict = "holds" if held else "FAILS"
        lines.append(f"- {claim}: {n}/{games} ({n / games:.0%}), {verdict}")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--games", type=positive, default=40, help="games per pairing (40)")
    parser.add_argument("--seed", type=whole, default=0, help="first seed (0)")
    args = parser.parse_args()
    wall, cpu = time.perf_counter(), time.process_time()
    rates = asyncio.run(win_rates(args.games, args.seed))
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    for line in report(rates, args.games, args.seed):
        print(line)
    pairings = len(NAMES) * (len(NAMES) - 1) // 2
    today = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    print(
        f"\n{pairings * args.games} games in {wall:.1f} s ({cpu:.1f} s of CPU), one core, {today}."
    )


if __name__ == "__main__":
    main()
