"""In-process microbenchmark of the workout generator, run by hand (never by pytest).

    .venv/bin/python -m bench.bench_generator [--queries 2000] [--rounds 5]

Times ``generate()`` alone, then ``generate()`` plus ``model_dump_json()`` (what
GET /workouts does besides HTTP), over random queries drawn with a fixed seed,
and prints the median and p99 in microseconds. Target: generate() median
<= 200 us. The per-catalogue index is built before timing starts.
"""

from __future__ import annotations

import argparse
import gc
import random
import statistics
import time

from app.catalogue import load_catalogue
from app.catalogue.models import Goal, Level, PainFlag
from app.catalogue.search import EquipmentChoice
from app.workouts import WorkoutError, WorkoutQuery, generate
from app.workouts.index import index
from app.workouts.models import TightSide

TARGET_MEDIAN_US = 200.0


def random_queries(slugs: list[str], count: int, rng: random.Random) -> list[tuple[WorkoutQuery, int]]:
    queries = []
    for _ in range(count):
        query = WorkoutQuery(
            goal=rng.choice(list(Goal)),
            level=rng.choice(list(Level)),
            equipment=rng.sample(list(EquipmentChoice), rng.randint(0, 6)),
            pain=rng.sample(list(PainFlag), rng.choice([0, 0, 0, 1, 2])),
            pain_level=rng.choice([0, 0, 2, 4, 8]),
            minutes=rng.choice([None, 5, 10, 20, 30, 45, 60]),
            tight_side=rng.choice([None, TightSide.left, TightSide.right]),
            exclude=rng.sample(slugs, rng.choice([0, 0, 1, 3])),
        )
        queries.append((query, rng.randrange(2**31)))
    return queries


def percentile(sorted_values: list[float], fraction: float) -> float:
    return sorted_values[min(len(sorted_values) - 1, int(len(sorted_values) * fraction))]


def timed(queries: list[tuple[WorkoutQuery, int]], rounds: int, serialise: bool) -> tuple[list[float], int]:
    catalogue = load_catalogue()
    index(catalogue)
    samples: list[float] = []
    refused = 0
    clock = time.perf_counter_ns
    for _ in range(rounds):
        for query, seed in queries:
            start = clock()
            try:
                workout = generate(catalogue, query, seed)
                if serialise:
                    workout.model_dump_json()
            except WorkoutError:
                refused += 1
            samples.append((clock() - start) / 1000)
    return sorted(samples), refused


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--queries", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    catalogue = load_catalogue()
    queries = random_queries(sorted(catalogue.by_slug), args.queries, random.Random(20240611))
    gc.collect()
    for label, serialise in (("generate()", False), ("generate() + model_dump_json()", True)):
        samples, refused = timed(queries, args.rounds, serialise)
        median = statistics.median(samples)
        print(
            f"{label:34} median {median:7.1f} us   p99 {percentile(samples, 0.99):7.1f} us   "
            f"({len(samples)} calls, {refused // args.rounds} of {len(queries)} queries refused as impossible)"
        )
        if not serialise:
            verdict = "within" if median <= TARGET_MEDIAN_US else "OVER"
            print(f"{'':34} target median <= {TARGET_MEDIAN_US:.0f} us: {verdict}")


if __name__ == "__main__":
    main()
