"""The ``triage`` command: thin commands over the library; errors become messages and exit codes in ``common``.

Each command imports what it needs when it runs, so ``triage --help`` and ``triage
--version`` load almost nothing.
"""

from __future__ import annotations

import codecs
import io
import sys

import click

from ..service.commands import fhir, serve
from .assess import assess, check
from .coverage import coverage
from .interview import interview
from .score import score


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="triage", prog_name="triage")
def cli() -> None:
    """Triage back, neck and mid-back symptoms against cited clinical criteria."""


for _command in (assess, check, score, interview, coverage, serve, fhir):
    cli.add_command(_command)


def _json_escape(error: UnicodeError) -> tuple[str, int]:
    """Write a character the output's encoding lacks as ``\\uXXXX`` (a surrogate pair beyond U+FFFF).

    Like ``backslashreplace``, but what it writes is also a valid JSON escape: inside a JSON
    Lines string it reads back as the same character; in text and CSV it shows the code.
    """
    if not isinstance(error, UnicodeEncodeError):
        raise error
    units = error.object[error.start:error.end].encode("utf-16-be", "surrogatepass")
    return "".join(f"\\u{units[i]:02x}{units[i + 1]:02x}" for i in range(0, len(units), 2)), error.end


def _never_fail_on_encoding() -> None:
    """Standard output and error in a terminal or pipe whose encoding cannot hold every character (latin-1,
    ASCII) escape those characters instead of failing with ``UnicodeEncodeError`` halfway through a batch."""
    codecs.register_error("triage-escape", _json_escape)
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper) and stream.errors in ("strict", "surrogateescape"):
            stream.reconfigure(errors="triage-escape")


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``triage`` console script and ``python -m triage``."""
    _never_fail_on_encoding()
    cli.main(args=argv, prog_name="triage")
