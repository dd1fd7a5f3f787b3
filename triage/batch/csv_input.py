"""CSV case files read one line at a time: each line is one case, and a broken line costs that line only.

A triage CSV has a header row of field names and one case per line; a cell never holds a
line break. So each line is decoded and parsed on its own: a byte that is not UTF-8, an
unbalanced quote (an odd number of ``"`` on the line: a quoted cell opened, or closed, on
another line) or a wrong number of cells makes that row an error naming its row, and
reading goes on at the next line (a quote left open never swallows the rows after it).
A header naming a column twice makes every row an error naming the column, as JSON and
YAML refuse a key given twice.
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Iterator
from typing import IO, TYPE_CHECKING

from ..files import SyntaxProblem, decode
from ..validation import shortened

if TYPE_CHECKING:
    from .inputs import Record

#: The longest line read as a row; a longer one is an error of its row, skipped without being held in memory.
MAX_LINE_BYTES = 1 << 20

csv.field_size_limit(MAX_LINE_BYTES)  # a cell is bounded by its line, which is bounded here


def bounded_lines(handle: IO[bytes], limit: int = MAX_LINE_BYTES, budget: int | None = None
                  ) -> Iterator[tuple[bytes, int, bool]]:
    """Each line (without its ending), the bytes it took, and whether it was longer than ``limit`` to keep.

    A longer line is skipped without being held in memory (``/dev/zero`` is one endless line).
    With ``budget``, only the lines until that many bytes are read (a range of lines).
    """
    while budget is None or budget > 0:
        line = handle.readline(limit + 1)
        if not line:
            return
        size = len(line)
        if len(line) > limit and not line.endswith(b"\n"):
            while (rest := handle.readline(limit)) and not rest.endswith(b"\n"):
                size += len(rest)
            size += len(rest)
            budget = None if budget is None else budget - size
            yield b"", size, True
            continue
        budget = None if budget is None else budget - size
        yield line.rstrip(b"\n").removesuffix(b"\r"), size, False


def _cells(text: str) -> list[str]:
    """The cells of one CSV line; raises ``csv.Error`` on an unbalanced quote."""
    try:
        return next(csv.reader([text], strict=True))
    except StopIteration:
        return []


def csv_records(handle: IO[bytes], source: str, stem: str, start: int = 0, end: int | None = None,
                first_line: int = 2) -> Iterator[Record]:
    """The records of a CSV file, one per line after the header that has a non-blank cell (``file:row N``).

    With ``start`` and ``end`` (byte offsets of line starts; ``first_line`` numbers the line at
    ``start``), only the rows of that range, after reading the header row; a problem of the
    header itself is told by the range that starts the file.
    """
    from .inputs import Record

    lines = bounded_lines(handle, budget=end)
    first = next(lines, None)
    header = _header(first, source, stem)
    if not isinstance(header, tuple):
        if not start:
            yield header
        return
    columns, header_problem = header
    skipped = 0  # bytes of blank lines (and the header), counted with the next case (progress)
    if start:
        handle.seek(start)
        lines = bounded_lines(handle, budget=None if end is None else end - start)
    else:
        skipped, first_line = first[1] if first else 0, 2
    for number, (raw, size, too_long) in enumerate(lines, first_line):
        skipped += size
        if not too_long and not raw.replace(b",", b"").strip():
            continue
        where, default_id = f"{source}:row {number}", f"{stem}:row {number}"
        record_size, skipped = skipped, 0
        if too_long:
            yield Record(where, default_id, error=f"the line is longer than {MAX_LINE_BYTES:,} bytes "
                                                  "(a case's row is far shorter)", size=record_size)
            continue
        try:
            if raw.count(b'"') % 2:  # a quoted cell opened or closed on another line (a cell holds one line)
                raise csv.Error("unexpected end of data")
            row = _cells(decode(raw, number))
        except (SyntaxProblem, csv.Error) as exc:
            yield Record(where, default_id, error=_reason(exc), size=record_size)
            continue
        if header_problem:
            yield Record(where, default_id, error=header_problem, size=record_size)
        elif len(row) != len(columns):
            yield Record(where, default_id, error=f"the row has {len(row)} cells but the header has {len(columns)}",
                         size=record_size)
        else:
            yield Record(where, default_id, row=dict(zip(columns, row, strict=True)), size=record_size)


def _header(first: tuple[bytes, int, bool] | None, source: str, stem: str) -> Record | tuple[list[str], str | None]:
    """The columns of the header line and the problem every row then has; or the record of why it cannot be used."""
    from .inputs import Record

    if first is None or first[2]:
        reason = "the file is empty (a CSV file needs a header row of field names)" if first is None else \
            f"the header row is longer than {MAX_LINE_BYTES:,} bytes"
        return Record(source, stem, error=reason, size=first[1] if first else 0)
    raw_header, header_size, _ = first
    try:
        header = _cells(decode(raw_header, 1))
    except (SyntaxProblem, csv.Error) as exc:
        return Record(source, stem, error=f"the header row (row 1) cannot be read: {_reason(exc)}", size=header_size)
    if not any(cell.strip() for cell in header):
        return Record(source, stem, error="the file is empty (a CSV file needs a header row of field names)",
                      size=header_size)
    columns = [cell.strip() for cell in header]
    twice = [name for name, count in Counter(columns).items() if count > 1]
    header_problem = "; ".join(f"column '{shortened(name)}': named twice in the header row (a field is given "
                               "once)" for name in twice[:20]) or None
    return columns, header_problem


def _reason(exc: Exception) -> str:
    """Why a line cannot be read, in plain words (the csv module's messages assume a programmer)."""
    text = str(exc)
    if isinstance(exc, SyntaxProblem):
        return text
    if "end of data" in text:
        return ('not valid CSV: an unbalanced quote (") in this row: a quoted cell opens and closes on one line '
                "(a cell cannot hold a line break)")
    if "expected after" in text:
        return 'not valid CSV: a quote (") inside a quoted cell must be written twice ("")'
    if "new-line" in text:
        return "not valid CSV: a line break (carriage return) inside a cell: a cell holds one line"
    return f"not valid CSV: {text}"
