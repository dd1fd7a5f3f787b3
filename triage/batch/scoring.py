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
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from pathlib import Path

import orjson

from ..assess.assessor import Assessor, Observation
from ..assess.outcome import Encoder
from ..cases import ValidCase, valid_case
from ..engines import EngineName
from ..errors import CaseError, EngineError
from ..language.loading import load_rulebase
from ..models import Urgency
from .inputs import Record, to_case
from .workers import OrderedPool


@dataclass(frozen=True)
class Scored:
    """The result for one case: its output line, and what summaries and evaluation need from it."""

    case_id: str | None
    source: str
    json_line: str  # the JSONL line: the assessment JSON (plus "source"), or the error line
    urgency: Urgency | None = None
    surgical: bool | None = None
    complete: bool | None = None
    fired_rules: tuple[str, ...] = ()
    error: str | None = None
    expected_urgency: Urgency | None = None
    expected_surgical: bool | None = None
    rules_hash: str = ""


#: The longest case id an error line repeats (a hostile id of megabytes is cut, its length said).
MAX_ID_SHOWN = 1000


def error_line(case_id: str | None, source: str, error: str) -> Scored:
    """The scored line of a case that could not be assessed."""
    if case_id is not None and len(case_id) > MAX_ID_SHOWN:
        case_id = f"{case_id[:MAX_ID_SHOWN]}… ({len(case_id):,} characters)"
    line = json.dumps({"case_id": case_id, "source": source, "error": error}, ensure_ascii=False)
    return Scored(case_id=case_id, source=source, json_line=line, error=error)


def score_record(assessor: Assessor, record: Record) -> Scored:
    """Parse, validate and assess one record; any problem becomes an error line, never an exception."""
    valid = _quick_case(record)
    if valid is None:  # anything unusual, and every error, is read the long way, which names every problem
        try:
            case = to_case(record)
        except CaseError as exc:
            return error_line(exc.case_id or record.default_id, record.source, "; ".join(exc.problems))
        except Exception as exc:  # noqa: BLE001 - a bug must cost one case, never the batch
            return error_line(record.default_id, record.source, f"internal error: {type(exc).__name__}: {exc}")
        valid = ValidCase(case.answers(), case.id, case.expected_urgency, case.expected_surgical)
    try:
        outcome = assessor.outcome(valid.answers, valid.case_id)
        line = _ENCODER.encode(outcome, record.source)
    except Exception as exc:  # noqa: BLE001 - a bug must cost one case, never the batch
        detail = str(exc) if isinstance(exc, EngineError) else f"{type(exc).__name__}: {exc}"
        return error_line(valid.case_id, record.source, f"internal error: {detail}")
    return Scored(
        case_id=outcome.case_id, source=record.source, json_line=line, urgency=outcome.urgency,
        surgical=outcome.surgical_consultation, complete=outcome.complete, fired_rules=tuple(outcome.fired_rules),
        expected_urgency=valid.expected_urgency, expected_surgical=valid.expected_surgical,
        rules_hash=outcome.rules_hash,
    )


def _quick_case(record: Record) -> ValidCase | None:
    """A JSON record's case when a quick parse and check find it certainly valid; else None (``to_case`` decides)."""
    text = record.text
    if text is None or record.suffix not in (".jsonl", ".json"):
        return None
    try:
        data = orjson.loads(text)  # refuses what json refuses and more (NaN, lone surrogates): then to_case decides
    except orjson.JSONDecodeError:
        return None
    # orjson keeps the last of repeated keys; every key has its colon, so as many colons as keys means none repeats.
    if type(data) is not dict or text.count(":") != len(data):
        return None
    return valid_case(data, record.default_id)


#: The output encoder of this process: it keeps the rule bases' texts encoded, by their content.
_ENCODER = Encoder()


# One assessor per process and rules folder, built once (a worker's initializer or first use).
_assessors: dict[tuple[str | None, EngineName], Assessor] = {}


def process_assessor(rules_dir: str | None, engine: EngineName = "durable") -> Assessor:
    """This process's assessor for a rules folder (None: the bundled rules) and engine."""
    key = (rules_dir, engine)
    if key not in _assessors:
        _assessors[key] = Assessor(load_rulebase(rules_dir), engine=engine)
    return _assessors[key]


def _init_worker(rules_dir: str | None, engine: EngineName) -> None:
    process_assessor(rules_dir, engine)


def _score_chunk(job: tuple[str | None, EngineName, list[Record]]) -> list[Scored]:
    rules_dir, engine, records = job
    assessor = process_assessor(rules_dir, engine)
    return [score_record(assessor, record) for record in records]


def _chunks(records: Iterable[Record], size: int) -> Iterator[list[Record]]:
    iterator = iter(records)
    while chunk := list(islice(iterator, size)):
        yield chunk


def default_workers() -> int:
    """The machine's cores available to this process."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def score_records(
    records: Iterable[Record], rules_dir: str | Path | None = None, workers: int = 1, chunk_size: int = 200,
    engine: EngineName = "durable",
) -> Iterator[Scored]:
    """Score records in input order, in this process (``workers=1``) or in a pool of worker processes.

    The rules are loaded once per process from ``rules_dir`` (default: the bundled rules);
    ``engine`` is ``durable`` (durable_rules) or ``python``. Stopping the iteration early (or
    an interrupt) kills the worker processes at once (``workers.OrderedPool``).
    """
    folder = str(rules_dir) if rules_dir is not None else None
    if workers <= 1:
        assessor = process_assessor(folder, engine)
        for record in records:
            yield score_record(assessor, record)
        return
    context = multiprocessing.get_context("spawn" if os.name != "posix" else "forkserver")
    if os.name == "posix":  # workers start with the scoring code loaded: quick, and no import to interrupt
        context.set_forkserver_preload([__name__])
    pool = OrderedPool(context, workers, _score_chunk, _init_worker, (folder, engine))
    try:
        jobs = ((folder, engine, chunk) for chunk in _chunks(records, chunk_size))
        for scored_chunk in pool.map(jobs):
            observer = Assessor.observer
            if observer is not None:  # assessed in worker processes: told here (in this process, by assess)
                for item in scored_chunk:
                    if item.urgency is not None:
                        observer(Observation(item.case_id, item.rules_hash, item.fired_rules, item.urgency))
            yield from scored_chunk
    except BaseException:  # an interrupt, or the caller stopped early: the work left is not wanted
        pool.kill()
        raise
    pool.close()
