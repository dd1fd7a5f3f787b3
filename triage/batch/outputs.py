"""Writing scored lines as JSON Lines or CSV (to a stream: ``files.atomic_output`` makes the file)."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import IO

from .scoring import Scored

CSV_COLUMNS = ("case_id", "source", "urgency", "surgical_consultation", "complete", "fired_rules", "error")


class LineWriter:
    """Writes scored cases in one format (``jsonl`` or ``csv``) to a stream."""

    def __init__(self, stream: IO[str], output_format: str):
        self.stream = stream
        self.format = output_format
        self._csv = csv.writer(stream, lineterminator="\n") if output_format == "csv" else None
        if self._csv:
            self._csv.writerow(CSV_COLUMNS)

    def write(self, scored: Scored) -> None:
        """Write one case's line."""
        if self._csv is None:
            self.stream.write(scored.json_line + "\n")
            return
        flag = {True: "yes", False: "no", None: ""}
        self._csv.writerow([
            scored.case_id or "", scored.source, scored.urgency or "", flag[scored.surgical], flag[scored.complete],
            " ".join(scored.fired_rules), scored.error or "",
        ])


def format_for(path: str | None, requested: str | None) -> str:
    """The output format: as requested, else by the output file's extension (.csv or JSON Lines)."""
    if requested:
        return requested
    return "csv" if path and Path(path).suffix.lower() == ".csv" else "jsonl"
