"""Many inputs -> one ordered stream of case records, each either raw case data or a located error.

Accepted inputs, mixed freely: case files (``.json``, ``.yaml``, ``.yml``: one case each),
JSON Lines (``.jsonl``, ``.ndjson``: one case per line), CSV (``.csv``: a column per field,
empty cell = unknown) and folders of any of these (recursively, in name order). A case
that cannot be read never stops the stream: it becomes a record carrying its error.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..cases import case_from_data, case_from_text
from ..errors import CaseError
from ..files import SyntaxProblem, decode
from ..models import DOMAINS, Case

CASE_FILE_SUFFIXES = (".json", ".yaml", ".yml")
LINES_SUFFIXES = (".jsonl", ".ndjson")
CSV_SUFFIXES = (".csv",)
ALL_SUFFIXES = CASE_FILE_SUFFIXES + LINES_SUFFIXES + CSV_SUFFIXES

YES = frozenset({"yes", "true", "y", "1"})
NO = frozenset({"no", "false", "n", "0"})


@dataclass(frozen=True)
class Record:
    """One case as found in its source, not yet parsed: parsing happens where it is scored (``to_case``).

    Exactly one of ``text`` (a case file's text or one JSON line, parsed by ``suffix``),
    ``row`` (a CSV row by column name) and ``error`` (why it could not even be read) is set;
    ``suffix`` is ``.jsonl`` for one line of a JSON Lines file.
    """

    source: str  # where it came from: a file, "file:line" or "file:row N"
    default_id: str  # the case id when the data carries none
    text: str | None = None
    suffix: str = ""
    row: dict[str, str] | None = None
    error: str | None = None


def to_case(record: Record) -> Case:
    """Parse and validate one record; raises ``CaseError`` listing every problem, located by ``record.source``."""
    if record.error is not None:
        raise CaseError(f"{record.source}: cannot read this case", [record.error], case_id=record.default_id)
    if record.row is not None:
        data, problems = csv_row_to_data(record.row)
        try:
            case = case_from_data(data, record.source, record.default_id)
        except CaseError as exc:
            problems += exc.problems
            case = None
        if problems:
            case_id = data["id"] if isinstance(data.get("id"), str) else record.default_id
            noun = "problem" if len(problems) == 1 else "problems"
            raise CaseError(f"{record.source}: {len(problems)} {noun} in this case", problems, case_id=case_id)
        return case  # type: ignore[return-value]
    if record.suffix != ".jsonl":
        return case_from_text(record.text or "", record.source, record.suffix, record.default_id)
    try:
        return case_from_text(record.text or "", record.source, ".json", record.default_id)
    except CaseError as exc:  # the source already names the line: keep only the column
        exc.problems = [p.replace(": line 1, column ", ": column ") for p in exc.problems]
        raise


class InputNotFound(ValueError):
    """An input path that does not exist or is not a kind of file we read (a usage problem)."""


def expand(inputs: Iterable[str]) -> list[Path]:
    """The files to read, in order: each input file as given, each folder's case files sorted by path."""
    files: list[Path] = []
    for given in inputs:
        path = Path(given)
        if path.is_dir():
            files += sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in ALL_SUFFIXES)
        elif path.is_file():
            if path.suffix.lower() not in ALL_SUFFIXES:
                raise InputNotFound(f"{given}: not a case file, JSON Lines or CSV file "
                                    f"(expected one of {', '.join(ALL_SUFFIXES)})")
            files.append(path)
        else:
            raise InputNotFound(f"{given}: no such file or folder")
    return files


def read_records(inputs: Iterable[str]) -> Iterator[Record]:
    """Every case of every input, in input order (see ``expand``)."""
    for path in expand(inputs):
        yield from records_of_file(path)


def records_of_file(path: Path) -> Iterator[Record]:
    """The case records of one file; an unreadable file is one error record.

    JSON Lines and CSV files are read a line at a time, so their size is not limited by memory.
    """
    source, suffix = str(path), path.suffix.lower()
    try:
        if suffix in LINES_SUFFIXES:
            yield from _json_lines(path, source, path.stem)
        elif suffix in CSV_SUFFIXES:
            yield from _csv_rows(path, source, path.stem)
        else:
            yield Record(source, path.stem, text=decode(path.read_bytes()), suffix=suffix)
    except OSError as exc:
        yield Record(source, path.stem, error=f"cannot read: {exc.strerror or exc}")
    except SyntaxProblem as exc:
        yield Record(source, path.stem, error=str(exc))


def _json_lines(path: Path, source: str, stem: str) -> Iterator[Record]:
    seen_any = False
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, 1):
            if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
            if not raw.strip():
                continue
            seen_any = True
            where, default_id = f"{source}:{number}", f"{stem}:{number}"
            try:
                yield Record(where, default_id, text=decode(raw.rstrip(b"\r\n")), suffix=".jsonl")
            except SyntaxProblem as exc:  # one badly encoded line costs that line only
                yield Record(where, default_id, error=str(exc))
    if not seen_any:
        yield Record(source, stem, error="the file is empty")


def _csv_rows(path: Path, source: str, stem: str) -> Iterator[Record]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        number = 1
        try:
            header = next(reader, None)
        except (csv.Error, UnicodeDecodeError) as exc:
            yield Record(source, stem, error=f"not valid CSV: {exc}")
            return
        if not header or not any(cell.strip() for cell in header):
            yield Record(source, stem, error="the file is empty (a CSV file needs a header row of field names)")
            return
        columns = [cell.strip() for cell in header]
        while True:
            number += 1
            where, default_id = f"{source}:row {number}", f"{stem}:row {number}"
            try:
                row = next(reader)
            except StopIteration:
                return
            except UnicodeDecodeError as exc:  # the decoder cannot resynchronise: the rest is unreadable
                yield Record(where, default_id, error=f"not UTF-8 text from here on ({exc.reason})")
                return
            except csv.Error as exc:
                yield Record(where, default_id, error=f"not valid CSV: {exc}")
                continue
            if not any(cell.strip() for cell in row):
                continue
            if len(row) != len(columns):
                yield Record(where, default_id, error=f"the row has {len(row)} cells but the header has {len(columns)}")
            else:
                yield Record(where, default_id, row=dict(zip(columns, row, strict=True)))


def csv_row_to_data(row: dict[str, str]) -> tuple[dict[str, Any], list[str]]:
    """One CSV row as case data: empty cells are unknown, yes/no spellings and numbers converted.

    Returns the data and the problems found in conversion; unknown columns are passed on
    so that case validation names them (with a suggestion).
    """
    data: dict[str, Any] = {}
    problems: list[str] = []
    for name, raw in row.items():
        cell = raw.strip()
        if cell == "":
            continue
        domain = DOMAINS.get(name)
        kind = domain.kind if domain else ("flag" if name == "expected_surgical" else "")
        if kind in ("yes_no", "flag"):
            lowered = cell.lower()
            if lowered in YES or lowered in NO:
                data[name] = lowered in YES
            else:
                problems.append(f"field '{name}': expected yes/no (yes, no, true, false, y, n, 1 or 0), got {cell!r}")
        elif kind == "integer":
            try:
                data[name] = int(cell)
            except ValueError:
                problems.append(f"field '{name}': expected a whole number, got {cell!r}")
        elif name == "expected_rules":
            data[name] = [part for part in cell.replace(";", " ").split() if part]
        else:
            data[name] = cell
    return data, problems
