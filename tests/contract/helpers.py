"""Shared helpers of the contract tests: run ``triage`` as a subprocess, measure it, and judge its output.

Nothing here imports ``triage``: the tests see the command as a user or an integrator does
(exit code, standard output, standard error, files), so they survive the refactor of issue 9.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import re
import resource
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
# The bundled data (tests/conftest.py names the same; the contract tests import nothing from triage).
RULES_DIR = ROOT / "triage" / "data" / "rules"
TRIAGE: tuple[str, ...] = (sys.executable, "-m", "triage")

TRACEBACK = b"Traceback (most recent call last)"
#: Raw control characters that a terminal may act on: C0 except tab, line feed and carriage
#: return, DEL, and C1 (U+0080-U+009F, two bytes in UTF-8). ESC (0x1b) and BEL (0x07) among them.
RAW_CONTROL = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]|\xc2[\x80-\x9f]")
#: Cells a spreadsheet reads as a formula start with one of these (OWASP, "CSV Injection").
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
#: An error line (or a message) longer than this echoes far too much of the input.
MAX_ERROR_LINE = 64 * 1024


def child_env(**extra: str) -> dict[str, str]:
    """The environment of a triage subprocess: ours without TRIAGE_* settings, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRIAGE_") and k != "PYTHONWARNINGS"}
    env.update(extra)
    return env


@dataclass
class Run:
    """One finished triage run: exit code (negative: killed by that signal), output bytes, time and peak memory."""

    argv: list[str]
    returncode: int
    stdout: bytes
    stderr: bytes
    seconds: float
    max_rss_mb: float
    timed_out: bool

    @property
    def out(self) -> str:
        """Standard output as text (undecodable bytes replaced)."""
        return self.stdout.decode("utf-8", "replace")

    @property
    def err(self) -> str:
        """Standard error as text (undecodable bytes replaced)."""
        return self.stderr.decode("utf-8", "replace")

    def describe(self) -> str:
        """A short account for assertion messages."""
        status = "timed out" if self.timed_out else f"exit {self.returncode}"
        shown = ["triage", *self.argv[3:]] if tuple(self.argv[:3]) == TRIAGE else self.argv
        return (f"{' '.join(shown)[:300]} -> {status} after {self.seconds:.1f} s, "
                f"{self.max_rss_mb:.0f} MB; stderr: {self.err[-800:]!r}")


def _drain(stream: IO[bytes], into: bytearray) -> None:
    for chunk in iter(lambda: stream.read(65536), b""):
        into.extend(chunk)


def _feed(stream: IO[bytes], data: bytes) -> None:
    try:
        stream.write(data)
    except BrokenPipeError:
        pass
    finally:
        with contextlib.suppress(BrokenPipeError):
            stream.close()


def kill_group(pgid: int) -> None:
    """Kill every process left in a run's process group (its worker processes, too)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


def preexec(memory_limit_mb: int | None = None, umask: int | None = None,
            then: Callable[[], None] | None = None) -> Callable[[], None]:
    """What a triage child does before exec: Ctrl-C at its default, optional address-space limit and umask."""

    def setup() -> None:
        signal.signal(signal.SIGINT, signal.SIG_DFL)  # a test runner started in the background ignores SIGINT
        if memory_limit_mb is not None:
            limit = memory_limit_mb * 1024 * 1024
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        if umask is not None:
            os.umask(umask)
        if then is not None:
            then()

    return setup


def run_triage(args: Sequence[str | os.PathLike[str] | bytes], *, timeout: float = 60, stdin: bytes | None = None,
               cwd: str | os.PathLike[str] | None = None, env: dict[str, str] | None = None,
               memory_limit_mb: int | None = None, umask: int | None = None,
               command: Sequence[str] = TRIAGE, then: Callable[[], None] | None = None) -> Run:
    """Run ``triage ARGS`` in its own process group; kill the group after ``timeout`` seconds.

    Returns the exit code, both outputs, the wall time and the peak resident memory of the
    main process (from ``wait4``). Worker processes left behind are killed.
    """
    argv = [*command, *(os.fsdecode(a) if isinstance(a, bytes) else os.fspath(a) for a in args)]
    raw_argv = [*command, *(a if isinstance(a, bytes) else os.fspath(a) for a in args)]
    start = time.monotonic()
    proc = subprocess.Popen(raw_argv, stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=cwd, env=env or child_env(),
                            start_new_session=True, preexec_fn=preexec(memory_limit_mb, umask, then))
    out, err = bytearray(), bytearray()
    assert proc.stdout is not None and proc.stderr is not None
    threads = [threading.Thread(target=_drain, args=(proc.stdout, out), daemon=True),
               threading.Thread(target=_drain, args=(proc.stderr, err), daemon=True)]
    if stdin is not None:
        assert proc.stdin is not None
        threads.append(threading.Thread(target=_feed, args=(proc.stdin, stdin), daemon=True))
    for thread in threads:
        thread.start()
    fired = threading.Event()

    def on_timeout() -> None:
        fired.set()
        kill_group(proc.pid)

    timer = threading.Timer(timeout, on_timeout)
    timer.start()
    try:
        _, status, usage = os.wait4(proc.pid, 0)
    finally:
        timer.cancel()
    seconds = time.monotonic() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    kill_group(proc.pid)
    for thread in threads:
        thread.join(10)
    for stream in (proc.stdout, proc.stderr, proc.stdin):
        if stream is not None and not stream.closed:
            stream.close()
    return Run(argv, proc.returncode, bytes(out), bytes(err), seconds, usage.ru_maxrss / 1024, fired.is_set())


def start_triage(args: Sequence[str | os.PathLike[str]], *, cwd: str | os.PathLike[str] | None = None,
                 env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    """Start ``triage ARGS`` in a new process group (as a terminal's foreground job is), stderr captured."""
    return subprocess.Popen([*TRIAGE, *(os.fspath(a) for a in args)], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, cwd=cwd, env=env or child_env(), start_new_session=True,
                            preexec_fn=preexec())


def group_alive(pgid: int) -> bool:
    """Whether a process of the group is still running (zombies waiting to be reaped do not count)."""
    proc = Path("/proc")
    if not proc.is_dir():
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return False
        return True
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":  # fields after the name: state, ppid, pgrp, ...
            return True
    return False


def internal_error_signs(run: Run) -> list[str]:
    """What marks a run as having failed on a bug rather than a user mistake."""
    signs = []
    if run.timed_out:
        signs.append(f"did not finish in time ({run.seconds:.0f} s)")
    if run.returncode == 3:
        signs.append("exit 3 (internal error)")
    if run.returncode < 0:
        signs.append(f"killed by signal {-run.returncode}")
    if TRACEBACK in run.stderr or TRACEBACK in run.stdout:
        signs.append("a Python traceback")
    if b"internal error" in run.stderr:
        signs.append("'internal error' on stderr")
    return signs


# --- judging error messages ----------------------------------------------------------------

#: A reason names its place when it names a field, key or column, or a line, row, column or position.
LOCATION = re.compile(r"\bfield '|\bkey '|\bcolumn '|\bline \d|\brow \d|\bcolumn \d|\bposition \d")
#: Reasons about a whole file, located by the file name alone.
WHOLE_FILE = ("the file is empty", "not a text file", "a case is a mapping", "symbolic link")
#: Words of the implementation that tell a user nothing.
JARGON = ("<unicode string>", "Traceback", "internal error")
LINE_SOURCE = re.compile(r":(?:row )?\d+$")


def problems_of(error: str) -> list[str]:
    """The separate reasons of one error line."""
    return [part for part in error.split("; ") if part.strip()]


def unlocated(source: str, problem: str) -> str | None:
    """Why a reason does not say where the problem is (None when it does).

    A reason is located when it names a field (or key or CSV column) or a line, row, column
    or position; or when its source already names the line or row (JSON Lines, CSV); or
    when it is about the whole file (empty, not text, not a mapping).
    """
    for word in JARGON:
        if word in problem:
            return f"jargon {word!r}"
    if LOCATION.search(problem) or LINE_SOURCE.search(source) or any(w in problem for w in WHOLE_FILE):
        return None
    return "names no field, line or position"


def error_record_defects(record: dict[str, Any], folder: str) -> list[str]:
    """What an error line of ``triage score`` fails to say: the file, the case, and for each reason where."""
    defects = []
    source, case_id, error = record.get("source"), record.get("case_id"), record.get("error")
    if not isinstance(source, str) or not source.startswith(folder) or len(source) <= len(folder):
        defects.append(f"source {source!r} does not name a file of {folder}")
    if not isinstance(case_id, str) or not case_id.strip():
        defects.append(f"case_id {case_id!r} names no case")
    if not isinstance(error, str) or not error.strip():
        defects.append("no reason given")
        return defects
    for problem in problems_of(error):
        why = unlocated(str(source), problem)
        if why:
            defects.append(f"reason {problem[:160]!r}: {why}")
    return defects


# --- reading triage output -------------------------------------------------------------------

def strict_text(data: bytes, what: str, defects: list[str]) -> str:
    """Output bytes as UTF-8 text; invalid UTF-8 is a defect (and is replaced to go on checking)."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        defects.append(f"{what} is not valid UTF-8 ({exc})")
        return data.decode("utf-8", "replace")


def jsonl_records(text: str, defects: list[str]) -> list[dict[str, Any]]:
    """The records of JSON Lines output, one per line; a line that is not a JSON object is a defect."""
    records = []
    for number, line in enumerate(text.split("\n")[:-1] if text.endswith("\n") else text.split("\n"), 1):
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            defects.append(f"output line {number} is not JSON ({exc}): {line[:120]!r}")
            record = {}
        records.append(record if isinstance(record, dict) else {})
    return [] if text == "" else records


def csv_rows(text: str, defects: list[str]) -> list[dict[str, str]]:
    """The rows of CSV output by column name; a short or missing header is a defect."""
    csv.field_size_limit(sys.maxsize)  # the output may hold huge cells: judging them is the point
    rows = list(csv.reader(io.StringIO(text, newline="")))
    if not rows or rows[0][:1] != ["case_id"]:
        defects.append(f"CSV output has no header row: {text[:120]!r}")
        return []
    header = rows[0]
    result = []
    for number, row in enumerate(rows[1:], 2):
        if len(row) != len(header):
            defects.append(f"CSV output row {number} has {len(row)} cells, the header {len(header)}")
        result.append(dict(zip(header, row, strict=False)))
    return result


def csv_flag(value: Any) -> str:
    """How the CSV output writes a yes/no value."""
    return {True: "yes", False: "no", None: ""}[value]


def summarise(items: Iterable[str], limit: int = 25) -> str:
    """The first ``limit`` items, one a line, and how many more there were."""
    items = list(items)
    shown = "\n".join(f"  - {item}" for item in items[:limit])
    return shown + (f"\n  ... and {len(items) - limit} more" if len(items) > limit else "")


# --- terminals -------------------------------------------------------------------------------

@dataclass
class PtyRun:
    """A triage run in a pseudo-terminal: exit status (or the signal that ended it) and everything it drew."""

    exitstatus: int | None
    signalstatus: int | None
    output: bytes
    seconds: float

    @property
    def text(self) -> str:
        """What was drawn, as text."""
        return self.output.decode("utf-8", "replace")


def pty_env() -> dict[str, str]:
    """The environment of a triage run in a pseudo-terminal (prompt_toolkit asks no cursor position)."""
    return child_env(TERM="xterm", PROMPT_TOOLKIT_NO_CPR="1", COLUMNS="160", LINES="50")


def spawn_pty(args: Sequence[str | os.PathLike[str]], *, cwd: str | os.PathLike[str], timeout: float = 30) -> Any:
    """Start ``triage ARGS`` in a pseudo-terminal (pexpect, raw bytes)."""
    import pexpect

    return pexpect.spawn(sys.executable, ["-m", "triage", *(os.fspath(a) for a in args)], cwd=os.fspath(cwd), env=pty_env(),
                         dimensions=(50, 160), timeout=timeout)


def run_in_pty(args: Sequence[str | os.PathLike[str]], *, cwd: str | os.PathLike[str], timeout: float = 30) -> PtyRun:
    """Run ``triage ARGS`` in a pseudo-terminal to its end (killed after ``timeout``), answering nothing."""
    import pexpect

    start = time.monotonic()
    child = spawn_pty(args, cwd=cwd, timeout=timeout)
    try:
        child.expect(pexpect.EOF)
    except pexpect.TIMEOUT:
        child.terminate(force=True)
    output = (child.before or b"") if isinstance(child.before, bytes) else b""
    child.close(force=True)
    return PtyRun(child.exitstatus, child.signalstatus, output, time.monotonic() - start)
