"""Throughput of assessing random cases in one process, durable_rules against the plain-Python engine.

    python benchmarks/assess_throughput.py                 # 10,000 cases
    python benchmarks/assess_throughput.py --long 1000000  # also 1,000,000 assessments, memory sampled

Cases are generated (half complete, half with 5-50% of questions unknown), validated into
``Case`` models once, then assessed one after another; the figures are for assessment only
(no file I/O). Memory is the resident set size read from /proc.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.synthetic import random_case_dicts
from triage.assess.assessor import Assessor
from triage.engines import ENGINE_NAMES
from triage.language.loading import load_rulebase
from triage.models import Case


def rss_mib() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * 4096 / 2**20


def timed(assessor: Assessor, cases: list[Case]) -> tuple[float, list[float], Counter[str]]:
    latencies: list[float] = []
    levels: Counter[str] = Counter()
    start = time.perf_counter()
    for case in cases:
        t0 = time.perf_counter_ns()
        levels[assessor.assess(case).urgency] += 1
        latencies.append((time.perf_counter_ns() - t0) / 1000)
    return time.perf_counter() - start, latencies, levels


def chain_rate(assessor: Assessor, cases: list[Case]) -> float:
    answers = [case.answers() for case in cases]
    start = time.perf_counter()
    for item in answers:
        assessor.engine.chain(item)
    return len(answers) / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=10_000, help="random cases to assess (default 10,000)")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--long", type=int, default=0, metavar="N",
                        help="also assess N cases one after another with durable_rules, sampling memory")
    args = parser.parse_args()

    rulebase = load_rulebase()
    cases = [Case.model_validate(d) for d in random_case_dicts(args.cases, args.seed)]
    print(f"rule base {rulebase.version} ({len(rulebase.rules)} rules), {len(cases):,} random cases, "
          f"Python {sys.version.split()[0]}")
    results = {}
    for name in ENGINE_NAMES:
        assessor = Assessor(rulebase, engine=name)
        seconds, latencies, levels = timed(assessor, cases)
        results[name] = len(cases) / seconds
        q = statistics.quantiles(latencies, n=100)
        print(f"{name:>9}: {len(cases) / seconds:>8,.0f} assessments/s  "
              f"latency mean {statistics.mean(latencies):.0f} us, "
              f"p50 {q[49]:.0f} us, p99 {q[98]:.0f} us;  chaining alone {chain_rate(assessor, cases):>8,.0f} cases/s")
    print(f"levels: {dict(sorted(levels.items()))}")
    print(f"python / durable_rules speed ratio: {results['python'] / results['durable']:.2f}x")

    if args.long:
        assessor = Assessor(rulebase, engine="durable")
        step = max(args.long // 10, 1)
        start, rss_start = time.perf_counter(), rss_mib()
        print(f"long run: {args.long:,} assessments; RSS at start {rss_start:.1f} MiB")
        for number in range(1, args.long + 1):
            assessor.assess(cases[number % len(cases)])
            if number % step == 0:
                print(f"  {number:>10,} assessed  RSS {rss_mib():.1f} MiB  "
                      f"{number / (time.perf_counter() - start):,.0f}/s", flush=True)
        print(f"long run done: RSS grew {rss_mib() - rss_start:+.1f} MiB over {args.long:,} assessments")


if __name__ == "__main__":
    main()
