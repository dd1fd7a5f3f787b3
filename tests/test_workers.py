"""The worker pool of batch scoring (triage/batch/workers.py): results in order, errors raised here, a quick stop."""

from __future__ import annotations

import multiprocessing
import threading
import time

import pytest

from triage.batch.workers import OrderedPool, WorkerDied
from triage.errors import RuleBaseError


def square(job: int) -> int:
    """A job: its number squared, slowly for the first few (so that later jobs finish first)."""
    if job < 3:
        time.sleep(0.2)
    if job == 13:
        raise ZeroDivisionError("job 13")
    return job * job


def ready() -> None:
    """A worker initializer that does nothing."""


def refuse() -> None:
    """A worker initializer that fails as a broken rule base does."""
    raise RuleBaseError("rule base x: 1 problem", ["extra.yaml:2: rule 'r': too wide"])


CONTEXT = multiprocessing.get_context("forkserver")


def test_results_come_in_job_order() -> None:
    """Whatever finishes first, results come back in the order of the jobs."""
    pool = OrderedPool(CONTEXT, 3, square, ready)
    try:
        assert list(pool.map(range(12))) == [n * n for n in range(12)]
    finally:
        pool.close()


def test_an_error_in_a_worker_is_raised_here_as_itself() -> None:
    """An exception of a job, or of a worker's set-up, is raised in this process with its type and text."""
    pool = OrderedPool(CONTEXT, 2, square, ready)
    try:
        with pytest.raises(ZeroDivisionError, match="job 13"):
            list(pool.map(range(20)))
    finally:
        pool.kill()
    pool = OrderedPool(CONTEXT, 2, square, refuse)
    try:
        with pytest.raises(RuleBaseError) as raised:
            list(pool.map(range(4)))
        assert raised.value.problems == ["extra.yaml:2: rule 'r': too wide"]
    finally:
        pool.kill()


def test_stopping_early_kills_the_workers_at_once() -> None:
    """Killing the pool while its workers are busy stops every one within seconds; the waiting reader is told."""
    pool = OrderedPool(CONTEXT, 2, time.sleep, ready)
    processes = list(pool._processes)
    outcome: list[BaseException] = []

    def read() -> None:
        try:
            list(pool.map([30.0] * 8))
        except WorkerDied as exc:
            outcome.append(exc)

    reader = threading.Thread(target=read)
    reader.start()
    time.sleep(1.0)  # the jobs are being slept on
    start = time.monotonic()
    pool.kill()
    reader.join(10)
    assert time.monotonic() - start < 5 and not any(p.is_alive() for p in processes)
    assert outcome and isinstance(outcome[0], WorkerDied)
