"""The ``triage coverage`` command: which rules, conditions, levels and findings a corpus of cases reaches."""

from __future__ import annotations

import sys
from contextlib import ExitStack
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from ..engines import EngineName

from .common import ENGINE_OPTION, RULES_OPTION, expand_inputs, run_command, shown


@click.command()
@click.argument("cases", nargs=-1, required=True, metavar="CASES...")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON instead of a table.")
@click.option("--junit", "junit_file", default=None, metavar="FILE",
              help="Also write JUnit XML: a test case per rule, failed when no case fired it.")
@click.option("--cobertura", "cobertura_file", default=None, metavar="FILE",
              help="Also write Cobertura XML: a line per rule, hit by the cases that fired it.")
@click.option("--fail-under", type=click.FloatRange(0, 100), default=None, metavar="PERCENT",
              help="Exit 1 when fewer than PERCENT of the rules fired, naming those never fired.")
@RULES_OPTION
@ENGINE_OPTION
def coverage(cases: tuple[str, ...], as_json: bool, junit_file: str | None, cobertura_file: str | None,
             fail_under: float | None, rules_dir: str | None, engine: EngineName) -> None:
    """Score cases (anything triage score reads) and report the rules, conditions, levels and findings they reach.

    Exit 0 when done, 1 when rule coverage is under --fail-under or some case could not be scored.
    """
    if junit_file and cobertura_file and _same_file(junit_file, cobertura_file):
        raise click.UsageError(f"--junit and --cobertura name the same file ({shown(junit_file)}): one report "
                               "would replace the other; name two files")

    def action() -> None:
        import json

        from ..batch.outputs import json_safe
        from ..coverage.measure import measure
        from ..coverage.report import render_cobertura, render_json, render_junit, render_text
        from ..files import atomic_output, output_lock

        with ExitStack() as locks:
            outputs = [(path, render) for path, render in ((junit_file, render_junit),
                                                            (cobertura_file, render_cobertura)) if path]
            for path, _ in outputs:  # an output that cannot be written is said before any case is scored
                locks.enter_context(output_lock(path))
            expand_inputs(cases)
            report = measure(cases, rules_dir, engine)
            if as_json:
                click.echo(json_safe(json.dumps(render_json(report), indent=2, ensure_ascii=False)))
            else:
                click.echo(shown(render_text(report)), nl=False)
            for path, render in outputs:
                with atomic_output(path) as stream:
                    stream.write(render(report))
        failed = False
        if report.errors:
            click.echo(f"triage: {len(report.errors)} case(s) could not be scored", err=True)
            failed = True
        if fail_under is not None and report.percent < fail_under:
            fired = len(report.rules) - len(report.never_fired)
            click.echo(f"triage: rule coverage {fired} of {len(report.rules)} rules ({report.percent:.1f}%) is under "
                       f"--fail-under {fail_under:g}%; never fired: {', '.join(report.never_fired)}", err=True)
            failed = True
        if failed:
            sys.exit(1)

    run_command(action)


def _same_file(first: str, second: str) -> bool:
    """Whether two output paths are one file (by any link to it); a device such as /dev/null may take both."""
    import os
    import stat

    try:
        if stat.S_ISCHR(os.stat(first).st_mode):
            return False
    except OSError:
        pass
    return os.path.realpath(first) == os.path.realpath(second)
