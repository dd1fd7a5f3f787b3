"""What every triage command shares: the --rules option, and the one place errors become exit codes.

Exit codes: 0 done; 1 bad input or a failed check; 2 usage; 3 internal error; 130 interrupted.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal

import click

from ..errors import TriageError

if TYPE_CHECKING:  # the command line imports only what a command needs, when it runs (triage --help: click)
    from pathlib import Path


def expand_inputs(inputs: tuple[str, ...]) -> list[Path]:
    """The case files named by the inputs (folders walked once); an input that is not there is a usage error."""
    from ..batch.inputs import InputNotFound, expand

    try:
        return expand(inputs)
    except InputNotFound as exc:
        raise click.UsageError(str(exc)) from None


RULES_OPTION = click.option(
    "--rules", "rules_dir", type=click.Path(file_okay=False), default=None,
    help="Folder of rule files (default: the bundled rules).",
)


#: The views of the text output (``triage.assess.render.VIEWS``; the CLI does not import it to start fast).
View = Literal["person", "clinician"]
VIEW_OPTION = click.option(
    "--for", "view", type=click.Choice(["person", "clinician"]), default="person", show_default=True,
    help="person: plain words; clinician: adds criterion and rule ids, field names and full sources.",
)

ENGINE_OPTION = click.option(
    "--engine", type=click.Choice(["durable", "python"]), default="durable", show_default=True,
    help="Rule engine: durable_rules, or the rule base compiled to Python (same results, faster).",
)


def run_command(action: Callable[[], Any]) -> None:
    """Run a command's work; report triage errors, interrupts and bugs with their exit codes."""
    try:
        action()
    except TriageError as exc:
        click.echo(f"triage: error: {exc}", err=True)
        if exc.exit_code == 3:
            click.echo("This is a bug in triage; please report it with the case that caused it.", err=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        click.echo("triage: interrupted", err=True)
        sys.exit(130)
    except Exception as exc:  # noqa: BLE001 - the one place that turns a bug into exit 3
        click.echo(f"triage: internal error: {type(exc).__name__}: {exc}", err=True)
        click.echo("This is a bug in triage; please report it with the command and input that caused it.", err=True)
        sys.exit(3)
