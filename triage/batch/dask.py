"""Scoring on a Dask cluster: jobs of ``triage score --dask``, and a bag of cases (``score_bag``).

``triage score --dask ADDRESS`` hands the cluster the same jobs as local workers get
(``jobs``: a byte range of a file, or a list of files, described, never read here): each
Dask worker reads its inputs, scores them with its own engine and writes its part file;
the client appends the parts in order as they finish, holding a bounded number of tasks in
flight, so its memory does not grow with the cases. The workers must see the inputs and the
output's folder at the same paths as the client (a shared file system), and run as the
same user. Needs the ``dask`` extra (``INSTALL_DASK``); ``check_scheduler`` says at once,
before any input is read, when it is missing or when no scheduler answers at the address.
"""

from __future__ import annotations

import importlib.util
import json
import socket
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from ..engines import EngineName
from ..errors import MissingExtra, TriageError
from ..validation import printable
from .inputs import Record
from .jobs import Job, JobResult, JobSettings, run_job_packed
from .parts import Results
from .scoring import Scored, process_assessor, score_record

#: How to install what --dask needs (in the triage folder), as the help and the README say it.
INSTALL_DASK = "pip install '.[dask]'"
#: Seconds to wait for a scheduler to answer before giving up.
CONNECT_SECONDS = 5


def _installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ImportError:
        return False


def check_scheduler(address: str) -> None:
    """Refuse at once when dask is not installed, the address is not ``[tcp://]HOST:PORT``, or nothing listens there."""
    if not all(_installed(name) for name in ("dask", "distributed")):
        raise MissingExtra(f"--dask needs dask and distributed, which are not installed: in the triage folder, "
                           f"{INSTALL_DASK}")
    host_port = address.removeprefix("tcp://")
    host, _, port = host_port.rpartition(":")
    if "://" in host_port or not port.isdigit() or not 0 < int(port) < 65536:
        # tls:// and the other protocols need security settings that triage score does not take
        raise TriageError(f"--dask takes the scheduler's address as tcp://HOST:PORT (or HOST:PORT), "
                          f"not {printable(address)!r}")
    try:
        socket.create_connection((host.strip("[]") or "127.0.0.1", int(port)), timeout=CONNECT_SECONDS).close()
    except OSError as exc:
        raise TriageError(f"cannot reach the Dask scheduler at {address}: "
                          f"{exc.strerror or exc or 'no answer'}") from None


def connect(address: str) -> Any:
    """A ``distributed.Client`` of the scheduler at ``address``; a clear error when none answers in time.

    The client's own time-out does not cover a socket that accepts and never speaks (something
    else listens at the port): the connection is made in a thread that is given up after a while.
    """
    from distributed import Client

    made: list[Any] = []

    def make() -> None:
        try:
            made.append(Client(address, timeout=CONNECT_SECONDS))
        except Exception as exc:  # noqa: BLE001 - told below as the reason the scheduler cannot be used
            made.append(exc)

    thread = threading.Thread(target=make, daemon=True, name="dask-connect")
    thread.start()
    thread.join(2 * CONNECT_SECONDS)
    if not made:
        raise TriageError(f"no Dask scheduler answered at {address} within {2 * CONNECT_SECONDS} s "
                          f"(something listens there, but it is not a Dask scheduler?)")
    if isinstance(made[0], Exception):
        raise TriageError(f"cannot reach the Dask scheduler at {address}: {made[0]}") from None
    return made[0]


def score_bag(bag: Any, rules_dir: str | Path | None = None) -> Any:
    """Score a Dask bag of cases (mappings of field names to answers) into a bag of assessment dicts.

    Each Dask worker process builds its own engine once. A case that cannot be read gives a
    dict with ``case_id`` and ``error`` instead of an urgency. Needs the dask extra (``INSTALL_DASK``).
    """
    folder = str(rules_dir) if rules_dir is not None else None
    return bag.map_partitions(_score_partition, folder)


def _score_partition(cases: Iterable[Any], rules_dir: str | None) -> list[dict[str, Any]]:
    assessor = process_assessor(rules_dir)
    results = []
    for number, item in enumerate(cases):
        record = item if isinstance(item, Record) else _record_of(item, number)
        results.append(json.loads(score_record(assessor, record).json_line))
    return results


def _record_of(item: Any, number: int) -> Record:
    default_id = f"case-{number}"
    if isinstance(item, dict):
        source = str(item.get("id", default_id))
        return Record(source=source, default_id=default_id, text=json.dumps(item), suffix=".json")
    if isinstance(item, str):  # a JSON or YAML text, e.g. a line of a JSON Lines file
        return Record(source=default_id, default_id=default_id, text=item)
    return Record(source=default_id, default_id=default_id, error=f"a case is a mapping, not a {type(item).__name__}")


def score_with_dask(records: list[Record], address: str, rules_dir: str | Path | None = None,
                    engine: EngineName = "durable", partitions: int | None = None) -> Iterator[Scored]:
    """Score records on a dask.distributed cluster, in input order (``triage score --dask`` of standard input).

    The records travel from this process and back: files are scored in parts instead (``dask_results``).
    """
    import dask.bag as db

    folder = str(Path(rules_dir).resolve()) if rules_dir is not None else None
    with connect(address) as client:
        workers = max(len(client.scheduler_info().get("workers", {})), 1)
        count = partitions or max(min(len(records) // 500, workers * 8), 1)
        bag = db.from_sequence(records, npartitions=count)
        results = bag.map_partitions(_score_records_partition, folder, engine).compute()
    yield from results


def _score_records_partition(records: Iterable[Record], rules_dir: str | None, engine: EngineName) -> list[Scored]:
    assessor = process_assessor(rules_dir, engine)
    return [score_record(assessor, record) for record in records]


def dask_results(address: str, window: int | None = None) -> tuple[Results, Callable[[], None]]:
    """Job results from the Dask cluster at ``address``, in job order, and how to stop (tasks cancelled, client closed).

    At most ``window`` jobs (default: twice the workers, and two) are on the cluster at once.
    """
    client = connect(address)
    in_flight: deque[Any] = deque()

    def results(jobs: Iterator[tuple[JobSettings, Job, int]]) -> Iterator[JobResult]:
        limit = window or 2 * max(len(client.scheduler_info().get("workers", {})), 1) + 2
        for work in jobs:
            in_flight.append(client.submit(run_job_packed, work, pure=False))
            if len(in_flight) >= limit:
                yield in_flight.popleft().result()
        while in_flight:
            yield in_flight.popleft().result()

    def stop() -> None:
        if in_flight:
            client.cancel(list(in_flight), force=True)
            in_flight.clear()
        client.close()

    return results, stop

