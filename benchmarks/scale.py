"""Scale, side by side: the main process's CPU per case with 1 and 2 workers, and memory at 10,000 and 1,000,000 cases.

    python benchmarks/scale.py                          # 200,000 cases for CPU; memory at 10,000 and 1,000,000
    python benchmarks/scale.py --cases 50000 --memory-cases 10000 100000
    python benchmarks/scale.py --no-memory              # the CPU figures only

Every figure comes from its own process running ``triage score FILE.jsonl -o OUT.jsonl -q``
(``batch.run.run_score``, after building the engine, as the command does), so that each
starts cold and its resource use is its own:

- main process CPU: ``resource.getrusage(RUSAGE_SELF)`` around the run (user + system; the
  start-up before it, imports and the rule base, is printed apart); worker CPU:
  ``RUSAGE_CHILDREN`` after the workers and their fork server have been waited for.
- memory: peak resident set (``VmHWM``) of the main process, of the largest worker
  (sampled every 0.2 s), and of a ``--dask`` client scoring on a ``distributed.LocalCluster``
  of 2 worker processes started here (its scheduler runs in this process).

The inputs are mixed random cases (``throughput.cases_of``: half complete, half with 5%, 20%
or 50% unknown), about 1.2 kB a line in and 3.3 kB a line out. The machine is small and
shared: compare ratios and CPU time, not single wall times.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from throughput import load, write_cases  # noqa: E402


def _cpu(who: int = resource.RUSAGE_SELF) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def peak_mib(pid: int | str = "self") -> float:
    """The peak resident set of a process (``VmHWM``), MiB; 0 when it is gone.

    Not ``ru_maxrss``: that survives ``exec``, so a process started by a big one would report
    the big one's size.
    """
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _descendants(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as children:
            found = [int(child) for child in children.read().split()]
    except OSError:
        return []
    return found + [grandchild for child in found for grandchild in _descendants(child)]


class DescendantPeaks(threading.Thread):
    """Samples the peak resident set of every descendant process (the workers) until stopped."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peaks: dict[int, float] = {}
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(0.2):
            for pid in _descendants(os.getpid()):
                self.peaks[pid] = max(self.peaks.get(pid, 0.0), peak_mib(pid))


def child(spec: dict[str, Any]) -> None:
    """Run one ``triage score`` in this process and print what it used, as JSON (the measured process)."""
    from triage.batch.inputs import expand
    from triage.batch.run import run_score
    from triage.batch.scoring import process_assessor

    process_assessor(None, spec["engine"])  # the command builds the engine before the run, too
    sampler = DescendantPeaks()
    sampler.start()
    start_up = _cpu()
    files = expand([spec["input"]])
    before, wall = _cpu(), time.perf_counter()
    summary = run_score(files, spec["output"], None, spec["workers"], None, False, spec.get("dask"), True, None,
                        engine=spec["engine"])
    wall, run = time.perf_counter() - wall, _cpu() - before
    sampler.done.set()
    sampler.join()
    try:  # the workers' fork server, waited for here, so that its children's use counts as ours
        import multiprocessing.forkserver as forkserver

        forkserver._forkserver._stop()  # type: ignore[attr-defined]
    except (AttributeError, OSError):
        pass
    print(json.dumps({
        "cases": summary.cases, "errors": summary.errors, "wall": wall, "run_cpu": run, "start_up_cpu": start_up,
        "workers_cpu": _cpu(resource.RUSAGE_CHILDREN),
        "rss_mib": peak_mib(), "workers_rss_mib": max(sampler.peaks.values(), default=0.0),
    }))


def measure(source: Path, output: Path, workers: int, engine: str, dask: str | None = None) -> dict[str, Any]:
    """What one cold ``triage score`` process used (``child``)."""
    spec = {"input": str(source), "output": str(output), "workers": workers, "engine": engine, "dask": dask}
    run = subprocess.run([sys.executable, __file__, "--child", json.dumps(spec)], capture_output=True, text=True,
                         check=False, env={**os.environ, "PYTHONPATH": str(HERE.parent)})
    output.unlink(missing_ok=True)
    if run.returncode != 0:
        raise RuntimeError(f"the measured run failed: {run.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(run.stdout.strip().splitlines()[-1])
    return result


def parent_cpu(folder: Path, count: int, engine: str) -> None:
    """Main-process and worker CPU per case with 1 and 2 workers, and the wall-time ratio."""
    source = folder / f"cpu-{count}.jsonl"
    write_cases(source, "mixed", count, seed=12)
    one = measure(source, folder / "out.jsonl", 1, engine)
    two = measure(source, folder / "out.jsonl", 2, engine)
    source.unlink()
    assert one["cases"] == two["cases"] == count, (one, two)
    per = 1e6 / count
    print(f"\nmain process CPU per case, {count:,} mixed cases, {engine} engine, JSON Lines in and out")
    print(f"{'':<46}{'workers=1':>12}{'workers=2':>12}")
    print(f"{'  main process: CPU µs per case (the run)':<46}{one['run_cpu'] * per:>12.2f}"
          f"{two['run_cpu'] * per:>12.2f}")
    print(f"{'  main process: start-up before it, CPU s':<46}{one['start_up_cpu']:>12.2f}"
          f"{two['start_up_cpu']:>12.2f}")
    print(f"{'  worker processes: CPU µs per case':<46}{'-':>12}{two['workers_cpu'] * per:>12.2f}")
    print(f"{'  wall time, s':<46}{one['wall']:>12.1f}{two['wall']:>12.1f}")
    print(f"{'  wall time, workers=2 / workers=1':<46}{'':>12}{two['wall'] / one['wall']:>12.2f}")
    print(f"{'  cases per CPU-second, all processes':<46}{count / one['run_cpu']:>12,.0f}"
          f"{count / (two['run_cpu'] + two['workers_cpu']):>12,.0f}")


def memory(folder: Path, counts: list[int], engine: str, dask: bool) -> None:
    """Peak RSS at each count: one process, a 2-worker run (main and largest worker), a Dask client."""
    rows: dict[str, list[str]] = {"one process (--workers 1)": [], "2 workers: main process": [],
                                  "2 workers: largest worker": []}
    cluster = None
    if dask:
        import distributed

        cluster = distributed.LocalCluster(  # type: ignore[no-untyped-call]
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, scheduler_port=0)
        rows["Dask client (LocalCluster, 2 worker processes)"] = []
    walls: list[str] = []
    try:
        for count in counts:
            source = folder / f"memory-{count}.jsonl"
            write_cases(source, "mixed", count, seed=11)
            one = measure(source, folder / "out.jsonl", 1, engine)
            two = measure(source, folder / "out.jsonl", 2, engine)
            rows["one process (--workers 1)"].append(f"{one['rss_mib']:.0f}")
            rows["2 workers: main process"].append(f"{two['rss_mib']:.0f}")
            rows["2 workers: largest worker"].append(f"{two['workers_rss_mib']:.0f}")
            wall = f"{one['wall']:.1f}/{two['wall']:.1f}"
            if cluster is not None:
                remote = measure(source, folder / "out.jsonl", 1, engine, dask=cluster.scheduler_address)
                assert remote["cases"] == count, remote
                rows["Dask client (LocalCluster, 2 worker processes)"].append(f"{remote['rss_mib']:.0f}")
                wall += f"/{remote['wall']:.1f}"
            walls.append(wall)
            source.unlink()
    finally:
        if cluster is not None:
            cluster.close()
    print(f"\npeak resident memory, MiB, mixed cases, {engine} engine"
          + (" (for time: durable takes about 4 times as long)" if engine == "python" else ""))
    print(f"{'':<52}" + "".join(f"{count:>18,}" for count in counts))
    for label, cells in rows.items():
        print(f"  {label:<50}" + "".join(f"{cell:>18}" for cell in cells))
    print(f"  {'wall s: one process/2 workers' + ('/Dask' if dask else ''):<50}"
          + "".join(f"{wall:>18}" for wall in walls))


def main() -> None:
    """Print the figures (see the module docstring)."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=200_000, help="cases for the CPU figures (default 200,000)")
    parser.add_argument("--engine", default="durable", choices=("durable", "python"), help="for the CPU figures")
    parser.add_argument("--memory-cases", type=int, nargs="+", default=[10_000, 1_000_000])
    parser.add_argument("--memory-engine", default="python", choices=("durable", "python"))
    parser.add_argument("--no-memory", dest="memory", action="store_false")
    parser.add_argument("--no-dask", dest="dask", action="store_false", help="no Dask client in the memory table")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(json.loads(args.child))
        return
    print(f"triage scale: Python {sys.version.split()[0]}; {load()}")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        parent_cpu(folder, args.cases, args.engine)
        if args.memory:
            memory(folder, args.memory_cases, args.memory_engine, args.dask)
    print(f"\nat the end: {load()}")


if __name__ == "__main__":
    main()
