"""Measuring the coverage of a rule base by a corpus: every case read as batch scoring reads it, assessed, collected."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from ..batch.inputs import read_records, to_case
from ..batch.scoring import process_assessor
from ..engines import EngineName
from ..errors import CaseError
from .collector import CoverageCollector, CoverageReport


def measure(inputs: Iterable[str], rules_dir: str | Path | None = None,
            engine: EngineName = "durable") -> CoverageReport:
    """Assess every case of ``inputs`` (anything ``triage score`` reads) and report the coverage of the rules."""
    assessor = process_assessor(str(rules_dir) if rules_dir is not None else None, engine)
    collector = CoverageCollector(assessor.rulebase)
    for record in read_records(inputs):
        try:
            case = to_case(record)
        except CaseError as exc:
            collector.add_error(exc.case_id or record.default_id, record.source, "; ".join(exc.problems))
            continue
        assessment = assessor.assess(case)
        collector.add(assessment.case_id, assessment.fired_rules, assessment.urgency, case.answers())
    return collector.report()
