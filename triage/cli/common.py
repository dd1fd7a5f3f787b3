"""What every triage command shares: the --rules option, and the one place errors become exit codes.

Exit codes, one meaning each: 0 done; 1 the input, the rules or the environment cannot be
used (a missing or unreadable file, a bad case, a failed check or gate, an output that
cannot be written or is in use, a missing optional package, an unreachable scheduler), or
some cases could not be scored; 2 the command line itself is malformed (click's usage
errors); 3 a bug in triage; 130 interrupted (Ctrl-C, SIGINT); 143 stopped by SIGTERM; 129 the
terminal went away (SIGHUP); 131 quit (Ctrl-\\, SIGQUIT); 141 the reader of the output went
away (a closed pipe, as a shell reports SIGPIPE).
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal

import click

from ..errors import Terminated, TriageError

if TYPE_CHECKING:  # the command line imports only what a command needs, when it runs (triage --help: click)
    from ..batch.inputs import InputFile
    from ..language.rulebook import RuleBase


def expand_inputs(inputs: tuple[str, ...]) -> list[InputFile]:
    """The case files named by the inputs (folders walked once); one that is not there is an error (exit 1)."""
    from ..batch.inputs import expand

    return expand(inputs)


RULES_OPTION = click.option(
    "--rules", "rules_dir", type=click.Path(file_okay=False), default=None, envvar="TRIAGE_RULES", show_envvar=True,
    help="Folder of rule files (default: $TRIAGE_RULES if set, else the bundled rules).",
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


def rules_label(rulebase: RuleBase) -> str:
    """Which rule base a run used, for its output: version, hash and folder."""
    from ..validation import display_path

    where = display_path(rulebase.location) if rulebase.location else "(made in memory)"
    return f"Rule base: {where} (rules {rulebase.version}, sha256 {rulebase.content_hash[:12]})"


def shown(text: str) -> str:
    """Text for the terminal with every control character escaped, line breaks kept (a last guard)."""
    from ..validation import printable

    return "\n".join(printable(line) for line in text.split("\n"))


def _terminate(signum: int, frame: Any) -> None:
    raise Terminated(signum, signal.Signals(signum).name)


#: Signals that stop a command like Ctrl-C does, each exiting 128 + its number: ``kill``, a closed terminal or
#: dropped ssh connection, Ctrl-\.
STOPPING_SIGNALS = (signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT)


def run_command(action: Callable[[], Any]) -> None:
    """Run a command's work; report triage errors, interrupts and bugs with their exit codes.

    SIGTERM, SIGHUP and SIGQUIT are handled like Ctrl-C (files cleaned up, worker processes
    stopped), then exit 143, 129 or 131. A signal ignored when triage started (``nohup``)
    stays ignored.
    """
    previous = {number: signal.getsignal(number) for number in STOPPING_SIGNALS}
    for number, handler in previous.items():
        if handler is not signal.SIG_IGN:
            signal.signal(number, _terminate)
    try:
        action()
    except TriageError as exc:
        click.echo(f"triage: error: {shown(str(exc))}", err=True)
        if exc.exit_code == 3:
            click.echo("This is a bug in triage; please report it with the case that caused it.", err=True)
        sys.exit(exc.exit_code)
    except BrokenPipeError:  # the reader of the output went away (| head): nothing left to say to it
        with contextlib.suppress(OSError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no error at exit flushing stdout
        sys.exit(141)  # as a shell reports a program stopped by SIGPIPE
    except KeyboardInterrupt as exc:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C while leaving must not print a traceback
        for number in STOPPING_SIGNALS:
            signal.signal(number, signal.SIG_IGN)
        if isinstance(exc, Terminated):
            with contextlib.suppress(OSError):  # after SIGHUP the terminal may be gone
                click.echo(f"triage: stopped ({exc.name})", err=True)
            sys.exit(exc.exit_code)
        click.echo("triage: interrupted", err=True)
        sys.exit(130)
    except Exception as exc:  # noqa: BLE001 - the one place that turns a bug into exit 3
        click.echo(f"triage: internal error: {type(exc).__name__}: {shown(str(exc))}", err=True)
        click.echo("This is a bug in triage; please report it with the command and input that caused it.", err=True)
        sys.exit(3)
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
