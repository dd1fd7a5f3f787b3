"""What triage writes when the reviewer's faults happen (issue 11): encodings, signals, terminals, output names.

Standard output whose encoding lacks a character (``PYTHONIOENCODING=latin-1``) gets an
escape, never an exit 3 that loses the batch; SIGHUP (a closed terminal) is handled like
SIGTERM; the interview escapes what it echoes; output options that contradict each other are
refused before any work.
"""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path

import pexpect
import pytest

from .helpers import EXAMPLES, RAW_CONTROL, child_env, internal_error_signs, run_in_pty, run_triage, spawn_pty

CASES = ('{"id": "\\u202e-right-to-left\\ud83d\\ude00", "region": "lumbar"}\n'
         '{"id": "caf\\u00e9-\\u4e2d", "region": "lumbar"}\n')


@pytest.mark.parametrize("encoding", ["latin-1", "ascii"])
@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_an_output_encoding_without_a_character_escapes_it(tmp_path: Path, encoding: str, fmt: str) -> None:
    """score to a latin-1 or ASCII standard output: exit 0, every case written; JSON Lines still read back as the
    same ids (the escape is JSON's \\uXXXX)."""
    (tmp_path / "u.jsonl").write_text(CASES)
    run = run_triage(["score", "u.jsonl", "-q", "--format", fmt], cwd=tmp_path,
                     env=child_env(PYTHONIOENCODING=encoding))
    assert run.returncode == 0 and not internal_error_signs(run), run.describe()
    text = run.stdout.decode(encoding)
    if fmt == "jsonl":
        assert [json.loads(line)["case_id"] for line in text.splitlines()] == \
            ["\u202e-right-to-left\U0001f600", "caf\u00e9-\u4e2d"]
    else:
        assert text.count("\n") == 3 and "\\u4e2d" in text, text


def test_an_error_message_in_ascii_escapes_the_character(tmp_path: Path) -> None:
    """assess of a case with an id outside ASCII and a mistake, stderr in ASCII: exit 1 with the message."""
    (tmp_path / "z.yaml").write_text('id: "\u4e2d"\nage: old\n')
    run = run_triage(["assess", "z.yaml"], cwd=tmp_path, env=child_env(PYTHONIOENCODING="ascii"))
    assert run.returncode == 1 and not internal_error_signs(run), run.describe()
    assert "field 'age'" in run.err, run.err


def finished_session(tmp_path: Path, case_id: str) -> Path:
    """A finished interview's session file whose case id is ``case_id``."""
    (tmp_path / "a.yaml").write_text("region: lumbar\nage: 40\n")
    made = run_triage(["interview", "--answers", "a.yaml", "--session", "s.json"], cwd=tmp_path)
    assert made.returncode == 0, made.describe()
    session = tmp_path / "s.json"
    data = json.loads(session.read_text())
    data["case_id"] = case_id
    session.write_text(json.dumps(data))
    return session


def test_the_interview_escapes_a_case_id_from_the_answers(tmp_path: Path) -> None:
    """interview --answers with an id holding ESC ] 0 ; ... BEL: no raw control character reaches the terminal."""
    (tmp_path / "e.yaml").write_text('id: "\\e]0;pwned\\a"\nage: 40\nregion: lumbar\n')
    run = run_triage(["interview", "--answers", "e.yaml"], cwd=tmp_path)
    assert run.returncode == 0, run.describe()
    assert not RAW_CONTROL.search(run.stdout + run.stderr), run.stdout[:300]
    assert "\\x1b]0;pwned\\x07" in run.out, run.out[:300]


def test_the_interview_escapes_a_case_id_from_a_session(tmp_path: Path) -> None:
    """interview --resume of a session whose case_id sets the terminal's title: shown escaped, never raw."""
    finished_session(tmp_path, "\u001b]2;PWNED-TITLE\u0007")
    run = run_triage(["interview", "--answers", "a.yaml", "--resume", "s.json"], cwd=tmp_path)
    assert run.returncode == 0, run.describe()
    assert not RAW_CONTROL.search(run.stdout + run.stderr), run.stdout[:300]
    assert "PWNED-TITLE" in run.out


def test_the_terminal_interview_escapes_a_resumed_case_id(tmp_path: Path) -> None:
    """The terminal interview resuming such a session (welcome, result) never writes the title sequence raw."""
    session = finished_session(tmp_path, "\u001b]2;PWNED-TITLE\u0007")
    pty = run_in_pty(["interview", "--resume", str(session)], cwd=tmp_path, timeout=30)
    assert b"PWNED-TITLE" in pty.output, pty.output[-500:]
    assert b"\x1b]2;PWNED" not in pty.output, pty.output[-500:]


@pytest.mark.parametrize("option", ["--session", "--resume"])
@pytest.mark.parametrize("name", ["-", ""])
def test_a_session_on_standard_output_is_refused(tmp_path: Path, option: str, name: str) -> None:
    """interview --session - (or an empty name): exit 2 at once, no health answers written to standard output."""
    (tmp_path / "a.yaml").write_text("region: lumbar\nage: 40\n")
    run = run_triage(["interview", "--answers", "a.yaml", option, name], cwd=tmp_path)
    assert run.returncode == 2 and option in run.err, run.describe()
    assert "triage-interview-session" not in run.out


def test_sigterm_stops_the_interview_with_143(tmp_path: Path) -> None:
    """SIGTERM to a terminal interview waiting for an answer: exit 143 (as for every command), not Ctrl-C's 130."""
    child = spawn_pty(["interview", "--session", str(tmp_path / "s.json")], cwd=tmp_path, timeout=20)
    try:
        child.expect("Where is your main pain")
        time.sleep(0.5)
        child.kill(signal.SIGTERM)
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)
    assert child.exitstatus == 143, (child.exitstatus, child.signalstatus)
    assert not (tmp_path / ".s.json.lock").exists()


def test_the_summary_gives_a_long_ids_true_length(tmp_path: Path) -> None:
    """A case with a 5,000,000-character id that cannot be scored: the summary says 5,000,000 characters."""
    (tmp_path / "long.jsonl").write_text(json.dumps({"id": "x" * 5_000_000, "age": "old"}) + "\n")
    run = run_triage(["score", "long.jsonl", "-o", "out.jsonl", "--workers", "1"], cwd=tmp_path)
    assert run.returncode == 1 and not internal_error_signs(run), run.describe()
    assert "(5,000,000 characters)" in run.err and "(1,024 characters)" not in run.err, run.err[-600:]


def test_coverage_refuses_one_file_for_both_reports(tmp_path: Path) -> None:
    """coverage --junit same.xml --cobertura ./same.xml: exit 2 before any work, naming both options."""
    run = run_triage(["coverage", str(EXAMPLES), "--junit", "same.xml", "--cobertura", "./same.xml"], cwd=tmp_path)
    assert run.returncode == 2 and "--junit" in run.err and "--cobertura" in run.err, run.describe()
    assert not (tmp_path / "same.xml").exists()


def test_an_empty_output_name_is_called_empty(tmp_path: Path) -> None:
    """score -o '' exits 1 saying the file name is empty, not that it is a folder."""
    run = run_triage(["score", str(EXAMPLES / "self-care.yaml"), "-o", "", "-q"], cwd=tmp_path)
    assert run.returncode == 1 and not internal_error_signs(run), run.describe()
    assert "name is empty" in run.err and "folder" not in run.err, run.err


def test_a_questionnaire_key_never_suggests_itself(tmp_path: Path) -> None:
    """check --questionnaire CASE_FILE: the unknown top-level key 'id' gets no "did you mean 'id'?"."""
    run = run_triage(["check", "--questionnaire", str(EXAMPLES / "self-care.yaml")], cwd=tmp_path)
    assert run.returncode == 1 and not internal_error_signs(run), run.describe()
    assert ": id: unknown key" in run.err and "did you mean 'id'" not in run.err, run.err


@pytest.mark.parametrize("address", ["garbage", "tls://127.0.0.1:1", "tcp://127.0.0.1:99999", "localhost:"])
def test_a_dask_address_that_is_not_tcp_host_port_is_refused(tmp_path: Path, address: str) -> None:
    """--dask garbage (a ValueError), tls:// (a TypeError without security settings) and bad ports: exit 1 saying
    what an address looks like, before any input is read."""
    run = run_triage(["score", EXAMPLES / "self-care.yaml", "--dask", address, "-q"], cwd=tmp_path, timeout=30)
    assert run.returncode == 1 and not internal_error_signs(run), run.describe()
    assert "tcp://HOST:PORT" in run.err, run.describe()


def test_a_dask_address_where_something_else_listens_is_refused_in_time(tmp_path: Path) -> None:
    """A socket that accepts and never speaks (not a Dask scheduler): exit 1 within about 10 s, not a hang."""
    import socket

    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        port = listener.getsockname()[1]
        run = run_triage(["score", EXAMPLES / "self-care.yaml", "--dask", f"tcp://127.0.0.1:{port}", "-q"],
                         cwd=tmp_path, timeout=40)
    assert run.returncode == 1 and not internal_error_signs(run), run.describe()
    assert "no Dask scheduler answered" in run.err or "cannot reach the Dask scheduler" in run.err, run.describe()
    assert run.seconds < 30, run.describe()
