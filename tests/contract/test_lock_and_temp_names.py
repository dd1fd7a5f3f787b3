"""Lock and temporary files beside an output (issue 11): never written through a link, never too long a name.

A lock file (``.NAME.lock``) that is a symbolic link, a FIFO or a hard link is refused with
exit 1 and the file it stands for is left as it was (writing the process id into it would
destroy it). Any output name the file system allows works: the lock and temporary names are
cut short with a hash when ``.NAME.lock`` or ``.NAME.XXXXXXXX.partial`` would pass 255 bytes.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from .helpers import EXAMPLES, internal_error_signs, run_triage

ONE_CASE = '{"id": "one", "region": "lumbar", "age": 40}\n'


def one_case(tmp_path: Path) -> Path:
    """A JSON Lines file of one valid case."""
    path = tmp_path / "one.jsonl"
    path.write_text(ONE_CASE)
    return path


@pytest.mark.parametrize("kind", ["symlink", "hardlink"])
def test_a_linked_lock_file_is_refused_and_its_target_kept(tmp_path: Path, kind: str) -> None:
    """score -o with .out.jsonl.lock a link to another file exits 1 naming the lock; the linked file is unchanged."""
    one_case(tmp_path)
    victim = tmp_path / "victim.txt"
    victim.write_text("IMPORTANT\n")
    lock = tmp_path / ".out.jsonl.lock"
    if kind == "symlink":
        lock.symlink_to("victim.txt")
    else:
        os.link(victim, lock)
    run = run_triage(["score", "one.jsonl", "-o", "out.jsonl", "-q"], cwd=tmp_path)
    assert run.returncode == 1 and not internal_error_signs(run), run.describe()
    assert ".out.jsonl.lock" in run.err and "link" in run.err, run.err
    assert victim.read_text() == "IMPORTANT\n"
    assert not (tmp_path / "out.jsonl").exists()


def test_a_linked_session_lock_is_refused_and_its_target_kept(tmp_path: Path) -> None:
    """interview --session with its lock a symbolic link exits 1 naming the lock; the linked file is unchanged."""
    victim = tmp_path / "victim.txt"
    victim.write_text("IMPORTANT\n")
    (tmp_path / ".s.json.lock").symlink_to("victim.txt")
    (tmp_path / "a.yaml").write_text("region: lumbar\nage: 40\n")
    run = run_triage(["interview", "--answers", "a.yaml", "--session", "s.json"], cwd=tmp_path)
    assert run.returncode == 1 and not internal_error_signs(run), run.describe()
    assert ".s.json.lock" in run.err and "symbolic link" in run.err, run.err
    assert victim.read_text() == "IMPORTANT\n"


def test_a_fifo_lock_file_is_refused(tmp_path: Path) -> None:
    """A lock path that is a FIFO is refused (exit 1, not plain file) rather than written or waited on."""
    one_case(tmp_path)
    os.mkfifo(tmp_path / ".out.jsonl.lock")
    run = run_triage(["score", "one.jsonl", "-o", "out.jsonl", "-q"], cwd=tmp_path, timeout=20)
    assert run.returncode == 1 and "not a plain file" in run.err, run.describe()


@pytest.mark.parametrize("length", [238, 245, 250, 255])
@pytest.mark.parametrize("workers", ["1", "2"])
def test_score_writes_any_legal_output_name(tmp_path: Path, length: int, workers: str) -> None:
    """score -o NAME with a name of 238-255 bytes writes it, leaving no lock or temporary file behind; with workers
    too, whose parts folder beside it is named after it."""
    one_case(tmp_path)
    name = "a" * (length - len(".jsonl")) + ".jsonl"
    run = run_triage(["score", "one.jsonl", "-o", name, "-q", "--workers", workers], cwd=tmp_path)
    assert run.returncode == 0, run.describe()
    assert (tmp_path / name).read_text().count("\n") == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([name, "one.jsonl"])


def test_coverage_junit_writes_a_long_name(tmp_path: Path) -> None:
    """coverage --junit NAME with a 244-byte name writes the report (the temporary name would be too long)."""
    name = "j" * 240 + ".xml"
    run = run_triage(["coverage", str(EXAMPLES), "--junit", name], cwd=tmp_path, timeout=120)
    assert run.returncode in (0, 1) and not internal_error_signs(run), run.describe()
    assert (tmp_path / name).read_text().startswith("<?xml")


def test_interview_session_with_a_long_name_is_saved(tmp_path: Path) -> None:
    """interview --answers A --session NAME with a 244-byte name saves the session."""
    (tmp_path / "a.yaml").write_text("region: lumbar\nage: 40\n")
    name = "s" * 239 + ".json"
    run = run_triage(["interview", "--answers", "a.yaml", "--session", name], cwd=tmp_path)
    assert run.returncode == 0 and not internal_error_signs(run), run.describe()
    assert '"format": "triage-interview-session"' in (tmp_path / name).read_text()


def test_a_name_too_long_for_the_file_system_says_so(tmp_path: Path) -> None:
    """score -o NAME with a 256-byte name exits 1 saying the name is too long, not that the folder is unwritable."""
    one_case(tmp_path)
    run = run_triage(["score", "one.jsonl", "-o", "a" * 250 + ".jsonl", "-q"], cwd=tmp_path)
    assert run.returncode == 1 and not internal_error_signs(run), run.describe()
    assert "too long" in run.err.lower() and "cannot create files" not in run.err, run.err
