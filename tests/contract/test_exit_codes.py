"""One meaning per exit code, everywhere; clear, fast errors for missing pieces; the evaluation gate; the summary.

The codes (chosen for issue 11): 0 done; 1 the input, the rules or the environment cannot be
used (a missing or unreadable file, a bad case, a failed check, an output path that cannot be
written, a missing optional package, an unreachable scheduler, a file in use), or some cases
could not be scored, or a gate failed; 2 the command line itself is malformed (unknown
command or option, missing argument, invalid option value); 3 a bug in triage; 130 and 143
(or death by SIGINT/SIGTERM, which a shell shows as the same numbers) interrupted.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from .helpers import EXAMPLES, ROOT, child_env, internal_error_signs, run_triage, spawn_pty

MISSING = [
    pytest.param(["assess", "missing.yaml"], id="assess"),
    pytest.param(["score", "nothere.jsonl"], id="score"),
    pytest.param(["coverage", "nothere"], id="coverage"),
]


@pytest.mark.parametrize("args", MISSING)
def test_a_missing_input_is_exit_1_with_a_message_naming_it(tmp_path: Path, args: list[str]) -> None:
    """A named input that does not exist is bad input: exit 1, 'triage: error: PATH: no such file ...' on stderr."""
    run = run_triage(args, cwd=tmp_path)
    assert run.returncode == 1 and not internal_error_signs(run), run.describe()
    first = run.err.splitlines()[0]
    assert first.startswith(f"triage: error: {args[1]}") and re.search(r"no such file", run.err, re.I), run.err


def test_a_folder_given_to_assess_is_exit_1(tmp_path: Path) -> None:
    """A folder where a case file is expected is bad input (exit 1), named in the message."""
    run = run_triage(["assess", str(EXAMPLES)], cwd=tmp_path)
    assert run.returncode == 1 and str(EXAMPLES) in run.err, run.describe()


@pytest.mark.parametrize("args", [
    ["score"], ["score", "EXAMPLES", "--workers", "0"], ["score", "EXAMPLES", "--format", "xml"],
    ["assess", "EXAMPLE", "--format", "xml"], ["assess"], ["coverage"], ["nonsense"],
    ["interview", "--format", "xml"], ["check", "--no-such-option"], ["score", "EXAMPLES", "--max-errors", "0"],
], ids=" ".join)
def test_a_malformed_command_line_is_exit_2(tmp_path: Path, args: list[str]) -> None:
    """A malformed command line (unknown option, missing argument, bad value) is exit 2; the inputs named exist."""
    paths = {"EXAMPLES": str(EXAMPLES), "EXAMPLE": str(EXAMPLES / "self-care.yaml")}
    run = run_triage([paths.get(a, a) for a in args], cwd=tmp_path)
    assert run.returncode == 2 and not internal_error_signs(run), run.describe()


def test_score_dash_reads_json_lines_from_standard_input(tmp_path: Path) -> None:
    """``triage score -`` reads JSON Lines from standard input, one line per case, sources ``<stdin>:N``."""
    lines = json.dumps({"id": "a", "age": 30, "region": "lumbar"}) + "\n" + json.dumps({"id": "b", "agee": 1}) + "\n"
    run = run_triage(["score", "-", "--workers", "1", "-q"], cwd=tmp_path, stdin=lines.encode())
    assert run.returncode == 1, run.describe()
    records = [json.loads(line) for line in run.out.splitlines()]
    assert [r["case_id"] for r in records] == ["a", "b"]
    assert [r["source"][-2:] for r in records] == [":1", ":2"]


# --- Dask --------------------------------------------------------------------------------------------

BLOCK_DASK = '''
import sys
class _NoDask:
    """Makes dask and distributed look not installed."""
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("dask", "distributed"):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None
sys.meta_path.insert(0, _NoDask())
'''
INSTALL = re.compile(r"pip install '[^']*\[dask\]'")


def test_dask_not_installed_is_a_clear_error(tmp_path: Path) -> None:
    """--dask without dask exits 1 at once with the install command that --help and the README give."""
    (tmp_path / "nodask").mkdir()
    (tmp_path / "nodask" / "sitecustomize.py").write_text(BLOCK_DASK)
    env = child_env(PYTHONPATH=str(tmp_path / "nodask"))
    run = run_triage(["score", str(EXAMPLES), "--dask", "tcp://127.0.0.1:9", "-q"], cwd=tmp_path, env=env, timeout=20)
    assert run.returncode == 1 and not internal_error_signs(run) and run.seconds < 10, run.describe()
    hint = INSTALL.search(run.err)
    assert hint, run.err
    helped = run_triage(["score", "--help"], cwd=tmp_path, env=env)
    assert hint.group() in " ".join(helped.out.split()), helped.out
    assert hint.group() in (ROOT / "README.md").read_text()


def test_dask_unreachable_scheduler_is_a_quick_clear_error(tmp_path: Path) -> None:
    """--dask naming an address where no scheduler listens exits 1 within 8 s, naming the address."""
    run = run_triage(["score", str(EXAMPLES), "--dask", "tcp://127.0.0.1:9", "-q"], cwd=tmp_path, timeout=10)
    assert run.returncode == 1 and not internal_error_signs(run), run.describe()
    assert run.seconds < 8 and "tcp://127.0.0.1:9" in run.err, run.describe()


# --- evaluation -------------------------------------------------------------------------------------

def evaluation_folder(tmp_path: Path, under: bool) -> Path:
    """Cases with an expected level: one over-triaged, and (if ``under``) one under-triaged."""
    folder = tmp_path / ("with-under" if under else "without-under")
    folder.mkdir()
    (folder / "over.yaml").write_text("id: over-case\nsaddle_numbness: true\nregion: lumbar\nexpected_urgency: self_care\n")
    (folder / "exact.yaml").write_text((EXAMPLES / "cauda-equina.yaml").read_text() + "expected_urgency: emergency\n")
    if under:
        (folder / "under.yaml").write_text("id: under-case\nregion: lumbar\nexpected_urgency: emergency\n")
    return folder


def test_evaluate_gate_fails_on_under_triage(tmp_path: Path) -> None:
    """``--evaluate --fail-on-under-triage`` exits 1 naming each under-triaged case, and 0 when there is none."""
    failing = run_triage(["score", str(evaluation_folder(tmp_path, True)), "--evaluate", "--fail-on-under-triage",
                          "--workers", "1", "-q"], cwd=tmp_path)
    assert failing.returncode == 1 and "under-case" in failing.err, failing.describe()
    passing = run_triage(["score", str(evaluation_folder(tmp_path, False)), "--evaluate", "--fail-on-under-triage",
                          "--workers", "1", "-q"], cwd=tmp_path)
    assert passing.returncode == 0, passing.describe()


def test_evaluate_lists_over_triaged_cases(tmp_path: Path) -> None:
    """The evaluation lists over-triaged cases as it lists under-triaged ones: id, expected and assessed level."""
    run = run_triage(["score", str(evaluation_folder(tmp_path, True)), "--evaluate", "--workers", "1", "-q"],
                     cwd=tmp_path)
    assert run.returncode == 0, run.describe()
    assert re.search(r"over-case: expected self_care, assessed emergency", run.err), run.err


def test_summary_names_the_first_errors(tmp_path: Path) -> None:
    """The summary after a run with errors names the first few failed cases with their sources."""
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "good.yaml").write_text((EXAMPLES / "self-care.yaml").read_text())
    (folder / "bad.json").write_text('{"id": "bad-case", "agee": 3}')
    run = run_triage(["score", "in", "--workers", "1", "-o", "out.jsonl"], cwd=tmp_path)
    assert run.returncode == 1, run.describe()
    assert "in/bad.json" in run.err and "bad-case" in run.err, run.err


def test_progress_shows_how_far_for_a_file_of_known_size(tmp_path: Path) -> None:
    """In a terminal, scoring a JSON Lines file (its size is known) shows how far it has got, as a percentage."""
    import pexpect

    case = json.dumps({"age": 40, "region": "lumbar", "pain_score": 3})
    (tmp_path / "cases.jsonl").write_text((case + "\n") * 3000)
    child = spawn_pty(["score", "cases.jsonl", "--workers", "1", "-o", "out.jsonl"], cwd=tmp_path, timeout=60)
    child.expect(pexpect.EOF)
    drawn = child.before.decode("utf-8", "replace")
    child.close()
    assert re.search(r"\d+%", drawn), drawn[-600:]
