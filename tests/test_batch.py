"""Batch scoring: every input format, broken cases among good ones, parallel and Dask, atomic output."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from triage.assess.assessor import Assessor
from triage.assess.outcome import Outcome
from triage.batch.dask import score_bag, score_with_dask
from triage.batch.inputs import read_records
from triage.batch.scoring import score_records
from triage.cases import load_case
from triage.cli import cli

from .conftest import CASES_DIR, ROOT, all_no_answers

GOOD_FILES = ["ces-suspected.fires.yaml", "night-pain.near-miss.yaml", "claudication.fires.yaml"]


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """A folder of good cases in every format, with broken cases of every kind among them."""
    folder = tmp_path / "in"
    (folder / "sub").mkdir(parents=True)
    for name in GOOD_FILES:
        (folder / name).write_text((CASES_DIR / name).read_text())
    (folder / "sub" / "neck.json").write_text((ROOT / "examples" / "neck-partial.json").read_text())
    (folder / "sub" / "unknown-field.json").write_text('{"agee": 40}')
    (folder / "sub" / "wrong-type.yaml").write_text("age: forty\n")
    (folder / "sub" / "out-of-range.json").write_text('{"pain_score": 11}')
    (folder / "empty.yaml").write_text("")
    (folder / "junk.json").write_bytes(b"\x89PNG\x00\x01\x02binary")
    (folder / "latin1.json").write_bytes(b'{"description": "caf\xe9"}')
    (folder / "lines.jsonl").write_text(
        json.dumps({"id": "line-good", **all_no_answers(fever=True)}) + "\n"
        '{"age": 40,\n'
        "\n"
        '{"id": "line-range", "age": 130}\n'
        "[1, 2]\n"
    )
    (folder / "rows.csv").write_text(
        "id,age,region,fever,night_pain,pain_score\n"
        "row-good,30,lumbar,no,yes,5\n"
        "row-bad,30,lumbar,maybe,,11\n"
        ",,,,,\n"
        "row-short,70\n"
    )
    return folder


EXPECTED_ERRORS = {
    "unknown-field": "field 'agee': unknown field (did you mean 'age'?)",
    "wrong-type": "field 'age': expected a whole number, got 'forty'",
    "out-of-range": "field 'pain_score': 11 is out of range: must be at most 10",
    "empty": "the file is empty",
    "junk": "this is not a text file: a NUL byte on line 1",
    "latin1": "not UTF-8 text: line 1, column 21: the byte 0xe9 cannot be decoded",
    "lines:2": "not valid JSON: column 12: Expecting property name enclosed in double quotes",
    "line-range": "field 'age': 130 is out of range: must be at most 120",
    "lines:5": "a case is a mapping of question names to answers, but the file holds a list",
    "row-bad": "field 'fever': expected yes/no (yes, no, true, false, y, n, 1 or 0), got 'maybe'; "
               "field 'pain_score': 11 is out of range: must be at most 10",
    "rows:row 5": "the row has 2 cells but the header has 6",
}
GOOD_IDS = ["ces-suspected.fires", "claudication.fires", "line-good", "night-pain.near-miss", "row-good",
            "example-neck-partial"]


def score_cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["score", *args])
    return result.exit_code, result.output


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_broken_cases_never_stop_a_batch(corpus: Path, tmp_path: Path) -> None:
    """One line per input case; each broken case names itself and its error; good cases are scored."""
    out = tmp_path / "out.jsonl"
    code, output = score_cli(str(corpus), "-o", str(out), "--workers", "1")
    assert code == 1, output
    lines = read_jsonl(out)
    assert len(lines) == len(EXPECTED_ERRORS) + len(GOOD_IDS)
    errors = {line["case_id"]: line["error"] for line in lines if "error" in line}
    assert errors == EXPECTED_ERRORS
    assert sorted(line["case_id"] for line in lines if "urgency" in line) == sorted(GOOD_IDS)
    assert all(line["source"].startswith(str(corpus)) for line in lines)
    assert "errors                     11" in output and "cases                      17" in output


def test_good_cases_score_as_triage_assess_does(corpus: Path, tmp_path: Path, assessor: Assessor) -> None:
    """A batch line is the JSON of triage assess for the same case, plus its source."""
    out = tmp_path / "out.jsonl"
    score_cli(str(corpus), "-o", str(out), "--workers", "1")
    by_id = {line["case_id"]: line for line in read_jsonl(out)}
    for name in GOOD_FILES:
        case = load_case(corpus / name)
        expected = json.loads(assessor.assess(case).model_dump_json())
        assert {k: v for k, v in by_id[case.id].items() if k != "source"} == expected


def test_input_order_is_kept_and_formats_mix(corpus: Path, tmp_path: Path) -> None:
    """Files are read in the order given (folders sorted), lines and rows in file order."""
    out = tmp_path / "out.jsonl"
    score_cli(str(corpus / "rows.csv"), str(corpus / "lines.jsonl"), str(corpus / GOOD_FILES[0]), "-o", str(out),
              "--workers", "1")
    assert [line["case_id"] for line in read_jsonl(out)] == [
        "row-good", "row-bad", "rows:row 5", "line-good", "lines:2", "line-range", "lines:5", "ces-suspected.fires"]


def test_csv_output(corpus: Path, tmp_path: Path) -> None:
    """CSV output is flattened: id, source, urgency, surgical flag, complete, fired rules, error."""
    out = tmp_path / "out.csv"
    score_cli(str(corpus / "rows.csv"), str(corpus / "ces-suspected.fires.yaml"), "-o", str(out), "--workers", "1")
    rows = out.read_text().splitlines()
    assert rows[0] == "case_id,source,urgency,surgical_consultation,complete,fired_rules,error"
    assert rows[1] == f"row-good,{corpus / 'rows.csv'}:row 2,soon,no,no,advice-lower-back night-pain,"
    assert rows[3] == f"rows:row 5,{corpus / 'rows.csv'}:row 5,,,,,the row has 2 cells but the header has 6"
    assert rows[4].startswith("ces-suspected.fires,") and ",emergency,yes,yes," in rows[4]


def test_parallel_workers_give_identical_results(corpus: Path) -> None:
    """Two worker processes give the same lines in the same order as one."""
    records = list(read_records([str(corpus)])) * 30
    one = [s.json_line for s in score_records(records, workers=1)]
    two = [s.json_line for s in score_records(records, workers=2, chunk_size=7)]
    assert one == two


def test_dask_local_cluster_gives_identical_results(corpus: Path) -> None:
    """Scoring on a dask.distributed LocalCluster with worker processes matches the local run."""
    import dask.bag as db
    import distributed  # a test dependency: never skipped

    records = list(read_records([str(corpus)])) * 5
    local = [s.json_line for s in score_records(records, workers=1)]
    with distributed.LocalCluster(  # type: ignore[no-untyped-call]
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0", scheduler_port=0,
    ) as cluster:
        remote = [s.json_line for s in score_with_dask(records, cluster.scheduler_address, partitions=4)]
        with distributed.Client(cluster) as client:  # type: ignore[no-untyped-call]
            dicts = [all_no_answers(id="bag-1"), all_no_answers(id="bag-2", saddle_numbness=True), {"agee": 1}]
            bagged = score_bag(db.from_sequence(dicts, npartitions=2)).compute(scheduler=client.get)  # type: ignore[no-untyped-call]
    assert remote == local
    assert [b.get("urgency") for b in bagged] == ["self_care", "emergency", None]
    assert bagged[2]["error"] == "field 'agee': unknown field (did you mean 'age'?)"


def test_exit_codes_and_fail_fast(corpus: Path, tmp_path: Path) -> None:
    """0 when every case scored; 1 when some could not or an input is missing or of no case kind; 2 for usage."""
    assert score_cli(str(corpus / GOOD_FILES[0]), "-o", str(tmp_path / "a.jsonl"), "--workers", "1")[0] == 0
    assert score_cli(str(tmp_path / "missing-folder"))[0] == 1
    (tmp_path / "notes.txt").write_text("hello")
    assert score_cli(str(tmp_path / "notes.txt"))[0] == 1
    assert score_cli(str(corpus), "--workers", "0")[0] == 2
    out = tmp_path / "ff.jsonl"
    code, output = score_cli(str(corpus), "-o", str(out), "--workers", "1", "--fail-fast")
    assert code == 1 and "stopped after 1 case(s) could not be scored (3 written)" in output
    assert [line.get("error") is None for line in read_jsonl(out)] == [True, True, False]


def test_evaluation_reports_under_triage(tmp_path: Path) -> None:
    """--evaluate gives the confusion matrix, accuracy and the under-triaged cases by id."""
    lines = [
        {"id": "right", **all_no_answers(), "expected_urgency": "self_care", "expected_surgical": False},
        {"id": "missed", **all_no_answers(saddle_numbness=True), "expected_urgency": "urgent"},
        {"id": "under", **all_no_answers(), "expected_urgency": "emergency", "expected_surgical": True},
    ]
    path = tmp_path / "vignettes.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    code, output = score_cli(str(path), "-o", str(tmp_path / "o.jsonl"), "--workers", "1", "--evaluate", "-q")
    assert code == 0
    assert "exact accuracy: 33.3%" in output
    assert "under-triage: 1 case(s)  (the safety figure)\n  - under: expected emergency, assessed self_care" in output
    assert "over-triage: 1 case(s)" in output
    assert "surgical flag agreement: 1/2 (50.0%)" in output


def test_golden_cases_evaluate_without_under_triage(tmp_path: Path) -> None:
    """Scoring tests/cases with --evaluate: every case at its expected level."""
    code, output = score_cli(str(CASES_DIR), "-o", str(tmp_path / "g.jsonl"), "--workers", "1", "--evaluate", "-q")
    assert code == 0 and "exact accuracy: 100.0%" in output and "under-triage: 0 case(s)" in output


def test_interrupt_leaves_no_partial_output(tmp_path: Path) -> None:
    """Ctrl-C during a run exits 130 and leaves the previous output file as it was, with no partial file."""
    big = tmp_path / "big.jsonl"
    line = json.dumps(all_no_answers(night_pain=True)) + "\n"
    big.write_text(line * 40_000)
    out = tmp_path / "out.jsonl"
    out.write_text("previous good output\n")
    proc = subprocess.Popen([sys.executable, "-m", "triage", "score", str(big), "-o", str(out), "--workers", "1"],
                            cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while not list(tmp_path.glob(".out.jsonl.*.partial")) and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert out.read_text() == "previous good output\n"
    assert sorted(os.listdir(tmp_path)) == ["big.jsonl", "out.jsonl"]


def test_a_bug_in_one_case_costs_that_case_only(corpus: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An unexpected exception while assessing one case becomes its error line; the others are scored."""
    from triage.batch import scoring

    real = Assessor.outcome

    def flaky(self: Assessor, answers: dict[str, Any], case_id: str | None = None) -> Outcome:
        if case_id == "claudication.fires":
            raise ZeroDivisionError("boom")
        return real(self, answers, case_id)

    monkeypatch.setattr(Assessor, "outcome", flaky)
    scoring._assessors.clear()
    lines = [json.loads(s.json_line) for s in score_records(read_records([str(corpus)]), workers=1)]
    scoring._assessors.clear()
    assert {line["case_id"]: line.get("error") for line in lines}["claudication.fires"] == \
        "internal error: ZeroDivisionError: boom"
    assert sum("urgency" in line for line in lines) == len(GOOD_IDS) - 1


def test_large_inputs_are_read_a_line_at_a_time(tmp_path: Path) -> None:
    """JSON Lines and CSV are streamed: a bad byte costs its own line, and nothing is read ahead."""
    jsonl = tmp_path / "mixed.jsonl"
    jsonl.write_bytes(b'{"id": "a", "age": 40}\n{"id": "b", "description": "caf\xe9"}\n{"id": "c", "age": 41}\n')
    records = read_records([str(jsonl)])
    first = next(records)
    assert first.text == '{"id": "a", "age": 40}'
    rest = list(records)
    assert rest[0].error == "not UTF-8 text: line 2, column 32: the byte 0xe9 cannot be decoded"
    assert rest[1].text == '{"id": "c", "age": 41}'


def test_csv_cells_of_the_golden_case_fields_are_converted() -> None:
    """In CSV, expected_complete is a yes/no flag and expected_unanswered a list of names, as in case files."""
    from triage.batch.inputs import csv_row_to_data

    data, problems = csv_row_to_data({"id": "c1", "expected_complete": "no", "expected_surgical": "yes",
                                      "expected_unanswered": "fever; night_pain  weakness", "expected_rules": "a b"})
    assert problems == []
    assert data == {"id": "c1", "expected_complete": False, "expected_surgical": True,
                    "expected_unanswered": ["fever", "night_pain", "weakness"], "expected_rules": ["a", "b"]}
    _, problems = csv_row_to_data({"expected_complete": "perhaps"})
    assert problems == ["field 'expected_complete': expected yes/no (yes, no, true, false, y, n, 1 or 0), got 'perhaps'"]


def test_a_csv_case_with_golden_fields_scores_like_its_yaml(tmp_path: Path) -> None:
    """A golden case written as a CSV row is read with the same expected_* values as the same case in YAML."""
    from triage.batch.inputs import read_records, to_case

    (tmp_path / "g.csv").write_text("id,region,fever,expected_complete,expected_unanswered\n"
                                    "g1,lumbar,yes,no,night_pain;saddle_numbness\n")
    (tmp_path / "g.yaml").write_text("id: g1\nregion: lumbar\nfever: true\nexpected_complete: false\n"
                                     "expected_unanswered: [night_pain, saddle_numbness]\n")
    from_csv, from_yaml = (to_case(record) for record in read_records([str(tmp_path)]))
    assert from_csv == from_yaml


def test_a_cell_spanning_lines_costs_the_lines_that_open_and_close_it(tmp_path: Path) -> None:
    """A quoted cell holding a line break is refused on the line that opens it and the one that closes it."""
    from triage.batch.inputs import read_records

    (tmp_path / "m.csv").write_text('id,description,age\nc1,"first line\nsecond line",30\nc2,"one ""quoted"" line",40\n')
    records = list(read_records([str(tmp_path / "m.csv")]))
    assert [(r.source.rsplit(":", 1)[1], r.error is None) for r in records] == \
        [("row 2", False), ("row 3", False), ("row 4", True)]
    assert all("unbalanced quote" in (r.error or "") for r in records[:2])
    assert records[2].row == {"id": "c2", "description": 'one "quoted" line', "age": "40"}


def test_a_reader_that_goes_away_stops_the_run_quietly(tmp_path: Path) -> None:
    """``triage score ... | head -1``: when the output pipe closes, the run stops with 141 and no traceback."""
    big = tmp_path / "many.jsonl"
    big.write_text((json.dumps(all_no_answers()) + "\n") * 20_000)
    proc = subprocess.Popen([sys.executable, "-m", "triage", "score", str(big), "--workers", "2", "-q"], cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None
    first = proc.stdout.readline()
    proc.stdout.close()
    _, err = proc.communicate(timeout=60)
    assert json.loads(first)["urgency"] and proc.returncode == 141, err
    assert b"Traceback" not in err and b"internal error" not in err, err
