"""Output paths (issue 11): refused before any work with exit 1, or written safely through devices, FIFOs and links.

A path that cannot be written (missing folder, a folder, a read-only folder) is a user
mistake: exit 1 naming the path, *before* scoring starts, which the tests see as a quick
return on an input that takes minutes to score. A device or FIFO is written through (it stays
what it is); a symbolic link stays a link and its target is replaced atomically; the file gets
the mode of the file it replaces, or the umask's mode when new. Two writers of one file: the
second refuses, saying the file is in use.
"""

from __future__ import annotations

import json
import os
import select
import shutil
import signal
import stat
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pexpect
import pytest

from .helpers import (
    EXAMPLES,
    Run,
    internal_error_signs,
    kill_group,
    run_triage,
    spawn_pty,
    start_triage,
)

QUICK = 6.0  # seconds: far less than scoring the big input (over a minute), far more than starting triage
EMERGENCY_ANSWERS = "region: lumbar\nsaddle_numbness: true\n"


def score_big(big: Path, output: str | Path, cwd: Path, *extra: str) -> Run:
    """``triage score BIG -o OUTPUT`` in one worker, killed after a while: a refusal must come long before."""
    return run_triage(["score", str(big), "--workers", "1", "-q", "-o", str(output), *extra], cwd=cwd, timeout=QUICK + 2)


def assert_refused_quickly(run: Run, path: str | Path) -> None:
    """Exit 1 before any scoring, naming the path, no internal error."""
    assert run.returncode == 1 and not internal_error_signs(run), run.describe()
    assert run.seconds < QUICK, f"refused only after {run.seconds:.1f} s: the input was scored first"
    assert str(path) in run.err, run.err


def test_output_into_a_missing_folder_is_refused_first(tmp_path: Path, big_jsonl: Path) -> None:
    """-o into a folder that does not exist: exit 1 at once, naming the path."""
    target = tmp_path / "missing" / "out.jsonl"
    assert_refused_quickly(score_big(big_jsonl, target, tmp_path), target)
    assert not (tmp_path / "missing").exists()


def test_output_naming_a_folder_is_refused_first(tmp_path: Path, big_jsonl: Path) -> None:
    """-o naming an existing folder: exit 1 at once, naming it; the folder is left as it was."""
    folder = tmp_path / "a-folder"
    folder.mkdir()
    assert_refused_quickly(score_big(big_jsonl, folder, tmp_path), folder)
    assert folder.is_dir() and not any(folder.iterdir()) and sorted(p.name for p in tmp_path.iterdir()) == ["a-folder"]


@contextmanager
def read_only_folder(base: Path) -> Iterator[Path]:
    """A folder in which this user cannot create files, even as root.

    Root ignores permission bits, so as root the folder is made immutable (``chattr +i``);
    where the file system has no such attribute, ``/sys`` (sysfs refuses new files to root)
    stands in. Other users get a 0555 folder.
    """
    folder = base / "read-only"
    folder.mkdir()
    if os.geteuid() != 0:
        folder.chmod(0o555)
        try:
            yield folder
        finally:
            folder.chmod(0o755)
        return
    if shutil.which("chattr") and subprocess.run(["chattr", "+i", str(folder)], capture_output=True).returncode == 0:
        try:
            yield folder
        finally:
            subprocess.run(["chattr", "-i", str(folder)], check=True)
        return
    with pytest.raises(OSError):  # the stand-in must really refuse root
        tempfile.NamedTemporaryFile(dir="/sys").close()
    yield Path("/sys")


def test_output_into_a_read_only_folder_is_refused_first(tmp_path: Path, big_jsonl: Path) -> None:
    """-o into a folder that cannot be written: exit 1 at once, naming the path (nothing is created there)."""
    with read_only_folder(tmp_path) as folder:
        before = sorted(p.name for p in folder.iterdir())
        target = folder / "triage-out.jsonl"
        assert_refused_quickly(score_big(big_jsonl, target, tmp_path), target)
        assert sorted(p.name for p in folder.iterdir()) == before


def test_a_finished_run_leaves_only_its_output(tmp_path: Path, examples_output: bytes) -> None:
    """After a run, the output folder holds the output file and nothing else (no temporary file)."""
    out = tmp_path / "out"
    out.mkdir()
    run = run_triage(["score", str(EXAMPLES), "--workers", "2", "-q", "-o", "out/result.jsonl"], cwd=tmp_path)
    assert run.returncode == 0, run.describe()
    assert [p.name for p in out.iterdir()] == ["result.jsonl"]
    assert (out / "result.jsonl").read_bytes() == examples_output


# --- devices, FIFOs, links, modes ------------------------------------------------------------------

def test_output_to_a_device_writes_through_it(tmp_path: Path) -> None:
    """-o naming a character device (/dev/null) writes to the device, which stays a character device."""
    if os.geteuid() == 0:  # never risk the real /dev/null: a null device of our own
        device = tmp_path / "null"
        try:
            os.mknod(device, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
        except PermissionError:  # no CAP_MKNOD: a device in a folder root cannot write to (devpts)
            with pytest.raises(OSError):  # so it cannot be replaced, whatever triage does
                tempfile.NamedTemporaryFile(dir="/dev/pts").close()
            device = Path("/dev/pts/ptmx")
    else:
        device = Path("/dev/null")  # not root: it cannot be replaced
    assert stat.S_ISCHR(device.stat().st_mode)
    run = run_triage(["score", str(EXAMPLES), "--workers", "1", "-q", "-o", str(device)], cwd=tmp_path)
    assert stat.S_ISCHR(device.stat().st_mode), "the device was replaced"
    assert run.returncode == 0 and not internal_error_signs(run), run.describe()
    assert sorted(p.name for p in device.parent.iterdir() if p.name.endswith(".partial")) == []


def test_output_to_a_fifo_is_read_by_its_reader(tmp_path: Path, examples_output: bytes) -> None:
    """-o naming a FIFO writes the output into it for a concurrent reader; the FIFO stays a FIFO."""
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    proc = start_triage(["score", str(EXAMPLES), "--workers", "1", "-q", "-o", str(fifo)], cwd=tmp_path)
    received = bytearray()
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            select.select([reader], [], [], 0.2)
            try:
                chunk = os.read(reader, 65536)
            except BlockingIOError:
                continue
            if chunk:
                received.extend(chunk)
            elif proc.poll() is not None:
                break
            else:
                time.sleep(0.05)  # no writer yet
    finally:
        os.close(reader)
        kill_group(proc.pid)
        _, stderr = proc.communicate(timeout=30)
    assert stat.S_ISFIFO(fifo.stat().st_mode), "the FIFO was replaced"
    assert proc.returncode == 0, stderr
    assert bytes(received) == examples_output


def test_output_through_a_symlink_replaces_its_target_atomically(tmp_path: Path, examples_output: bytes) -> None:
    """-o naming a symbolic link keeps the link and atomically replaces its target, leaving no temporary file."""
    (tmp_path / "links").mkdir()
    (tmp_path / "data").mkdir()
    target = tmp_path / "data" / "result.jsonl"
    target.write_text("previous\n")
    link = tmp_path / "links" / "result.jsonl"
    link.symlink_to(target)
    before = target.stat().st_ino
    run = run_triage(["score", str(EXAMPLES), "--workers", "1", "-q", "-o", str(link)], cwd=tmp_path)
    assert run.returncode == 0, run.describe()
    assert link.is_symlink() and os.readlink(link) == str(target), "the link was replaced"
    assert target.read_bytes() == examples_output
    assert target.stat().st_ino != before, "the target was rewritten in place, not replaced atomically"
    assert [p.name for p in (tmp_path / "links").iterdir()] == ["result.jsonl"]
    assert [p.name for p in (tmp_path / "data").iterdir()] == ["result.jsonl"]


def test_output_keeps_the_mode_of_the_file_it_replaces(tmp_path: Path) -> None:
    """-o over an existing file keeps that file's permission bits (here 0640)."""
    target = tmp_path / "result.jsonl"
    target.write_text("previous\n")
    target.chmod(0o640)
    run = run_triage(["score", str(EXAMPLES), "--workers", "1", "-q", "-o", str(target)], cwd=tmp_path)
    assert run.returncode == 0, run.describe()
    assert stat.S_IMODE(target.stat().st_mode) == 0o640


@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o644), (0o027, 0o640)], ids=["umask 022", "umask 027"])
def test_a_new_output_file_gets_the_umask_mode(tmp_path: Path, umask: int, mode: int) -> None:
    """A new -o file gets the mode any new file gets: 0666 less the umask."""
    target = tmp_path / "result.jsonl"
    run = run_triage(["score", str(EXAMPLES), "--workers", "1", "-q", "-o", str(target)], cwd=tmp_path, umask=umask)
    assert run.returncode == 0, run.describe()
    assert stat.S_IMODE(target.stat().st_mode) == mode


# --- the other commands that write files --------------------------------------------------------

def test_coverage_junit_into_a_missing_folder_is_refused_first(tmp_path: Path, big_jsonl: Path) -> None:
    """coverage --junit /missing/j.xml: exit 1 at once, naming the path, before any case is scored."""
    target = tmp_path / "missing" / "j.xml"
    run = run_triage(["coverage", str(big_jsonl), "--junit", str(target)], cwd=tmp_path, timeout=QUICK + 2)
    assert_refused_quickly(run, target)


def test_interview_session_in_a_missing_folder_is_refused_first(tmp_path: Path) -> None:
    """interview --answers A --session /missing/dir/s.json: exit 1 naming the path, before any question."""
    (tmp_path / "a.yaml").write_text(EMERGENCY_ANSWERS)
    target = tmp_path / "missing" / "dir" / "s.json"
    run = run_triage(["interview", "--answers", "a.yaml", "--session", str(target)], cwd=tmp_path)
    assert run.returncode == 1 and not internal_error_signs(run) and str(target) in run.err, run.describe()
    assert "Questions asked" not in run.out


def test_terminal_interview_session_in_a_missing_folder_is_refused_first(tmp_path: Path) -> None:
    """In a terminal, --session into a missing folder exits 1 naming it before any question or 'saved' claim."""
    target = tmp_path / "missing" / "dir" / "s.json"
    child = spawn_pty(["interview", "--session", str(target)], cwd=tmp_path, timeout=15)
    index = child.expect([pexpect.EOF, "Where is your main pain"])
    drawn = child.before.decode("utf-8", "replace")
    child.close(force=True)
    assert index == 0, "the first question was asked"
    assert child.exitstatus == 1 and str(target) in drawn and "Answers are saved in" not in drawn, drawn


def test_save_case_into_a_missing_folder_still_prints_the_result(tmp_path: Path) -> None:
    """--save-case into a missing folder still prints the result (the EMERGENCY), then exits 1 naming the path."""
    (tmp_path / "a.yaml").write_text(EMERGENCY_ANSWERS)
    target = tmp_path / "missing" / "case.yaml"
    run = run_triage(["interview", "--answers", "a.yaml", "--save-case", str(target)], cwd=tmp_path)
    assert "EMERGENCY" in run.out, run.describe()
    assert run.returncode == 1 and not internal_error_signs(run) and str(target) in run.err, run.describe()


# --- concurrent writers ------------------------------------------------------------------------------

def test_a_second_score_on_the_same_output_refuses(tmp_path: Path, big_jsonl: Path, examples_output: bytes) -> None:
    """A second score on an -o file being written exits 1 at once saying it is in use; the file keeps its content."""
    target = tmp_path / "out.jsonl"
    target.write_bytes(examples_output)
    first = start_triage(["score", str(big_jsonl), "--workers", "1", "-q", "-o", str(target)], cwd=tmp_path)
    try:
        time.sleep(2.0)
        assert first.poll() is None, "the first run ended early"
        second = run_triage(["score", str(EXAMPLES), "--workers", "1", "-q", "-o", str(target)], cwd=tmp_path,
                            timeout=QUICK + 4)
        assert second.returncode == 1 and second.seconds < QUICK, second.describe()
        assert str(target) in second.err and ("in use" in second.err or "lock" in second.err), second.err
        assert target.read_bytes() == examples_output
    finally:
        os.killpg(first.pid, signal.SIGTERM)
        try:
            first.communicate(timeout=10)
        finally:
            kill_group(first.pid)


def answer_first_question(child: pexpect.spawn) -> None:
    """Answer the first question of the interview (its first choice, key 1, then Enter) and wait for the second."""
    child.expect("Where is your main pain")
    child.expect("Enter")
    child.send("1")
    child.send("\r")
    child.expect("How old are you")


def test_a_second_interview_on_the_same_session_refuses(tmp_path: Path) -> None:
    """--resume of a session another interview has open exits 1 saying it is in use, before asking anything."""
    session = tmp_path / "s.json"
    first = spawn_pty(["interview", "--session", str(session)], cwd=tmp_path, timeout=20)
    try:
        answer_first_question(first)
        assert session.exists()
        saved = session.read_bytes()
        second = spawn_pty(["interview", "--resume", str(session)], cwd=tmp_path, timeout=15)
        index = second.expect([pexpect.EOF, "How old are you", "Where is your main pain"])
        drawn = second.before.decode("utf-8", "replace")
        second.close(force=True)
        assert index == 0, "the second interview started asking"
        assert second.exitstatus == 1 and ("in use" in drawn or "is using this session file" in drawn), drawn
        assert session.read_bytes() == saved
    finally:
        first.close(force=True)


def test_answers_never_replace_a_saved_session(tmp_path: Path) -> None:
    """--answers with --session EXISTING refuses as the terminal interview does, leaving an unfinished session as it
    was (a finished one may be replaced: issue 10 says it must not block the next person)."""
    session = tmp_path / "s.json"
    (tmp_path / "first.yaml").write_text("region: lumbar\nage: 40\n")
    made = run_triage(["interview", "--answers", "first.yaml", "--session", str(session)], cwd=tmp_path)
    assert made.returncode == 0 and session.exists(), made.describe()
    paused = json.loads(session.read_text())
    paused["finished"] = False  # as an interview paused with Ctrl-C leaves it
    session.write_text(json.dumps(paused))
    saved = session.read_bytes()
    terminal = spawn_pty(["interview", "--session", str(session)], cwd=tmp_path, timeout=15)
    terminal.expect(pexpect.EOF)
    terminal.close(force=True)
    assert terminal.exitstatus in (1, 2) and session.read_bytes() == saved
    (tmp_path / "second.yaml").write_text(EMERGENCY_ANSWERS)
    run = run_triage(["interview", "--answers", "second.yaml", "--session", str(session)], cwd=tmp_path)
    assert session.read_bytes() == saved, "the saved session was replaced"
    assert run.returncode == terminal.exitstatus and "--resume" in run.err, run.describe()

