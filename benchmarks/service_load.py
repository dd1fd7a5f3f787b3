"""Load test of ``triage serve``: concurrent clients posting random cases to /v1/assess, side by side for N workers.

Starts the service as a real process on a free port for each worker count, sends the
requests from concurrent clients (each its own connection), checks every answer against
``Assessor().assess`` in this process, and prints errors, mismatches, requests per second,
p50/p99 latency and the CPU time of the server and of the clients. Client and server share
the machine's cores, so a second worker cannot double the rate on 2 vCPUs.

    .venv/bin/python benchmarks/service_load.py                      # 5,000 requests, 32 clients, 1 and 2 workers
    .venv/bin/python benchmarks/service_load.py --requests 1000 --workers 1
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.synthetic import random_case_dicts
from triage.assess.assessor import Assessor
from triage.models import Case

TICKS = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    """A port on localhost that was free a moment ago."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and its reaped and living children (Linux /proc)."""
    total = 0.0
    pids = [pid]
    while pids:
        current = pids.pop()
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            total += sum(int(value) for value in fields[11:15]) / TICKS  # utime stime cutime cstime
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
            pids += [int(child) for child in children]
        except (OSError, ValueError):
            continue
    return total


def start(workers: int) -> tuple[subprocess.Popen[bytes], str]:
    """``triage serve --workers N`` on a free port, once every worker answers."""
    port = free_port()
    command = [sys.executable, "-m", "triage", "serve", "--port", str(port), "--workers", str(workers)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                time.sleep(1.0 * workers)  # let every worker finish starting
                return process, url
        except httpx.HTTPError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit("triage serve did not start")


async def client(url: str, jobs: asyncio.Queue[tuple[int, dict[str, Any]]], results: dict[int, Any],
                 latencies: list[float], errors: list[str]) -> None:
    """One client on its own connection, taking cases from the queue until it is empty."""
    async with httpx.AsyncClient(base_url=url, timeout=60) as http:
        while True:
            try:
                number, case = jobs.get_nowait()
            except asyncio.QueueEmpty:
                return
            started = time.perf_counter()
            try:
                response = await http.post("/v1/assess", json=case)
            except httpx.HTTPError as exc:
                errors.append(f"{type(exc).__name__}")
                continue
            latencies.append(time.perf_counter() - started)
            if response.status_code != 200:
                errors.append(f"HTTP {response.status_code}")
            else:
                results[number] = response.json()


async def load(url: str, cases: list[dict[str, Any]], clients: int) -> tuple[dict[int, Any], list[float], list[str]]:
    """Send every case once from ``clients`` concurrent clients."""
    jobs: asyncio.Queue[tuple[int, dict[str, Any]]] = asyncio.Queue()
    for number, case in enumerate(cases):
        jobs.put_nowait((number, case))
    results: dict[int, Any] = {}
    latencies: list[float] = []
    errors: list[str] = []
    await asyncio.gather(*(client(url, jobs, results, latencies, errors) for _ in range(clients)))
    return results, latencies, errors


def run(workers: int, cases: list[dict[str, Any]], expected: list[dict[str, Any]], clients: int) -> dict[str, Any]:
    """One load run against a fresh server with ``workers`` processes."""
    process, url = start(workers)
    try:
        server_before, client_before = cpu_seconds(process.pid), time.process_time()
        started = time.perf_counter()
        results, latencies, errors = asyncio.run(load(url, cases, clients))
        wall = time.perf_counter() - started
        server_cpu, client_cpu = cpu_seconds(process.pid) - server_before, time.process_time() - client_before
    finally:
        process.terminate()
        process.wait(30)
    mismatches = sum(1 for number, want in enumerate(expected) if number in results and results[number] != want)
    ordered = sorted(latencies)
    return {
        "workers": workers, "requests": len(cases), "errors": len(errors), "mismatches": mismatches,
        "answered": len(results), "wall": wall, "rate": len(results) / wall,
        "p50": statistics.median(ordered) * 1000, "p99": ordered[int(len(ordered) * 0.99) - 1] * 1000,
        "server_cpu": server_cpu, "client_cpu": client_cpu, "exit": process.returncode,
    }


def main() -> None:
    """Run the load for each worker count and print the figures side by side."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    cases = random_case_dicts(args.requests, args.seed)
    assessor = Assessor()
    started = time.perf_counter()
    expected = [assessor.assess(Case.model_validate(case)).model_dump(mode="json") for case in cases]
    library = time.perf_counter() - started
    print(f"{args.requests} random cases (seed {args.seed}), {args.clients} concurrent clients, POST /v1/assess; "
          f"{os.cpu_count()} CPUs")
    print(f"library alone: {args.requests / library:,.0f} cases/s in this process\n")
    rows = [run(workers, cases, expected, args.clients) for workers in args.workers]
    header = (f"{'workers':>7}  {'answered':>8}  {'errors':>6}  {'mismatch':>8}  {'req/s':>7}  {'p50 ms':>7}  "
              f"{'p99 ms':>7}  {'server CPU s':>12}  {'client CPU s':>12}  {'exit':>4}")
    print(header)
    print("-" * len(header))
    for row in rows:
        print(f"{row['workers']:>7}  {row['answered']:>8}  {row['errors']:>6}  {row['mismatches']:>8}  "
              f"{row['rate']:>7,.0f}  {row['p50']:>7.1f}  {row['p99']:>7.1f}  {row['server_cpu']:>12.1f}  "
              f"{row['client_cpu']:>12.1f}  {row['exit']:>4}")
    if len(rows) > 1:
        print(f"\nrequests/s with {rows[-1]['workers']} workers / with {rows[0]['workers']}: "
              f"{rows[-1]['rate'] / rows[0]['rate']:.2f}x; server CPU per request: "
              + ", ".join(f"{row['server_cpu'] / row['requests'] * 1000:.2f} ms ({row['workers']} workers)"
                          for row in rows))
    failed = any(row["errors"] or row["mismatches"] or row["answered"] != row["requests"] for row in rows)
    print("\nresult: " + ("FAILED: errors or results different from the library" if failed
                          else "0 errors, every answer identical to the library"))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
