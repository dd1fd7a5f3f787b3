"""Writing scored lines as JSON Lines or CSV (to a stream: ``files.atomic_output`` makes the file).

Nothing of a case's reaches the output raw that a terminal or a spreadsheet would act on:
JSON Lines escapes every control character (C1 and DEL too, which JSON allows raw) and any
lone surrogate; a CSV cell shows control characters as escapes (``\\x1b``), keeps a line
break inside its quoted cell, and a cell a spreadsheet would run as a formula (starting
with ``= + - @``, tab or carriage return) is written with a leading single quote, as OWASP
advises against CSV injection.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import IO

from .scoring import Scored

CSV_COLUMNS = ("case_id", "source", "urgency", "surgical_consultation", "complete", "fired_rules", "error")

#: What JSON may carry raw but a terminal would act on (C1, DEL), what cannot be encoded (lone
#: surrogates), and the line separators JavaScript reads as line ends.
_JSON_UNSAFE = re.compile("[\x7f-\x9f\ud800-\udfff\u2028\u2029]")
#: Control characters of a CSV cell (all but tab, line feed and carriage return, which a quoted
#: cell holds), lone surrogates and bidi overrides.
_CSV_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\u202a-\u202e\u2066-\u2069]")
#: How a cell a spreadsheet would read as a formula starts (OWASP, "CSV Injection").
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NEEDS_QUOTES = re.compile('[,"\r\n]')


def json_safe(line: str) -> str:
    """A JSON text with C1 controls, DEL, lone surrogates and line separators written as ``\\uXXXX`` escapes."""
    if line.isascii() and "\x7f" not in line:
        return line
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", line)


def csv_cell(text: str) -> str:
    """One CSV cell: control characters escaped, a formula-like start neutralised by a quote, quoted if needed."""
    if not text.isprintable():
        text = _CSV_UNSAFE.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100
                               else f"\\u{ord(m.group()):04x}", text)
    if text.startswith(FORMULA_START):
        text = "'" + text
    if _NEEDS_QUOTES.search(text):
        return '"' + text.replace('"', '""') + '"'
    return text


class LineWriter:
    """Writes scored cases in one format (``jsonl`` or ``csv``) to a stream, a CSV file's header row first.

    A part of an output (``jobs``) is written with ``header=False``: the whole output has one header.
    """

    def __init__(self, stream: IO[str], output_format: str, header: bool = True):
        self.stream = stream
        self.format = output_format
        if output_format == "csv" and header:
            self._row(CSV_COLUMNS)

    def _row(self, cells: tuple[str, ...] | list[str]) -> None:
        self.stream.write(",".join(csv_cell(cell) for cell in cells) + "\n")

    def write(self, scored: Scored) -> None:
        """Write one case's line."""
        if self.format != "csv":
            self.stream.write(json_safe(scored.json_line) + "\n")
            return
        flag = {True: "yes", False: "no", None: ""}
        self._row([
            scored.case_id or "", scored.source, scored.urgency or "", flag[scored.surgical], flag[scored.complete],
            " ".join(scored.fired_rules), scored.error or "",
        ])


def format_for(path: str | None, requested: str | None) -> str:
    """The output format: as requested, else by the output file's extension (.csv or JSON Lines)."""
    if requested:
        return requested
    return "csv" if path and Path(path).suffix.lower() == ".csv" else "jsonl"
