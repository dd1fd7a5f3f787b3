"""Batch throughput, side by side: cases per CPU-second of ``triage score`` for both engines, against a JSON round trip.

    python benchmarks/throughput.py                   # 20,000 cases per file, medians of 5 runs
    python benchmarks/throughput.py --cases 5000 --runs 3
    python benchmarks/throughput.py --memory          # also RSS while scoring 10,000 and 1,000,000 cases
    python benchmarks/scale.py                        # the worker and memory figures alone (see there)

Three JSON Lines files of random cases (tests/synthetic.py, fixed seeds): complete, partial
(each question unknown with probability 0.1) and mixed (half complete, half with 5%, 20% or
50% unknown). Each is scored end to end, as ``triage score FILE.jsonl -o OUT.jsonl
--workers 1 -q --engine E`` run in this process (after one warm-up run, so the rule base
is loaded and start-up is not counted: see ``--startup`` for that), and the CPU time of
the run (user + system, ``resource.getrusage``) is the figure; the median of ``--runs``
runs is printed. The baseline is a JSON round trip of the same file (read each line,
parse it, encode it again, write it), with ``json`` and with ``orjson``. Then, from
``scale.py``: the main process's CPU per case with 1 and 2 workers on ``--scale-cases``
cases, and with ``--memory`` the peak RSS at 10,000 and 1,000,000 cases of one process, of
a 2-worker run and of a Dask client (the python engine there, for time).

The machine is small and shared: CPU time, not wall time, and ratios, not absolute rates,
are what compare across runs. The load average at start and end is printed.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.synthetic import random_answers

ENGINES = ("durable", "python")
KINDS = ("complete", "partial", "mixed")


def cpu_seconds() -> float:
    """User + system CPU time of this process so far."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def cases_of(kind: str, count: int, seed: int) -> Iterator[dict[str, Any]]:
    """Random cases of one kind (see the module docstring), with ids."""
    import random

    rng = random.Random(seed)
    for number in range(count):
        if kind == "complete":
            rate = 0.0
        elif kind == "partial":
            rate = 0.1
        else:
            rate = 0.0 if rng.random() < 0.5 else rng.choice((0.05, 0.2, 0.5))
        yield {"id": f"{kind}-{number}", **random_answers(rng, rate, yes_rate=rng.choice((0.01, 0.03, 0.08)))}


def write_cases(path: Path, kind: str, count: int, seed: int) -> None:
    """A JSON Lines file of ``count`` random cases of one kind."""
    with path.open("w") as handle:
        for case in cases_of(kind, count, seed):
            handle.write(json.dumps(case) + "\n")


def score_once(path: Path, out: Path, engine: str) -> float:
    """CPU seconds of one ``triage score PATH -o OUT --workers 1 -q --engine ENGINE`` run in this process."""
    from triage.cli import cli

    args = ["score", str(path), "-o", str(out), "--workers", "1", "-q", "--engine", engine]
    start = cpu_seconds()
    with contextlib.suppress(SystemExit):
        cli.main(args=args, prog_name="triage", standalone_mode=False)
    return cpu_seconds() - start


def json_round_trip(path: Path, out: Path) -> float:
    """CPU seconds of reading, parsing, re-encoding and writing every line with ``json``."""
    start = cpu_seconds()
    with path.open("rb") as source, out.open("w", encoding="utf-8") as target:
        for line in source:
            target.write(json.dumps(json.loads(line), ensure_ascii=False) + "\n")
    return cpu_seconds() - start


def orjson_round_trip(path: Path, out: Path) -> float:
    """CPU seconds of the same round trip with ``orjson``."""
    import orjson

    start = cpu_seconds()
    with path.open("rb") as source, out.open("wb") as target:
        for line in source:
            target.write(orjson.dumps(orjson.loads(line)) + b"\n")
    return cpu_seconds() - start


def median_of(runs: int, measure: Callable[..., float], *args: Any) -> float:
    """The median of ``runs`` measurements of ``measure(*args)``."""
    return statistics.median(measure(*args) for _ in range(runs))


def load() -> str:
    """The machine's load average over 1, 5 and 15 minutes, and its CPU count."""
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} CPUs"


def single_process(folder: Path, count: int, runs: int, seed: int) -> None:
    """Cases per CPU-second, one process, both engines, every kind of case; and the ratio to a JSON round trip."""
    files = {}
    for number, kind in enumerate(KINDS):
        files[kind] = folder / f"{kind}.jsonl"
        write_cases(files[kind], kind, count, seed + number)
    out = folder / "out.jsonl"
    for engine in ENGINES:  # warm up: load the rule base, build each engine once
        score_once(files["complete"], out, engine)
    seconds: dict[tuple[str, str], float] = {}
    for kind in KINDS:
        seconds["json", kind] = median_of(runs, json_round_trip, files[kind], out)
        seconds["orjson", kind] = median_of(runs, orjson_round_trip, files[kind], out)
        for engine in ENGINES:
            seconds[engine, kind] = median_of(runs, score_once, files[kind], out, engine)
    print(f"\none process, {count:,} cases per file, median CPU time of {runs} runs")
    header = f"{'':<40}" + "".join(f"{kind:>12}" for kind in KINDS)
    print(header)
    for engine in ENGINES:
        print(f"{engine + ': cases per CPU-second':<40}"
              + "".join(f"{count / seconds[engine, kind]:>12,.0f}" for kind in KINDS))
        print(f"{'  CPU µs per case':<40}"
              + "".join(f"{1e6 * seconds[engine, kind] / count:>12.1f}" for kind in KINDS))
        for baseline in ("json", "orjson"):
            print(f"{f'  slower than a {baseline} round trip by':<40}"
                  + "".join(f"{seconds[engine, kind] / seconds[baseline, kind]:>11.1f}×" for kind in KINDS))
    for baseline in ("json", "orjson"):
        print(f"{f'{baseline} round trip: cases per CPU-second':<40}"
              + "".join(f"{count / seconds[baseline, kind]:>12,.0f}" for kind in KINDS))
    print(f"{'python engine faster than durable by':<40}"
          + "".join(f"{seconds['durable', kind] / seconds['python', kind]:>11.1f}×" for kind in KINDS))


def startup(runs: int) -> None:
    """Wall time of ``triage --version`` and of ``triage assess`` of one case, as a user runs them."""
    example = Path(__file__).resolve().parent.parent / "examples"
    case = next(iter(sorted(example.glob("*.yaml"))), None)
    commands = {"triage --version": ["--version"], "triage --help": ["--help"]}
    if case is not None:
        commands[f"triage assess {case.name}"] = ["assess", str(case)]
        commands[f"triage assess {case.name} --engine python"] = ["assess", str(case), "--engine", "python"]
    print(f"\nstart-up, wall time, median of {runs} runs")
    for label, args in commands.items():
        walls = []
        for _ in range(runs):
            start = time.perf_counter()
            subprocess.run([sys.executable, "-m", "triage", *args], capture_output=True, check=False)
            walls.append(time.perf_counter() - start)
        print(f"  {label:<52} {statistics.median(walls):.3f} s")


def rss_mib() -> float:
    """The resident set size of this process, MiB."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def scale(folder: Path, count: int, memory: bool) -> None:
    """Main-process CPU per case with 1 and 2 workers; with ``memory``, RSS at 10k and 1M cases (``scale.py``)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from scale import memory as memory_table
    from scale import parent_cpu

    parent_cpu(folder, count, "durable")
    if memory:
        memory_table(folder, [10_000, 1_000_000], "python", dask=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=20_000, help="cases per file (default 20,000)")
    parser.add_argument("--runs", type=int, default=5, help="runs per figure; the median is printed (default 5)")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--memory", action="store_true",
                        help="also RSS while scoring 10,000 and 1,000,000 cases: one process, 2 workers, a Dask client")
    parser.add_argument("--scale-cases", type=int, default=200_000,
                        help="cases for the main-process CPU with 1 and 2 workers (default 200,000)")
    parser.add_argument("--no-scale", dest="scale", action="store_false", help="skip the worker and memory figures")
    parser.add_argument("--no-startup", dest="startup", action="store_false", help="skip the start-up timings")
    args = parser.parse_args()
    print(f"triage throughput: Python {sys.version.split()[0]}; {load()}")
    with tempfile.TemporaryDirectory() as tmp, contextlib.redirect_stderr(io.StringIO()):
        folder = Path(tmp)
        single_process(folder, args.cases, args.runs, args.seed)
        if args.startup:
            startup(args.runs)
        if args.scale:
            scale(folder, args.scale_cases, args.memory)
    print(f"\nat the end: {load()}")


if __name__ == "__main__":
    main()
