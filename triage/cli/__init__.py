"""The ``triage`` command: thin commands over the library; errors become messages and exit codes in ``common``.

Each command imports what it needs when it runs, so ``triage --help`` and ``triage
--version`` load almost nothing.
"""

from __future__ import annotations

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


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``triage`` console script and ``python -m triage``."""
    cli.main(args=argv, prog_name="triage")
