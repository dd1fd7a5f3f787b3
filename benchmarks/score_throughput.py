"""End-to-end batch scoring throughput: a JSON Lines file of random cases in, JSON Lines out.

    python benchmarks/score_throughput.py                    # 10,000 cases
    python benchmarks/score_throughput.py --cases 100000
    python benchmarks/score_throughput.py --memory 1000000   # also RSS over 10,000 .. 1,000,000 cases

For 1 worker and for all cores, with the durable_rules engine and with the plain-Python
evaluation of the same rule files, it prints cases per second, per-case latency (one
worker) and peak memory. Parallel speedup is reported against a CPU-bound calibration
run on the same pool sizes, because our machines' vCPUs do not each give a full core.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.synthetic import iter_random_case_dicts
from triage.batch.inputs import read_records
from triage.batch.outputs import LineWriter
from triage.batch.scoring import default_workers, process_assessor, score_record, score_records
from triage.engines import ENGINE_NAMES, EngineName
from triage.files import atomic_output


def _burn(n: int) -> int:
    total = 0
    for i in range(n):
        total += i * i % 7
    return total


def calibration(workers: int, jobs: int = 16, size: int = 1_500_000) -> float:
    """Speedup of a plain CPU-bound task on ``workers`` processes over one process."""
    start = time.perf_counter()
    for _ in range(jobs):
        _burn(size)
    one = time.perf_counter() - start
    with multiprocessing.get_context("forkserver").Pool(workers) as pool:
        start = time.perf_counter()
        pool.map(_burn, [size] * jobs)
        many = time.perf_counter() - start
    return one / many


def end_to_end(path: Path, out: Path, workers: int, engine: EngineName) -> float:
    """Cases per second from reading ``path`` to an atomically written JSON Lines file."""
    start = time.perf_counter()
    count = 0
    with atomic_output(out) as stream:
        writer = LineWriter(stream, "jsonl")
        for scored in score_records(read_records([str(path)]), workers=workers, engine=engine):
            writer.write(scored)
            count += 1
    return count / (time.perf_counter() - start)


def latencies(path: Path, engine: EngineName, limit: int = 5000) -> list[float]:
    """Per-case scoring time in microseconds (parse, validate, assess, encode), one process."""
    assessor = process_assessor(None, engine)
    result = []
    for number, record in enumerate(read_records([str(path)])):
        if number == limit:
            break
        start = time.perf_counter_ns()
        score_record(assessor, record)
        result.append((time.perf_counter_ns() - start) / 1000)
    return result


def rss_mib() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * 4096 / 2**20


def write_cases(path: Path, count: int, seed: int) -> None:
    with path.open("w") as handle:
        for case in iter_random_case_dicts(count, seed):  # streamed: memory figures are the scorer's
            handle.write(json.dumps(case) + "\n")


def memory_run(folder: Path, total: int) -> None:
    """Score ``total`` cases in one process from a generated file, printing RSS along the way."""
    path = folder / "memory.jsonl"
    write_cases(path, total, seed=11)
    assessor = process_assessor(None, "durable")
    marks = {10_000, 100_000, 300_000, total} | {total * k // 10 for k in range(1, 11)}
    start = time.perf_counter()
    with open(folder / "memory-out.jsonl", "w") as out:
        for number, record in enumerate(read_records([str(path)]), 1):
            out.write(score_record(assessor, record).json_line + "\n")
            if number in marks:
                rate = number / (time.perf_counter() - start)
                print(f"  {number:>10,} cases  RSS {rss_mib():7.1f} MiB  {rate:,.0f}/s",
                      flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--workers", type=int, default=default_workers())
    parser.add_argument("--memory", type=int, default=0, metavar="N", help="also score N cases, sampling RSS")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        cases = folder / "cases.jsonl"
        write_cases(cases, args.cases, args.seed)
        print(f"{args.cases:,} random cases (half partial) in {cases.stat().st_size / 2**20:.1f} MiB of JSON Lines; "
              f"{os.cpu_count()} CPUs, {args.workers} workers")
        rates = {}
        for engine in ENGINE_NAMES:
            lat = latencies(cases, engine)
            q = statistics.quantiles(lat, n=100)
            for workers in sorted({1, args.workers}):
                rates[engine, workers] = end_to_end(cases, folder / "out.jsonl", workers, engine)
                print(f"{engine:>9}, {workers} worker(s): {rates[engine, workers]:>8,.0f} cases/s end to end")
            print(f"{'':>9}  latency per case (1 worker): mean {statistics.mean(lat):.0f} us, p50 {q[49]:.0f} us, "
                  f"p99 {q[98]:.0f} us")
        print(f"plain Python / durable_rules, 1 worker: {rates['python', 1] / rates['durable', 1]:.2f}x")
        if args.workers > 1:
            speedup = rates["durable", args.workers] / rates["durable", 1]
            calibrated = calibration(args.workers)
            print(f"parallel speedup with {args.workers} workers: {speedup:.2f}x; CPU-bound calibration "
                  f"{calibrated:.2f}x; scoring reaches {speedup / calibrated:.0%} of what the machine gives")
        print(f"peak RSS of this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")
        if args.memory:
            print(f"memory run: {args.memory:,} cases in one process")
            memory_run(folder, args.memory)


if __name__ == "__main__":
    main()
