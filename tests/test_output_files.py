"""Output files (triage/output_files.py): checked first, locked against a second writer, replaced atomically."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from triage.errors import FileInUse, OutputError
from triage.files import atomic_output, output_lock, output_target


def mode_of(path: Path) -> int:
    """The permission bits of a file."""
    return stat.S_IMODE(path.stat().st_mode)


def test_a_file_is_replaced_only_when_the_block_ends_well(tmp_path: Path) -> None:
    """An error inside the block leaves the old file, and no temporary or lock file beside it."""
    target = tmp_path / "out.txt"
    target.write_text("old\n")

    def interrupted() -> None:
        with atomic_output(target) as stream:
            stream.write("half")
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        interrupted()
    assert target.read_text() == "old\n" and [p.name for p in tmp_path.iterdir()] == ["out.txt"]
    with atomic_output(target) as stream:
        stream.write("new\n")
    assert target.read_text() == "new\n" and [p.name for p in tmp_path.iterdir()] == ["out.txt"]


def test_modes_come_from_the_old_file_the_umask_or_the_caller(tmp_path: Path) -> None:
    """A replaced file keeps its mode; a new one gets 0666 less the umask; ``mode`` (0600) wins over both."""
    old = tmp_path / "old.txt"
    old.write_text("x")
    old.chmod(0o640)
    with atomic_output(old) as stream:
        stream.write("y")
    assert mode_of(old) == 0o640
    previous = os.umask(0o027)
    try:
        with atomic_output(tmp_path / "new.txt") as stream:
            stream.write("z")
        with atomic_output(old, mode=0o600) as stream:
            stream.write("secret")
    finally:
        os.umask(previous)
    assert mode_of(tmp_path / "new.txt") == 0o640 and mode_of(old) == 0o600


def test_a_link_stays_a_link_and_its_target_is_replaced(tmp_path: Path) -> None:
    """Writing through a symbolic link replaces the file it names, beside that file."""
    (tmp_path / "data").mkdir()
    target = tmp_path / "data" / "real.txt"
    target.write_text("old")
    link = tmp_path / "link.txt"
    link.symlink_to(target)
    with atomic_output(link) as stream:
        stream.write("new")
    assert link.is_symlink() and target.read_text() == "new"
    assert output_target(link).file == target


def test_a_fifo_is_written_through(tmp_path: Path) -> None:
    """A FIFO is written in place (never replaced), and takes no lock."""
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    reader = subprocess.Popen([sys.executable, "-c", f"print(open({str(fifo)!r}).read(), end='')"],
                              stdout=subprocess.PIPE, text=True)
    with atomic_output(fifo) as stream:
        stream.write("through the pipe\n")
    assert reader.communicate(timeout=30)[0] == "through the pipe\n"
    assert stat.S_ISFIFO(fifo.stat().st_mode) and sorted(p.name for p in tmp_path.iterdir()) == ["pipe"]


UNWRITABLE = [("missing/out.txt", "the folder .* does not exist"), ("folder", "it is a folder")]
if os.geteuid() != 0:  # root may write any file
    UNWRITABLE.append(("read-only.txt", "the file is read-only"))


@pytest.mark.parametrize(("name", "why"), UNWRITABLE)
def test_an_output_that_cannot_be_written_is_refused_before_anything_is_written(
        tmp_path: Path, name: str, why: str) -> None:
    """A missing folder, a folder, a read-only file: OutputError naming the path and why, nothing created."""
    (tmp_path / "folder").mkdir()
    (tmp_path / "read-only.txt").write_text("keep")
    (tmp_path / "read-only.txt").chmod(0o444)
    before = sorted(p.name for p in tmp_path.iterdir())
    with pytest.raises(OutputError, match=why) as raised:
        output_target(tmp_path / name)
    assert str(tmp_path / name) in str(raised.value)
    with pytest.raises(OutputError), atomic_output(tmp_path / name):
        pass  # pragma: no cover - never reached
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_a_second_process_writing_the_same_file_refuses_at_once(tmp_path: Path) -> None:
    """While one process holds a file's lock, another refuses with FileInUse naming the holder; the lock is re-entrant."""
    target = tmp_path / "out.txt"
    probe = ("import sys\nfrom triage.files import output_lock\nfrom triage.errors import FileInUse\n"
             "try:\n    with output_lock(sys.argv[1]):\n        print('locked')\n"
             "except FileInUse as exc:\n    print(exc)\n")
    with output_lock(target), output_lock(target), atomic_output(target) as stream:  # re-entrant in one process
        stream.write("mine")
        other = subprocess.run([sys.executable, "-c", probe, str(target)], capture_output=True, text=True, timeout=60)
        assert f"in use: another triage run (process {os.getpid()})" in other.stdout, other
    assert target.read_text() == "mine" and sorted(p.name for p in tmp_path.iterdir()) == ["out.txt"]
    again = subprocess.run([sys.executable, "-c", probe, str(target)], capture_output=True, text=True, timeout=60)
    assert again.stdout == "locked\n", again


def test_standard_output_takes_no_lock(capsys: pytest.CaptureFixture[str]) -> None:
    """``-`` and None write to standard output."""
    with output_lock("-") as target:
        assert target is None
    with atomic_output("-") as stream:
        stream.write("to stdout\n")
    assert capsys.readouterr().out == "to stdout\n"


def test_file_in_use_is_an_output_error() -> None:
    """A file in use is reported like any output that cannot be written (exit 1)."""
    assert issubclass(FileInUse, OutputError) and FileInUse("x").exit_code == 1
