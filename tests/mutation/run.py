"""The mutation gate: every mutant of ``mutants.py`` must be killed by the project's own tests.

    .venv/bin/python -m tests.mutation.run            # every mutant
    .venv/bin/python -m tests.mutation.run --fast     # the completeness and operator mutants (CI)
    .venv/bin/python -m tests.mutation.run --only NAME [NAME ...]
    .venv/bin/python -m tests.mutation.run --include-sanity   # also a comment-only mutant, which must survive

Each mutant is applied to a scratch copy of the working tree (the files git tracks or would
track, edited or not), never to the tree itself; its tests run there with ``pytest -x`` and
the scratch copy is deleted. One line per mutant: ``KILLED <name> by <first failing test>``
or ``SURVIVED <name>``; then ``N killed, M survived``. The exit status is 0 only when every
mutant was killed; 2 when a mutant cannot be applied (its pattern is not found exactly once,
in any mutant, even those not run) or a test it names does not exist.

A kill counts only if the killing test passes without the mutant: the tests that killed
are run once more on an unmutated copy at the end.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

if __package__ in (None, ""):  # run as a file: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.mutation.mutants import FAST_GROUPS, MUTANTS, SANITY, Mutant

ROOT = Path(__file__).resolve().parents[2]
#: The random seed the tests get (TRIAGE_TEST_SEED), fixed so that the gate gives the same verdicts every run.
DEFAULT_SEED = 20240815
DEFAULT_TIMEOUT = 1200  # seconds per mutant; a mutant that makes the tests hang counts as killed by the timeout
_SKIPPED_DIRS = {".git", ".venv", "__pycache__", ".pytest_cache", ".hypothesis", ".mypy_cache", ".ruff_cache",
                 "node_modules", "build", "dist"}
_FAILURE_LINE = re.compile(r"^(FAILED|ERROR) (.+?)(?: - |$)")  # test ids may hold spaces (README commands)


class GateError(Exception):
    """The gate cannot run as defined: a pattern that moved, a test that does not exist."""


@dataclass(frozen=True)
class Verdict:
    """What the tests did to one mutant."""

    mutant: Mutant
    killed_by: str | None  # the first failing test id, "timeout after Ns", or None: survived
    seconds: float
    output: str  # pytest's output

    @property
    def line(self) -> str:
        """The gate's one line for this mutant."""
        if self.killed_by is None:
            return f"SURVIVED {self.mutant.name}"
        return f"KILLED {self.mutant.name} by {self.killed_by}"


def tree_files(root: Path) -> list[Path]:
    """The files of the working tree, relative to ``root``: those git tracks or would track (not ignored)."""
    if (root / ".git").exists():
        listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=root,
                                check=True, capture_output=True).stdout.decode().split("\0")
        return sorted(Path(name) for name in listed if name and (root / name).is_file())
    return sorted(path.relative_to(root) for path in root.rglob("*")
                  if path.is_file() and not _SKIPPED_DIRS & set(path.relative_to(root).parts))


def mutated_texts(mutant: Mutant, read: dict[str, str]) -> dict[str, str]:
    """The new text of every file the mutant edits; GateError when a pattern is not found exactly once."""
    texts: dict[str, str] = {}
    for edit in mutant.edits:
        if edit.path not in texts and edit.path not in read:
            raise GateError(f"CANNOT APPLY {mutant.name}: {edit.path} is not in the tree")
        text = texts.get(edit.path, read.get(edit.path, ""))
        found = text.count(edit.old)
        if found != 1:
            raise GateError(f"CANNOT APPLY {mutant.name}: {edit.path}: pattern found {found} times, not once: "
                            f"{edit.old!r}")
        texts[edit.path] = text.replace(edit.old, edit.new)
    return texts


def check_patterns(mutants: Iterable[Mutant], root: Path) -> list[str]:
    """The problems of mutants that cannot be applied to the tree (an empty list when all apply)."""
    read: dict[str, str] = {}
    problems = []
    for mutant in mutants:
        for edit in mutant.edits:
            if edit.path not in read and (root / edit.path).is_file():
                read[edit.path] = (root / edit.path).read_text(encoding="utf-8")
        try:
            mutated_texts(mutant, read)
        except GateError as exc:
            problems.append(str(exc))
    return problems


@contextmanager
def scratch_copy(root: Path, files: list[Path], mutant: Mutant | None = None) -> Iterator[Path]:
    """A temporary copy of the tree, with the mutant applied; deleted afterwards."""
    folder = Path(tempfile.mkdtemp(prefix="triage-mutant-"))
    try:
        for name in files:
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(root / name, folder / name)
        if mutant is not None:
            read = {edit.path: (folder / edit.path).read_text(encoding="utf-8") for edit in mutant.edits}
            for path, text in mutated_texts(mutant, read).items():
                (folder / path).write_text(text, encoding="utf-8")
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def test_environment(folder: Path, seed: int) -> dict[str, str]:
    """The environment of a test run in a scratch copy: its package first on the path, the fixed seed."""
    return {**os.environ, "PYTHONPATH": str(folder), "TRIAGE_TEST_SEED": str(seed), "PYTHONDONTWRITEBYTECODE": "1"}


#: The pytest runs under way, so that an interrupt can end them (each runs in a session of its own).
_RUNNING: set[int] = set()
_RUNNING_LOCK = threading.Lock()


def stop_running() -> None:
    """End every pytest run under way, with the processes it started."""
    with _RUNNING_LOCK:
        for pid in _RUNNING:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)


def run_pytest(folder: Path, args: list[str], seed: int, timeout: float) -> tuple[int | None, str]:
    """Run pytest in a scratch copy: (exit code or None on timeout, output)."""
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "--no-header", "-rfE", *args]
    # A session of its own: a timeout ends pytest and whatever it started (CLI runs, worker processes).
    with subprocess.Popen(command, cwd=folder, env=test_environment(folder, seed), stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, start_new_session=True) as process:
        with _RUNNING_LOCK:
            _RUNNING.add(process.pid)
        try:
            output, _ = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
            return None, ""
        finally:
            with _RUNNING_LOCK:
                _RUNNING.discard(process.pid)
    return process.returncode, output


def first_failure(output: str) -> str | None:
    """The id of the first failing test (or erroring file) in pytest's short summary."""
    for line in output.splitlines():
        if match := _FAILURE_LINE.match(line):
            return match.group(2)
    return None


def judge(mutant: Mutant, root: Path, files: list[Path], seed: int, timeout: float) -> Verdict:
    """Apply one mutant to a scratch copy, run its tests there, and say whether they killed it."""
    started = time.monotonic()
    with scratch_copy(root, files, mutant) as folder:
        code, output = run_pytest(folder, ["-x", *mutant.tests], seed, timeout)
    seconds = time.monotonic() - started
    if code is None:
        return Verdict(mutant, f"timeout after {timeout:.0f}s", seconds, output)
    if code == 0:
        return Verdict(mutant, None, seconds, output)
    if code == 5:
        raise GateError(f"{mutant.name}: its tests collected nothing: {' '.join(mutant.tests)}")
    tail = output.strip().splitlines()[-1:] or [""]
    return Verdict(mutant, first_failure(output) or f"pytest exit {code} ({tail[0]})", seconds, output)


def preflight(mutants: list[Mutant], root: Path, files: list[Path], seed: int) -> None:
    """Check on an unmutated copy that the copy's own package is the one tested and that every named test exists."""
    with scratch_copy(root, files) as folder:
        probe = subprocess.run([sys.executable, "-c", "import triage; print(triage.__file__)"], cwd=folder,
                               env=test_environment(folder, seed), capture_output=True, text=True, check=False)
        imported = Path(probe.stdout.strip() or "?")
        if folder.resolve() not in imported.resolve().parents:
            raise GateError(f"the scratch copy imports triage from {imported}, not from the copy: {probe.stderr}")
        named = sorted({test for mutant in mutants for test in mutant.tests})
        code, output = run_pytest(folder, ["--collect-only", *named], seed, DEFAULT_TIMEOUT)
        if code != 0:
            raise GateError("some tests the mutants name cannot be collected:\n" + output[-3000:])


def confirm_killers(verdicts: list[Verdict], root: Path, files: list[Path], seed: int) -> list[str]:
    """The killing tests that fail without any mutant too (their kills prove nothing); an empty list is good."""
    killers = sorted({v.killed_by for v in verdicts if v.killed_by and "::" in v.killed_by})
    if not killers:
        return []
    with scratch_copy(root, files) as folder:
        code, output = run_pytest(folder, killers, seed, DEFAULT_TIMEOUT)
    if code == 0:
        return []
    failing = [line for line in output.splitlines() if _FAILURE_LINE.match(line)]
    return failing or [f"pytest exit {code} on the unmutated tree"]


def selected(args: argparse.Namespace) -> list[Mutant]:
    """The mutants this run applies."""
    chosen = list(MUTANTS)
    if args.fast:
        chosen = [m for m in chosen if m.group in FAST_GROUPS]
    if args.only:
        known = {m.name: m for m in (*MUTANTS, SANITY)}
        unknown = sorted(set(args.only) - set(known))
        if unknown:
            raise GateError(f"no mutant named {', '.join(unknown)}")
        chosen = [known[name] for name in args.only]
    if args.include_sanity and SANITY not in chosen:
        chosen.append(SANITY)
    return chosen


def main(argv: list[str] | None = None) -> int:
    """Run the gate; the exit status says whether every mutant was killed."""
    parser = argparse.ArgumentParser(prog="python -m tests.mutation.run", description=__doc__.split("\n\n")[0])
    parser.add_argument("--fast", action="store_true", help="only the completeness and operator mutants (CI)")
    parser.add_argument("--only", nargs="+", metavar="NAME", help="only these mutants")
    parser.add_argument("--include-sanity", action="store_true",
                        help="also apply a comment-only mutant, which must be reported SURVIVED")
    parser.add_argument("--list", action="store_true", help="list the mutants and what each breaks, run nothing")
    parser.add_argument("--check", action="store_true", help="only check that every mutant applies, run nothing")
    parser.add_argument("--show", action="store_true", help="print each mutant's test output and time after its line")
    parser.add_argument("--jobs", type=int, default=1, help="mutants run at a time (default 1)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"TRIAGE_TEST_SEED (default {DEFAULT_SEED})")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, help="seconds per mutant")
    args = parser.parse_args(argv)
    try:
        problems = check_patterns((*MUTANTS, SANITY), ROOT)
        if problems:
            raise GateError("\n".join(problems))
        names = [m.name for m in (*MUTANTS, SANITY)]
        if len(set(names)) != len(names):
            raise GateError("two mutants share a name")
        mutants = selected(args)
        if args.list:
            for mutant in mutants:
                print(f"{mutant.name} [{mutant.group}]: {mutant.breaks}")
            return 0
        if args.check:
            print(f"{len(MUTANTS) + 1} mutants apply")
            return 0
        files = tree_files(ROOT)
        preflight(mutants, ROOT, files, args.seed)
        print(f"mutation gate: {len(mutants)} mutants, TRIAGE_TEST_SEED={args.seed}", flush=True)
        verdicts = []
        with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
            for verdict in pool.map(lambda m: judge(m, ROOT, files, args.seed, args.timeout), mutants):
                print(verdict.line, flush=True)
                if args.show:
                    print(f"{verdict.output.rstrip()}\n({verdict.seconds:.1f}s)", flush=True)
                verdicts.append(verdict)
        broken = confirm_killers(verdicts, ROOT, files, args.seed)
    except GateError as exc:
        print(exc, file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        stop_running()
        print("interrupted", file=sys.stderr)
        return 130
    for line in broken:
        print(f"NOT A KILL: this test fails without any mutant too: {line}")
    killed = sum(v.killed_by is not None for v in verdicts)
    print(f"{killed} killed, {len(verdicts) - killed} survived")
    return 0 if killed == len(verdicts) and not broken else 1


if __name__ == "__main__":
    sys.exit(main())
