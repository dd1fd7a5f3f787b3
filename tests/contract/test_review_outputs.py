"""What triage writes when the reviewer's faults happen (issue 11): encodings, signals, terminals, output names.

Standard output whose encoding lacks a character (``PYTHONIOENCODING=latin-1``) gets an
escape, never an exit 3 that loses the batch; SIGHUP (a closed terminal) is handled like
SIGTERM; the interview escapes what it echoes; output options that contradict each other are
refused before any work.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .helpers import child_env, internal_error_signs, run_triage

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
