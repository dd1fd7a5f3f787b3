"""An ordered pool of worker processes that an interrupt stops at once, cleanly.

``multiprocessing.Pool`` shares locks between its workers and its own threads; a worker
killed by Ctrl-C while holding one (an idle worker always holds the task queue's) leaves
``terminate()`` waiting forever, and its workers print tracebacks. Here each worker has
two pipes of its own, one for jobs and one for results, and nothing is shared: the
workers ignore SIGINT (the main process alone decides), die with their parent, and are
killed outright when the main process stops early, which can never block.

Jobs are dealt round-robin and their results read back in the same order, so results
come in job order; each worker holds at most ``depth`` jobs (a thread in the worker takes
them off the pipe, so sending a job never waits for a busy worker).
"""

from __future__ import annotations

import contextlib
import ctypes
import pickle
import queue
import signal
import sys
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from multiprocessing.connection import Connection, wait
from multiprocessing.context import BaseContext
from typing import Any

from ..errors import TriageError

#: Signals a terminal sends to the whole process group, which a worker ignores (the main process stops it).
_LEFT_TO_THE_MAIN_PROCESS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGHUP", "SIGQUIT")
                                  if hasattr(signal, name))

#: ``prctl(PR_SET_PDEATHSIG, SIGKILL)``: the kernel kills a worker when the process that started it dies.
_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


def _worker(jobs: Connection, results: Connection, initializer: Callable[..., Any], initargs: tuple[Any, ...],
            work: Callable[[Any], Any]) -> None:
    """A worker's life: set up, then answer each job in order until told to stop (None) or the parent goes."""
    for signum in _LEFT_TO_THE_MAIN_PROCESS:  # these reach the whole group (Ctrl-C, a closed terminal): only the
        signal.signal(signum, signal.SIG_IGN)  # main process acts on them, and kills the workers
    _die_with_parent()
    inbox: queue.SimpleQueue[Any] = queue.SimpleQueue()

    def receive() -> None:
        try:
            while (job := jobs.recv()) is not None:
                inbox.put(job)
        except (EOFError, OSError):  # the main process is gone
            pass
        inbox.put(None)

    threading.Thread(target=receive, daemon=True).start()
    try:
        initializer(*initargs)
    except Exception as exc:  # noqa: BLE001 - told to the main process, which raises it there
        failure: _Failure | None = _Failure(exc)
    else:
        failure = None
    while (job := inbox.get()) is not None:
        try:
            if failure is None:
                try:
                    answer = work(job)
                except Exception as exc:  # noqa: BLE001 - as above
                    answer = _Failure(exc)
            results.send(failure or answer)
        except (BrokenPipeError, EOFError, OSError):  # the main process stopped reading: it is leaving
            return


class _Failure:
    """An exception raised in a worker, carried to the main process and raised there (no worker traceback)."""

    def __init__(self, exc: Exception):
        try:
            pickle.loads(pickle.dumps(exc))  # noqa: S301 - our own bytes, just made
        except Exception:  # noqa: BLE001 - an exception that cannot travel is told by its words
            exc = RuntimeError(f"{type(exc).__name__}: {exc}")
        self.exc = exc


class WorkerDied(TriageError):
    """A worker process ended without answering (killed from outside, out of memory, a crash in C): exit 1."""


def _hold_ctrl_c() -> tuple[Any] | None:
    """While worker processes start, Ctrl-C is held back; returns what ``_release_ctrl_c`` needs (None: not held).

    The forkserver imports the scoring code as it starts, and a Ctrl-C then would print its
    traceback. SIGINT is ignored while processes start (an ignored signal stays ignored in a
    program started by exec, as the forkserver is) and blocked too, which on Linux keeps a
    Ctrl-C pressed meanwhile pending instead of discarding it: it is delivered on release.
    The resource tracker is started first: starting it unblocks SIGINT, which would drop one.
    """
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "pthread_sigmask"):
        return None
    from multiprocessing import resource_tracker

    resource_tracker.ensure_running()
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    return (signal.signal(signal.SIGINT, signal.SIG_IGN),)


def _release_ctrl_c(held: tuple[Any] | None) -> None:
    if held is None:
        return
    previous = held[0]
    signal.signal(signal.SIGINT, previous if previous is not None else signal.default_int_handler)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


def _how_it_ended(code: int | None) -> str:
    if code is None:
        return "still running"
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit code {code}"


class OrderedPool:
    """``count`` worker processes applying ``work`` to jobs; ``map`` yields results in job order."""

    def __init__(self, context: BaseContext, count: int, work: Callable[[Any], Any],
                 initializer: Callable[..., Any], initargs: tuple[Any, ...] = (), depth: int = 2):
        self.depth = depth
        self._processes: list[Any] = []
        self._jobs: list[Connection] = []
        self._results: list[Connection] = []
        held = _hold_ctrl_c()
        try:
            for _ in range(count):
                job_out, job_in = context.Pipe(duplex=False)
                result_out, result_in = context.Pipe(duplex=False)
                process = context.Process(target=_worker, args=(job_out, result_in, initializer, initargs, work),  # type: ignore[attr-defined]
                                          daemon=True)
                process.start()
                job_out.close()
                result_in.close()
                self._processes.append(process)
                self._jobs.append(job_in)
                self._results.append(result_out)
            released, held = held, None
            _release_ctrl_c(released)  # a Ctrl-C held back is raised here: the workers are killed below
        except BaseException:
            self.kill()
            _release_ctrl_c(held)  # still held when starting failed
            raise

    def map(self, jobs: Iterable[Any]) -> Iterator[Any]:
        """The result of every job, in job order; at most ``depth`` jobs per worker are outstanding.

        While waiting for the next result in order, the results other workers have ready are
        read too (and kept, at most ``depth`` each), so that no worker waits to hand one over.
        """
        count = len(self._processes)
        pending = iter(jobs)
        ready: list[deque[Any]] = [deque() for _ in range(count)]
        outstanding = [0] * count
        sent = received = 0

        def send() -> bool:
            nonlocal sent
            job = next(pending, None)
            if job is None:
                return False
            self._jobs[sent % count].send(job)
            outstanding[sent % count] += 1
            sent += 1
            return True

        for _ in range(count * self.depth):
            if not send():
                break
        while received < sent:
            worker = received % count
            while not ready[worker]:
                waiting = [n for n in range(count) if outstanding[n] > len(ready[n])]
                answered = wait([self._results[n] for n in waiting])
                for number in waiting:
                    if self._results[number] not in answered:
                        continue
                    try:
                        ready[number].append(self._results[number].recv())
                    except (EOFError, OSError):
                        process = self._processes[number]
                        process.join(1)  # its exit status, when it has one by now
                        how = _how_it_ended(process.exitcode)
                        raise WorkerDied(f"worker process {number + 1} of {count} stopped without answering ({how}: "
                                         "killed from outside, or out of memory?); the output was not written, "
                                         "run the command again") from None
            result = ready[worker].popleft()
            outstanding[worker] -= 1
            received += 1
            if isinstance(result, _Failure):
                raise result.exc
            send()
            yield result

    def close(self) -> None:
        """Let the workers finish and leave (after ``map`` is done); those still running after 5 s are killed."""
        for connection in self._jobs:
            with contextlib.suppress(OSError):
                connection.send(None)
        for process in self._processes:
            process.join(5)
        self.kill()

    def kill(self) -> None:
        """Stop every worker at once (SIGKILL) and reap it; never blocks on a worker's state."""
        for process in self._processes:
            with contextlib.suppress(Exception):
                process.kill()
        for process in self._processes:
            with contextlib.suppress(Exception):
                process.join(2)
        for connection in (*self._jobs, *self._results):
            with contextlib.suppress(OSError):
                connection.close()
        self._processes, self._jobs, self._results = [], [], []
