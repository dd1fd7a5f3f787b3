"""Scoring on a Dask cluster: a bag of cases scored by Dask workers, each with its own engine.

Needs the ``dask`` extra (``pip install 'triage[dask]'``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from ..engines import EngineName
from .inputs import Record
from .scoring import Scored, process_assessor, score_record


def score_bag(bag: Any, rules_dir: str | Path | None = None) -> Any:
    """Score a Dask bag of cases (mappings of field names to answers) into a bag of assessment dicts.

    Each Dask worker process builds its own engine once. A case that cannot be read gives a
    dict with ``case_id`` and ``error`` instead of an urgency. Needs ``pip install 'triage[dask]'``.
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
    """Score records on a dask.distributed cluster, in input order (``triage score --dask``)."""
    import dask.bag as db
    from distributed import Client

    folder = str(Path(rules_dir).resolve()) if rules_dir is not None else None
    with Client(address) as client:
        workers = max(len(client.scheduler_info().get("workers", {})), 1)
        count = partitions or max(min(len(records) // 500, workers * 8), 1)
        bag = db.from_sequence(records, npartitions=count)
        results = bag.map_partitions(_score_records_partition, folder, engine).compute()
    yield from results


def _score_records_partition(records: Iterable[Record], rules_dir: str | None, engine: EngineName) -> list[Scored]:
    assessor = process_assessor(rules_dir, engine)
    return [score_record(assessor, record) for record in records]
