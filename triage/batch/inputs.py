"""Many inputs -> one ordered stream of case records, each either raw case data or a located error.

Accepted inputs, mixed freely: case files (``.json``, ``.yaml``, ``.yml``: one case each),
JSON Lines (``.jsonl``, ``.ndjson``: one case per line; ``-`` reads them from standard input),
CSV (``.csv``: a column per field, empty cell = unknown, one case per line: ``csv_input``) and
folders of any of these (recursively, in name order). A case that cannot be read never
stops the stream: it becomes a record carrying its error.
"""

from __future__ import annotations

import stat
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from ..cases import STDIN, case_from_data, case_from_text
from ..errors import CaseError, TriageError
from ..files import CASE_FILE_LIMIT, MiB, SyntaxProblem, TooLarge, decode, read_capped
from ..models import DOMAINS, Case
from ..validation import display_path, quoted, shortened
from .csv_input import bounded_lines, csv_records

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
    size: int = 0  # bytes of input it stands for (the progress bar's measure)


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


class InputNotFound(TriageError):
    """An input path that does not exist or is not a kind of file we read (exit 1, like any unusable input)."""


@dataclass(frozen=True)
class InputFile:
    """One file to read, as found by ``expand``: ``refused`` says why it is not read (a link out of its folder).

    ``stream`` is a pipe (a FIFO, ``<(cmd)``, ``/dev/stdin``): read once, in order, as its
    suffix says, or as JSON Lines when it has none, like standard input.
    """

    path: Path
    refused: str | None = None
    stream: bool = False

    @property
    def is_stdin(self) -> bool:
        """Whether this is standard input (``-``: JSON Lines)."""
        return str(self.path) == STDIN

    @property
    def size(self) -> int | None:
        """The file's size in bytes, None when it has none (standard input, a pipe) or cannot be read."""
        if self.is_stdin or self.refused or self.stream:
            return None
        try:
            info = self.path.stat()
        except OSError:
            return None
        return info.st_size if stat.S_ISREG(info.st_mode) else None


def _not_a_case_file(given: str) -> InputNotFound:
    return InputNotFound(f"{display_path(given)}: not a case file, JSON Lines or CSV file (expected one of "
                         f"{', '.join(ALL_SUFFIXES)}, or - for JSON Lines on standard input)")


#: Where a system names an open file or pipe (``/dev/stdin``, ``<(cmd)`` as ``/dev/fd/63``): no suffix needed.
_DESCRIPTOR_FOLDERS = ("/dev/", "/proc/")


def expand(inputs: Iterable[str]) -> list[InputFile]:
    """The files to read, in order: each input file as given, each folder's case files sorted by path.

    ``-`` is standard input, read as JSON Lines; so is a pipe named as a file (a FIFO,
    ``<(cmd)``, ``/dev/stdin``) unless its name has a suffix. A device or socket is refused.
    Inside a folder a symbolic link to a file or folder outside it (or to nothing) is not
    followed: it becomes an error line naming the link; a link that stays inside the folder is
    followed (its files are read under the link's name, as well as where they are); a link to a
    folder holding it is an error line. A link named on the command line is followed.
    """
    files: list[InputFile] = []
    for given in inputs:
        if given == STDIN:
            files.append(InputFile(Path(STDIN)))
            continue
        path = Path(given)
        try:
            mode = path.stat().st_mode
        except FileNotFoundError:
            raise InputNotFound(f"{display_path(given)}: no such file or folder") from None
        except OSError as exc:
            raise InputNotFound(f"{display_path(given)}: cannot read: {exc.strerror or exc}") from None
        known = path.suffix.lower() in ALL_SUFFIXES
        if stat.S_ISDIR(mode):
            files += _folder_files(path)
        elif stat.S_ISFIFO(mode):
            files.append(InputFile(path, stream=True))
        elif stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
            raise InputNotFound(f"{display_path(given)}: is a device, not a file of cases")
        elif not stat.S_ISREG(mode):
            raise InputNotFound(f"{display_path(given)}: is a socket or other special file, not a file of cases")
        elif known:
            files.append(InputFile(path))
        elif given.startswith(_DESCRIPTOR_FOLDERS):  # /dev/stdin redirected from a file: JSON Lines, like -
            files.append(InputFile(path, stream=True))
        else:
            raise _not_a_case_file(given)
    return files


def _folder_files(folder: Path, root: Path | None = None, chain: frozenset[Path] = frozenset()) -> list[InputFile]:
    """The case files under ``folder`` (of the input folder ``root``), links treated as ``expand`` says."""
    root = root or folder.resolve()
    found = []
    for path in sorted(folder.rglob("*")):  # rglob never descends into a linked folder: _linked_folder does
        if path.is_symlink() and path.is_dir():
            found += _linked_folder(path, root, chain)
            continue
        if path.suffix.lower() not in ALL_SUFFIXES:
            continue
        if path.is_symlink():
            target = path.resolve()
            if not target.exists():
                found.append(InputFile(path, "a symbolic link to nothing (its target does not exist)"))
            elif not target.is_relative_to(root):
                found.append(InputFile(path, "a symbolic link to a file outside the folder: not followed "
                                             "(name the file itself to read it)"))
            elif target.is_file():
                found.append(InputFile(path))
        elif path.is_file():
            found.append(InputFile(path))
    return found


def _linked_folder(link: Path, root: Path, chain: frozenset[Path]) -> list[InputFile]:
    """A symbolic link to a folder inside an input folder, treated like a linked file: followed when it stays
    inside (its files read under the link's name), else one error line naming it; a link that would walk in
    a circle (to a folder holding it, or one already being walked through a link) is an error line too."""
    target = link.resolve()
    if not target.is_relative_to(root):
        return [InputFile(link, "a symbolic link to a folder outside the folder: not followed "
                                "(name the folder itself to read it)")]
    if target in chain or link.parent.resolve().is_relative_to(target):
        return [InputFile(link, "a symbolic link to a folder that holds it: not followed (it would be read "
                                "forever)")]
    return _folder_files(link, root, chain | {target})


def read_records(inputs: Iterable[str]) -> Iterator[Record]:
    """Every case of every input, in input order (see ``expand``)."""
    for item in expand(inputs):
        yield from records_of(item)


def records_of(item: InputFile, base: str | None = None) -> Iterator[Record]:
    """The case records of one input found by ``expand`` (a refused link is one error record).

    A relative path is opened from ``base`` when given (a Dask worker reads what the client
    named) and shown as given.
    """
    if item.is_stdin:
        yield from _json_lines(sys.stdin.buffer, "<stdin>", "stdin")
    elif item.stream and item.path.suffix.lower() not in ALL_SUFFIXES:
        source = display_path(item.path)
        try:
            with item.path.open("rb") as handle:
                yield from _json_lines(handle, source, display_path(item.path.name))
        except OSError as exc:
            yield Record(source, display_path(item.path.name), error=f"cannot read: {exc.strerror or exc}")
    elif item.refused is not None:
        yield Record(display_path(item.path), display_path(item.path.stem), error=item.refused)
    else:
        yield from records_of_file(item.path, base)


def records_of_file(path: Path, base: str | None = None) -> Iterator[Record]:
    """The case records of one file (opened from ``base`` when relative and given); an unreadable file is one error.

    JSON Lines and CSV files are read a line at a time, so their size is not limited by memory.
    Sources and default ids show the file name printable (bytes that are not UTF-8 escaped).
    """
    source, stem, suffix = display_path(path), display_path(path.stem), path.suffix.lower()
    opened = Path(base, path) if base else path
    try:
        if suffix in LINES_SUFFIXES:
            with opened.open("rb") as handle:
                yield from _json_lines(handle, source, stem)
        elif suffix in CSV_SUFFIXES:
            with opened.open("rb") as handle:
                yield from csv_records(handle, source, stem)
        else:
            raw = read_capped(opened)
            yield Record(source, stem, text=decode(raw), suffix=suffix, size=len(raw))
    except TooLarge as exc:
        yield Record(source, stem, error=str(exc))
    except OSError as exc:
        yield Record(source, stem, error=f"cannot read: {exc.strerror or exc}")
    except SyntaxProblem as exc:
        yield Record(source, stem, error=str(exc))


def _json_lines(handle: IO[bytes], source: str, stem: str, first: int = 1, budget: int | None = None
                ) -> Iterator[Record]:
    """The records of JSON Lines, the first numbered ``first``: all of them, or (``budget``) the lines of that many
    bytes from where ``handle`` is, a range; only a whole file without a case is "empty"."""
    seen_any = False
    skipped = 0  # bytes of blank lines, counted with the next case (progress)
    for number, (raw, size, too_long) in enumerate(bounded_lines(handle, CASE_FILE_LIMIT, budget), first):
        if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]
        if not too_long and not raw.strip():
            skipped += size
            continue
        seen_any = True
        where, default_id = f"{source}:{number}", f"{stem}:{number}"
        size, skipped = skipped + size, 0
        if too_long:
            yield Record(where, default_id, error=f"the line is longer than {CASE_FILE_LIMIT // MiB} MiB, the most "
                                                  "triage reads for one case", size=size)
            continue
        try:
            yield Record(where, default_id, text=decode(raw, number), suffix=".jsonl", size=size)
        except SyntaxProblem as exc:  # one badly encoded line costs that line only
            yield Record(where, default_id, error=str(exc), size=size)
    if budget is None and not seen_any:
        yield empty_file(source, stem, skipped)


def empty_file(source: str, stem: str, size: int = 0) -> Record:
    """The record of a JSON Lines file without a case."""
    return Record(source, stem, error="the file is empty", size=size)


def range_records(path: Path, kind: str, start: int, end: int, first_line: int, base: str | None = None
                  ) -> Iterator[Record]:
    """The records of the lines of a JSON Lines (``kind`` "lines") or CSV file from byte ``start`` to ``end``.

    ``start`` and ``end`` fall at line starts and ``first_line`` is the number of the line at
    ``start``, so each record is located (``file:LINE``, ``file:row N``) as when the whole file
    is read; a CSV range reads the header row first. No range is told "the file is empty".
    The file is opened as ``records_of_file`` opens it.
    """
    source, stem = display_path(path), display_path(path.stem)
    try:
        with Path(base, path).open("rb") if base else path.open("rb") as handle:
            if kind == "csv":
                yield from csv_records(handle, source, stem, start, end, first_line)
                return
            handle.seek(start)
            yield from _json_lines(handle, source, stem, first_line, budget=end - start)
    except OSError as exc:
        yield Record(source, stem, error=f"cannot read: {exc.strerror or exc}")


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
        shown = shortened(name)
        domain = DOMAINS.get(name)
        kind = domain.kind if domain else ("flag" if name in ("expected_surgical", "expected_complete") else "")
        if kind in ("yes_no", "flag"):
            lowered = cell.lower()
            if lowered in YES or lowered in NO:
                data[name] = lowered in YES
            else:
                problems.append(f"field '{shown}': expected yes/no (yes, no, true, false, y, n, 1 or 0), "
                                f"got {quoted(cell)}")
        elif kind == "integer":
            try:
                data[name] = int(cell)
            except ValueError:
                problems.append(f"field '{shown}': expected a whole number, got {quoted(cell)}")
        elif name in ("expected_rules", "expected_unanswered"):  # lists: names separated by spaces or ;
            data[name] = [part for part in cell.replace(";", " ").split() if part]
        else:
            data[name] = cell
    return data, problems
