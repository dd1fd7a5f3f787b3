"""Summaries of a batch: counts per level, errors, speed; and evaluation against expected levels."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from ..models import Urgency
from ..validation import SHOWN_CHARACTERS, printable, shortened
from .scoring import Scored

#: How many failed cases the summary names, and how many over-triaged cases the evaluation lists.
ERRORS_NAMED = 5
OVER_TRIAGED_LISTED = 100


@dataclass
class Summary:
    """Running counts over a batch (updated one case at a time, so memory stays flat)."""

    cases: int = 0
    errors: int = 0
    levels: Counter[str] = field(default_factory=Counter)
    surgical: int = 0
    incomplete: int = 0
    seconds: float = 0.0
    # evaluation against expected levels
    evaluated: int = 0
    confusion: Counter[tuple[str, str]] = field(default_factory=Counter)  # (expected, assessed) -> count
    under_triaged: list[tuple[str, str, str]] = field(default_factory=list)  # (case, expected, assessed)
    over_triaged: int = 0
    over_triaged_cases: list[tuple[str, str, str]] = field(default_factory=list)  # the first few, as above
    first_errors: list[tuple[str, str | None, str]] = field(default_factory=list)  # (source, case id, error)
    surgical_evaluated: int = 0
    surgical_agreed: int = 0

    def add(self, scored: Scored) -> None:
        """Count one scored case."""
        self.cases += 1
        if scored.error is not None or scored.urgency is None:
            self.errors += 1
            if len(self.first_errors) < ERRORS_NAMED:
                self.first_errors.append((scored.source, scored.case_id, scored.error or "not assessed"))
            return
        self.levels[scored.urgency] += 1
        self.surgical += bool(scored.surgical)
        self.incomplete += not scored.complete
        if scored.expected_urgency is not None:
            self.evaluated += 1
            self.confusion[(scored.expected_urgency, scored.urgency)] += 1
            difference = scored.urgency.rank - scored.expected_urgency.rank
            if difference < 0:
                self.under_triaged.append((scored.case_id or scored.source, scored.expected_urgency, scored.urgency))
            elif difference > 0:
                self.over_triaged += 1
                if len(self.over_triaged_cases) < OVER_TRIAGED_LISTED:
                    self.over_triaged_cases.append((scored.case_id or scored.source, scored.expected_urgency,
                                                    scored.urgency))
        if scored.expected_surgical is not None:
            self.surgical_evaluated += 1
            self.surgical_agreed += scored.expected_surgical == scored.surgical

    def merge(self, other: Summary) -> None:
        """Count the cases of ``other``, a summary of the cases that follow these: as if each were ``add``-ed here."""
        self.cases += other.cases
        self.errors += other.errors
        self.levels.update(other.levels)
        self.surgical += other.surgical
        self.incomplete += other.incomplete
        self.evaluated += other.evaluated
        self.confusion.update(other.confusion)
        self.under_triaged += other.under_triaged
        self.over_triaged += other.over_triaged
        self.over_triaged_cases += other.over_triaged_cases[:OVER_TRIAGED_LISTED - len(self.over_triaged_cases)]
        self.first_errors += other.first_errors[:ERRORS_NAMED - len(self.first_errors)]
        self.surgical_evaluated += other.surgical_evaluated
        self.surgical_agreed += other.surgical_agreed

    @property
    def accuracy(self) -> float | None:
        """Share of evaluated cases assessed at exactly their expected level."""
        if not self.evaluated:
            return None
        return sum(n for (expected, got), n in self.confusion.items() if expected == got) / self.evaluated


LEVELS_HIGH_FIRST = tuple(Urgency)


def _table(title: str, columns: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(str(x)) for x in [c, *(r[i] for r in rows)]) for i, c in enumerate(columns)]

    def line(cells: list[str]) -> str:  # first column left-aligned, counts right-aligned
        pairs = enumerate(zip(cells, widths, strict=True))
        return "  ".join(str(c).rjust(w) if i else str(c).ljust(w) for i, (c, w) in pairs)

    return "\n".join([title, line(columns), line(["-" * w for w in widths]), *(line(r) for r in rows)])


#: How ``scoring.error_line`` ends an id it has already cut short: "… (5,000,000 characters)".
_CUT_ID = re.compile(r"… \(([\d,]+) characters\)$")


def _shown_id(case_id: str) -> str:
    """A case id for the summary, cut short; one the error line already cut keeps its true length."""
    cut = _CUT_ID.search(case_id)
    if cut is None:
        return shortened(case_id)
    return f"{printable(case_id[:min(cut.start(), SHOWN_CHARACTERS)])}… ({cut.group(1)} characters)"


def render_summary(summary: Summary, rules: str = "") -> str:
    """The end-of-run summary as plain text: counts, the first failed cases, and ``rules`` (the rule base used)."""
    rate = summary.cases / summary.seconds if summary.seconds else 0.0
    rows = [["cases", str(summary.cases)], ["errors", str(summary.errors)]]
    rows += [[level, str(summary.levels.get(level, 0))] for level in LEVELS_HIGH_FIRST]
    rows += [["surgical consultation", str(summary.surgical)], ["incomplete", str(summary.incomplete)],
             ["time", f"{summary.seconds:.2f} s"], ["cases per second", f"{rate:,.0f}"]]
    parts = [_table("Summary", ["", "count"], rows)]
    if summary.first_errors:
        more = summary.errors - len(summary.first_errors)
        parts.append(f"first {len(summary.first_errors)} of {summary.errors} case(s) that could not be scored:"
                     if more else "case(s) that could not be scored:")
        parts += [f"  - {source}{f' ({_shown_id(case_id)})' if case_id else ''}: {shortened(error, 300)}"
                  for source, case_id, error in summary.first_errors]
    if rules:
        parts.append(rules)
    return "\n".join(parts)


def render_evaluation(summary: Summary) -> str:
    """Confusion matrix, accuracy, under- and over-triage and surgical agreement, as plain text."""
    if not summary.evaluated:
        return "Evaluation: no case carries expected_urgency."
    columns = ["expected \\ assessed", *LEVELS_HIGH_FIRST, "total"]
    rows = []
    for expected in LEVELS_HIGH_FIRST:
        counts = [summary.confusion.get((expected, got), 0) for got in LEVELS_HIGH_FIRST]
        rows.append([expected, *map(str, counts), str(sum(counts))])
    parts = [_table(f"Evaluation of {summary.evaluated} cases with an expected level", columns, rows), ""]
    parts.append(f"exact accuracy: {summary.accuracy:.1%}")
    parts.append(f"under-triage: {len(summary.under_triaged)} case(s)  (the safety figure)")
    parts += [f"  - {printable(case)}: expected {expected}, assessed {got}"
              for case, expected, got in summary.under_triaged]
    parts.append(f"over-triage: {summary.over_triaged} case(s)")
    parts += [f"  - {printable(case)}: expected {expected}, assessed {got}"
              for case, expected, got in summary.over_triaged_cases]
    if summary.over_triaged > len(summary.over_triaged_cases):
        parts.append(f"  ... and {summary.over_triaged - len(summary.over_triaged_cases):,} more")
    if summary.surgical_evaluated:
        parts.append(f"surgical flag agreement: {summary.surgical_agreed}/{summary.surgical_evaluated} "
                     f"({summary.surgical_agreed / summary.surgical_evaluated:.1%})")
    return "\n".join(parts)
