"""Batch scoring: case records in, one scored line per case out, in input order.

One bad case never stops a batch: it is scored as an error line naming the case, where
it came from and every problem. Scoring runs in this process or in a pool of worker
processes, each with its own durable_rules engine (its state is per process and the C
core never releases the interpreter lock, so threads would not help); results come back
in input order and are the same for any number of workers.
"""

from __future__ import annotations

import json
import multiprocessing
import os
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Any, Iterable, Iterator, Optional

from .assessment import OBSERVERS, Assessor, notify
from .errors import CaseError, EngineError
from .inputs import Record, to_case
from .models import Assessment
from .rulebook import load_rulebase


@dataclass(frozen=True)
class Scored:
    """The result for one case: its output line, and what summaries and evaluation need from it."""

    case_id: Optional[str]
    source: str
    json_line: str  # the JSONL line: the assessment JSON (plus "source"), or the error line
    urgency: Optional[str] = None
    surgical: Optional[bool] = None
    complete: Optional[bool] = None
    fired_rules: tuple[str, ...] = ()
    error: Optional[str] = None
    expected_urgency: Optional[str] = None
    expected_surgical: Optional[bool] = None


def error_line(case_id: Optional[str], source: str, error: str) -> Scored:
    """The scored line of a case that could not be assessed."""
    line = json.dumps({"case_id": case_id, "source": source, "error": error}, ensure_ascii=False)
    return Scored(case_id=case_id, source=source, json_line=line, error=error)


def score_record(assessor: Assessor, record: Record) -> Scored:
    """Parse, validate and assess one record; any problem becomes an error line, never an exception."""
    try:
        case = to_case(record)
    except CaseError as exc:
        return error_line(exc.case_id or record.default_id, record.source, "; ".join(exc.problems))
    except Exception as exc:  # noqa: BLE001 - a bug must cost one case, never the batch
        return error_line(record.default_id, record.source, f"internal error: {type(exc).__name__}: {exc}")
    try:
        assessment = assessor.assess(case)
    except Exception as exc:  # noqa: BLE001 - a bug must cost one case, never the batch
        detail = str(exc) if isinstance(exc, EngineError) else f"{type(exc).__name__}: {exc}"
        return error_line(case.id, record.source, f"internal error: {detail}")
    data = assessment.model_dump(mode="json")
    data["source"] = record.source
    return Scored(
        case_id=assessment.case_id, source=record.source, json_line=json.dumps(data, ensure_ascii=False),
        urgency=assessment.urgency, surgical=assessment.surgical_consultation, complete=assessment.complete,
        fired_rules=tuple(assessment.fired_rules), expected_urgency=case.expected_urgency,
        expected_surgical=case.expected_surgical,
    )


# One assessor per process and rules folder, built once (a worker's initializer or first use).
_assessors: dict[tuple[Optional[str], str], Assessor] = {}


def process_assessor(rules_dir: Optional[str], evaluator: str = "durable") -> Assessor:
    """This process's assessor for a rules folder (None: the bundled rules) and evaluator."""
    key = (rules_dir, evaluator)
    if key not in _assessors:
        _assessors[key] = Assessor(load_rulebase(rules_dir), evaluator=evaluator)  # type: ignore[arg-type]
    return _assessors[key]


def _init_worker(rules_dir: Optional[str], evaluator: str) -> None:
    process_assessor(rules_dir, evaluator)


def _score_chunk(job: tuple[Optional[str], str, list[Record]]) -> list[Scored]:
    rules_dir, evaluator, records = job
    assessor = process_assessor(rules_dir, evaluator)
    return [score_record(assessor, record) for record in records]


def _chunks(records: Iterable[Record], size: int) -> Iterator[list[Record]]:
    iterator = iter(records)
    while chunk := list(islice(iterator, size)):
        yield chunk


def default_workers() -> int:
    """The machine's cores available to this process."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def score_records(
    records: Iterable[Record], rules_dir: Optional[str | Path] = None, workers: int = 1, chunk_size: int = 200,
    evaluator: str = "durable",
) -> Iterator[Scored]:
    """Score records in input order, in this process (``workers=1``) or in a pool of worker processes.

    The rules are loaded once per process from ``rules_dir`` (default: the bundled rules);
    ``evaluator`` is ``durable`` (the engine) or ``reference`` (plain Python, for comparison).
    Stopping the iteration early (or an interrupt) stops the pool.
    """
    folder = str(rules_dir) if rules_dir is not None else None
    if workers <= 1:
        assessor = process_assessor(folder, evaluator)
        for record in records:
            yield score_record(assessor, record)
        return
    context = multiprocessing.get_context("spawn" if os.name != "posix" else "forkserver")
    pool = context.Pool(workers, initializer=_init_worker, initargs=(folder, evaluator))
    try:
        jobs = ((folder, evaluator, chunk) for chunk in _chunks(records, chunk_size))
        for scored_chunk in pool.imap(_score_chunk, jobs):
            if OBSERVERS:  # assessed in worker processes: told here (in this process they are told by assess)
                _tell_observers(scored_chunk)
            yield from scored_chunk
        pool.close()
    finally:
        pool.terminate()
        pool.join()


def _tell_observers(scored: Iterable[Scored]) -> None:
    """Tell this process's observers of assessments made in worker processes (error lines have none)."""
    for item in scored:
        if item.error is None:
            data = json.loads(item.json_line)
            data.pop("source", None)
            notify(Assessment.model_validate(data))


def score_bag(bag: Any, rules_dir: Optional[str | Path] = None) -> Any:
    """Score a Dask bag of cases (mappings of field names to answers) into a bag of assessment dicts.

    Each Dask worker process builds its own engine once. A case that cannot be read gives a
    dict with ``case_id`` and ``error`` instead of an urgency. Needs ``pip install 'triage[dask]'``.
    """
    folder = str(rules_dir) if rules_dir is not None else None
    return bag.map_partitions(_score_partition, folder)


def _score_partition(cases: Iterable[Any], rules_dir: Optional[str]) -> list[dict[str, Any]]:
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


def score_with_dask(records: list[Record], address: str, rules_dir: Optional[str | Path] = None,
                    partitions: Optional[int] = None) -> Iterator[Scored]:
    """Score records on a dask.distributed cluster, in input order (``triage score --dask``)."""
    import dask.bag as db
    from distributed import Client

    folder = str(Path(rules_dir).resolve()) if rules_dir is not None else None
    with Client(address) as client:
        workers = max(len(client.scheduler_info().get("workers", {})), 1)
        count = partitions or max(min(len(records) // 500, workers * 8), 1)
        bag = db.from_sequence(records, npartitions=count)
        results = bag.map_partitions(_score_records_partition, folder).compute()
    yield from results


def _score_records_partition(records: Iterable[Record], rules_dir: Optional[str]) -> list[Scored]:
    assessor = process_assessor(rules_dir)
    return [score_record(assessor, record) for record in records]
