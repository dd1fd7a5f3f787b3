"""Writing scored lines as JSON Lines or CSV, to standard output or atomically to a file."""

from __future__ import annotations

import csv
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Iterator, Optional

from .batch import Scored

CSV_COLUMNS = ("case_id", "source", "urgency", "surgical_consultation", "complete", "fired_rules", "error")


@contextmanager
def atomic_output(path: Optional[str | Path]) -> Iterator[IO[str]]:
    """A text stream that replaces ``path`` only when the block ends without error.

    The data goes to a temporary file beside ``path`` and is renamed over it at the end,
    so an interrupt or crash never leaves a half-written file where a good one was.
    ``None`` or ``-`` writes to standard output.
    """
    if path is None or str(path) == "-":
        import sys

        yield sys.stdout
        sys.stdout.flush()
        return
    target = Path(path)
    handle = tempfile.NamedTemporaryFile(
        "w", encoding="utf-8", newline="", dir=target.parent or ".", prefix=f".{target.name}.", suffix=".partial",
        delete=False,
    )
    try:
        with handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(handle.name, target)
    except BaseException:
        Path(handle.name).unlink(missing_ok=True)
        raise


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


def format_for(path: Optional[str], requested: Optional[str]) -> str:
    """The output format: as requested, else by the output file's extension (.csv or JSON Lines)."""
    if requested:
        return requested
    return "csv" if path and Path(path).suffix.lower() == ".csv" else "jsonl"
