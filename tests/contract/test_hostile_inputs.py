"""One test per hostile input of issue 11: each bad case costs its own line, located, and nothing else.

The contract: ``triage score`` writes exactly one line per case, exits 1 when some case could
not be scored (never 3), and every error line names the file, the case and the field or line;
``triage assess`` exits 1 with the same located reasons. A case is counted as in
``tests/contract/corpus.py``: a CSV line is one case even when it is broken, since a cell
never spans lines in a triage CSV (a stray quote costs its own row; reading resumes at the
next line).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from .helpers import (
    MAX_ERROR_LINE,
    RAW_CONTROL,
    csv_rows,
    error_record_defects,
    internal_error_signs,
    jsonl_records,
    run_in_pty,
    run_triage,
    strict_text,
    unlocated,
)

GOOD: dict[str, Any] = {"id": "good-one", "age": 40, "region": "lumbar", "pain_score": 3, "saddle_numbness": False}


def score(folder: Path, *extra: str, fmt: str = "jsonl", to_file: bool = True, timeout: float = 60) -> tuple[Any, list[dict[str, Any]], list[str]]:
    """``triage score`` over ``folder`` (1 worker): the run, its output records, and defects of the output itself."""
    target = folder.parent / f"out.{fmt}"
    target.unlink(missing_ok=True)
    args = ["score", folder.name, "--workers", "1", "-q", "--format", fmt, *extra]
    run = run_triage([*args, "-o", target.name] if to_file else args, cwd=folder.parent, timeout=timeout)
    defects = list(internal_error_signs(run))
    data = target.read_bytes() if to_file and target.exists() else run.stdout
    text = strict_text(data, "output", defects)
    if fmt == "jsonl":
        records = jsonl_records(text, defects)
    else:
        records = [{**row, "error": row.get("error") or None} for row in csv_rows(text, defects)]
    return run, records, defects


def folder_with(tmp_path: Path, files: Mapping[str, bytes | str]) -> Path:
    """An input folder holding ``files`` (by name) and one good case."""
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "good.json").write_text(json.dumps(GOOD))
    for name, data in files.items():
        path = folder / name
        path.write_bytes(data if isinstance(data, bytes) else data.encode())
    return folder


def errors_of(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The error lines among the output records."""
    return [r for r in records if r.get("error")]


def assert_good_scored(records: list[dict[str, Any]]) -> None:
    """The good case of ``folder_with`` is in the output, scored."""
    good = [r for r in records if r.get("case_id") == GOOD["id"]]
    assert len(good) == 1 and good[0].get("urgency"), records


# --- unpaired surrogates ---------------------------------------------------------------------

SURROGATE_KEYS = {
    "key.json": '{"id": "bad", "\\ud800": 1}',
    "key.jsonl": '{"id": "bad-1", "\\ud800": 1}\n{"id": "ok-2", "age": 30}\n{"id": "bad-3", "\\udfff\\ud800": 2}\n',
    "key.yaml": 'id: bad\n"\\ud800": 1\n',
}


@pytest.mark.parametrize("name", sorted(SURROGATE_KEYS))
def test_surrogate_key_costs_its_own_line(tmp_path: Path, name: str) -> None:
    """A key holding an unpaired surrogate (JSON, JSON Lines, YAML) is one located error line; the batch goes on (exit 1)."""
    folder = folder_with(tmp_path, {name: SURROGATE_KEYS[name]})
    run, records, defects = score(folder)
    assert not defects and run.returncode == 1, (defects, run.describe())
    cases = SURROGATE_KEYS[name].count("\n") if name.endswith(".jsonl") else 1
    assert len(records) == 1 + cases
    assert_good_scored(records)
    bad = errors_of(records)
    assert len(bad) == (2 if name.endswith(".jsonl") else 1)
    for record in bad:
        assert not error_record_defects(record, "in/"), record
        assert "surrogate" in record["error"]


@pytest.mark.parametrize(("name", "text"), [
    pytest.param("value.json", '{"id": "bad", "region": "\\ud800"}', id="value.json"),
    pytest.param("value.yaml", 'id: bad\nregion: "\\udc80"\n', id="value.yaml"),
    pytest.param("value.jsonl", '{"id": "bad", "sex": "\\udfff"}\n', id="value.jsonl"),
    pytest.param("id.jsonl", '{"id": "\\ud83d", "age": 3}\n', id="id.jsonl"),
])
def test_surrogate_value_costs_its_own_line(tmp_path: Path, name: str, text: str) -> None:
    """A value (or id) holding an unpaired surrogate is one error line naming the field; the good case is scored."""
    folder = folder_with(tmp_path, {name: text})
    run, records, defects = score(folder)
    assert not defects and run.returncode == 1, (defects, run.describe())
    assert len(records) == 2
    assert_good_scored(records)
    (bad,) = errors_of(records)
    assert not error_record_defects(bad, "in/") and "surrogate" in bad["error"], bad


# --- file names ----------------------------------------------------------------------------------

@pytest.mark.parametrize("to_file", [True, False], ids=["to -o", "to stdout"])
def test_non_utf8_file_name_is_scored_with_a_printable_source(tmp_path: Path, to_file: bool) -> None:
    """A case file whose name is not UTF-8 is scored like any other; its source shows the name escaped, in valid UTF-8."""
    folder = folder_with(tmp_path, {})
    (folder / os.fsdecode(b"caf\xe9-\xff.yaml")).write_text("id: odd-name\nage: 30\nregion: lumbar\n")
    run, records, defects = score(folder, to_file=to_file)
    assert not defects and run.returncode == 0, (defects, run.describe())
    assert len(records) == 2 and all(r.get("urgency") for r in records)
    odd = next(r for r in records if r["case_id"] == "odd-name")
    assert odd["source"].startswith("in/caf") and odd["source"].endswith(".yaml")


# --- CSV -----------------------------------------------------------------------------------------

def csv_file(rows: int, header: str = "id,age,region") -> list[bytes]:
    """Lines of a CSV file: the header and ``rows`` good rows c1..cN."""
    return [header.encode()] + [f"c{i},30,lumbar".encode() for i in range(1, rows + 1)]


def test_csv_invalid_byte_costs_its_row_only(tmp_path: Path) -> None:
    """An invalid UTF-8 byte in row 4 of a 10-row CSV gives one error line naming row 4; the other 9 rows are scored."""
    lines = csv_file(10)
    lines[3] = b"c3,3\xff,lumbar"
    folder = folder_with(tmp_path, {"rows.csv": b"\n".join(lines) + b"\n"})
    run, records, defects = score(folder)
    assert not defects and run.returncode == 1, (defects, run.describe())
    assert len(records) == 11
    (bad,) = errors_of(records)
    assert bad["source"] == "in/rows.csv:row 4" and not error_record_defects(bad, "in/"), bad
    assert sorted(r["case_id"] for r in records if r.get("urgency")) == sorted(
        [GOOD["id"], *(f"c{i}" for i in range(1, 11) if i != 3)])


def test_csv_invalid_byte_in_a_large_file_names_the_right_row(tmp_path: Path) -> None:
    """In a 1,000-row CSV an invalid byte in the row of c500 (line 501) is reported at row 501; 999 rows are scored."""
    lines = csv_file(1000)
    lines[500] = b"c500,30,lumb\xe9r"
    folder = folder_with(tmp_path, {"rows.csv": b"\n".join(lines) + b"\n"})
    run, records, defects = score(folder)
    assert not defects and run.returncode == 1, (defects, run.describe())
    assert len(records) == 1001
    (bad,) = errors_of(records)
    assert bad["source"] == "in/rows.csv:row 501", bad


def test_csv_unbalanced_quote_costs_its_row_only(tmp_path: Path) -> None:
    """A stray quote (``c2,30,"lumbar``) is an error of row 3 only; c1 and c3-c5 on the next lines are scored."""
    text = 'id,age,region\nc1,30,lumbar\nc2,30,"lumbar\nc3,30,lumbar\nc4,30,lumbar\nc5,30,lumbar\n'
    folder = folder_with(tmp_path, {"quote.csv": text})
    run, records, defects = score(folder)
    assert not defects and run.returncode == 1, (defects, run.describe())
    assert len(records) == 6
    (bad,) = errors_of(records)
    assert bad["source"] == "in/quote.csv:row 3" and "quote" in bad["error"], bad
    assert {r["case_id"] for r in records if r.get("urgency")} == {GOOD["id"], "c1", "c3", "c4", "c5"}


def test_csv_duplicate_column_is_refused_like_a_duplicate_key(tmp_path: Path) -> None:
    """A header naming 'age' twice makes each row an error naming the column, as a key given twice in JSON is."""
    folder = folder_with(tmp_path, {"dup.csv": "id,age,age,region\nc1,30,80,lumbar\nc2,40,40,lumbar\n"})
    run, records, defects = score(folder)
    assert not defects and run.returncode == 1, (defects, run.describe())
    assert len(records) == 3
    bad = errors_of(records)
    assert len(bad) == 2 and all("'age'" in r["error"] and "twice" in r["error"] for r in bad), bad


def test_csv_oversized_cell_names_its_column(tmp_path: Path) -> None:
    """A 200,000-character cell is an error of its row naming its column ('region'); the next row is scored."""
    text = "id,region\nc1," + "x" * 200_000 + "\nc2,lumbar\n"
    folder = folder_with(tmp_path, {"big.csv": text})
    run, records, defects = score(folder)
    assert not defects and run.returncode == 1, (defects, run.describe())
    assert len(records) == 3
    (bad,) = errors_of(records)
    assert bad["source"] == "in/big.csv:row 2" and "'region'" in bad["error"], bad
    assert len(json.dumps(bad)) < MAX_ERROR_LINE


def test_csv_short_and_long_rows_cost_their_own_lines(tmp_path: Path) -> None:
    """Rows with too few or too many cells are error lines naming their rows; the rows around them are scored."""
    folder = folder_with(tmp_path, {"rows.csv": "id,age,region\nc1,30,lumbar\nc2\nc3,30,lumbar,extra,cells\nc4,30,lumbar\n"})
    run, records, defects = score(folder)
    assert not defects and run.returncode == 1, (defects, run.describe())
    assert len(records) == 5
    assert sorted(r["source"] for r in errors_of(records)) == ["in/rows.csv:row 3", "in/rows.csv:row 4"]


# --- located reasons -----------------------------------------------------------------------------

UNLOCATED = {
    "deep.json": '{"id": "deep", "description": ' + "[" * 50_000 + "]" * 50_000 + "}",
    "deep.yaml": "id: deep\ndescription: " + "[" * 50_000 + "]" * 50_000 + "\n",
    "digits.json": '{"id": "digits", "age": ' + "9" * 5000 + "}",
    "digits.yaml": "id: digits\nage: " + "9" * 5000 + "\n",
    "hex.yaml": "id: hex\nage: 0x" + "f" * 4000 + "\n",  # under 4,300 characters, but 4,817 decimal digits
    "binary.yaml": "id: binary\nage: 0b" + "1" * 15_000 + "\n",
    "underscores.yaml": "id: underscores\nage: " + "9_" * 4400 + "9\n",
    "escape.yaml": "id: esc\x1b[31m\nage: 30\n",
}


@pytest.mark.parametrize("name", sorted(UNLOCATED))
def test_every_reason_names_a_field_or_line(tmp_path: Path, name: str) -> None:
    """Deep nesting, 5,000 digits (decimal, hexadecimal, binary, underscored), a control character in YAML: score's and
    assess's reasons name field or line."""
    folder = folder_with(tmp_path, {name: UNLOCATED[name]})
    run, records, defects = score(folder)
    assert not defects and run.returncode == 1, (defects, run.describe())
    (bad,) = errors_of(records)
    assert not error_record_defects(bad, "in/"), bad
    assessed = run_triage(["assess", f"in/{name}"], cwd=tmp_path)
    assert assessed.returncode == 1 and not internal_error_signs(assessed), assessed.describe()
    reasons = [line[4:] for line in assessed.err.splitlines() if line.startswith("  - ")]
    assert reasons and not [r for r in reasons if unlocated(f"in/{name}", r)], assessed.err


# --- YAML tags and bombs -------------------------------------------------------------------------

def test_yaml_tags_never_run_code_and_bombs_stay_small(tmp_path: Path) -> None:
    """Python tags are refused (no code runs), unknown tags are errors, and a billion-laughs bomb is refused quickly."""
    marker = tmp_path / "PWNED"
    bomb = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    bomb += [f"{n}: &{n} [{', '.join(['*' + p] * 9)}]" for p, n in zip("abcdefgh", "bcdefghi", strict=False)]
    folder = folder_with(tmp_path, {
        "apply.yaml": f'!!python/object/apply:os.system ["touch {marker}"]\n',
        "new.yaml": f'id: new\nage: !!python/object/new:subprocess.check_output [["touch", "{marker}"]]\n',
        "custom.yaml": "id: custom\nage: !custom 3\n",
        "bomb.yaml": "id: bomb\n" + "\n".join("x" + line for line in bomb) + "\nexpected_rules: *i\n",
    })
    run, records, defects = score(folder, timeout=30)
    assert not defects and run.returncode == 1, (defects, run.describe())
    assert not marker.exists()
    assert len(records) == 5 and len(errors_of(records)) == 4
    assert run.seconds < 20 and run.max_rss_mb < 1000, run.describe()


# --- hostile ids ---------------------------------------------------------------------------------

ESCAPE_ID = "esc\x1b[31mRED\x1b]0;PWNED-TITLE\x07\u009b2J"


def test_escape_sequences_never_reach_csv_output(tmp_path: Path) -> None:
    """A case id with escape sequences (CSI, OSC ... BEL, C1) is written with its control characters escaped."""
    folder = folder_with(tmp_path, {"esc.json": json.dumps({"id": ESCAPE_ID, "age": 30}),
                                    "esc-bad.json": json.dumps({"id": ESCAPE_ID, "agee": 30})})
    for fmt in ("csv", "jsonl"):
        run, records, defects = score(folder, fmt=fmt, to_file=False)
        assert not defects and run.returncode == 1, (defects, run.describe())
        assert RAW_CONTROL.search(run.stdout) is None, run.stdout[:500]
        assert len(records) == 3


def test_escape_sequences_never_reach_the_terminal(tmp_path: Path) -> None:
    """In a terminal, assess shows an id's escape sequences as text, in the assessment and in an error message."""
    (tmp_path / "esc.json").write_text(json.dumps({"id": ESCAPE_ID, "age": 30}))
    (tmp_path / "bad.json").write_text(json.dumps({"id": ESCAPE_ID, "agee": 30}))
    for name, code in (("esc.json", 0), ("bad.json", 1)):
        shown = run_in_pty(["assess", name], cwd=tmp_path)
        assert shown.exitstatus == code, shown.text
        for raw in (b"\x1b[31mRED", b"\x1b]0;PWNED", b"\x07", "\u009b".encode()):
            assert raw not in shown.output, (name, raw, shown.output[:400])


def test_formula_ids_are_quoted_in_csv_output(tmp_path: Path) -> None:
    """CSV output writes ids starting with = + - @ tab or CR with a leading single quote (OWASP), one row each."""
    ids = ['=HYPERLINK("http://example.invalid","x")', "+1+1", "-2+3", "@SUM(1)", "\t=1", "\r=1"]
    files = {f"f{n}.json": json.dumps({"id": case_id, "age": 30}) for n, case_id in enumerate(ids)}
    folder = folder_with(tmp_path, files)
    run, records, defects = score(folder, fmt="csv")
    assert not defects and run.returncode == 0, (defects, run.describe())
    assert len(records) == len(ids) + 1
    by_source = {r["source"]: r["case_id"] for r in records}
    assert [by_source[f"in/f{n}.json"] for n in range(len(ids))] == ["'" + i for i in ids]


# --- links, empty and binary files ---------------------------------------------------------------

def test_links_out_of_the_folder_are_not_followed(tmp_path: Path) -> None:
    """A symbolic link inside an input folder pointing outside it is one error line naming the link, never read."""
    outside = tmp_path / "outside"
    outside.mkdir()
    marker = "SECRET-7f3a-first-line"
    (outside / "passwd").write_text(f"{marker}:x:0:0:root:/root:/bin/bash\n")
    (outside / "secret.yaml").write_text(f"{marker}: 1\n")
    folder = folder_with(tmp_path, {})
    for name, target in (("a.yaml", "secret.yaml"), ("b.csv", "passwd"), ("c.jsonl", "passwd"), ("d.json", "passwd")):
        (folder / name).symlink_to(outside / target)
    for fmt in ("jsonl", "csv"):
        run, records, defects = score(folder, fmt=fmt)
        assert not defects and run.returncode == 1, (defects, run.describe())
        output = (tmp_path / f"out.{fmt}").read_text()
        assert marker not in output and marker not in run.err
        assert len(records) == 5
        links = errors_of(records)
        assert sorted(r["source"] for r in links) == ["in/a.yaml", "in/b.csv", "in/c.jsonl", "in/d.json"]
        assert all("link" in r["error"] for r in links), links


def test_empty_and_binary_files_are_one_located_line_each(tmp_path: Path) -> None:
    """Empty and binary .json, .yaml, .jsonl and .csv files each give one error line naming the file and the reason."""
    files: dict[str, bytes | str] = {}
    for suffix in ("json", "yaml", "jsonl", "csv"):
        files[f"empty.{suffix}"] = b""
        files[f"binary.{suffix}"] = b"\x00\x89PNG\x01\x02\xff\xfe binary"
    folder = folder_with(tmp_path, files)
    run, records, defects = score(folder)
    assert not defects and run.returncode == 1, (defects, run.describe())
    assert len(records) == 9
    bad = errors_of(records)
    assert len(bad) == 8 and not [d for r in bad for d in error_record_defects(r, "in/")], bad


# --- caps on what is echoed ----------------------------------------------------------------------

def test_a_huge_value_is_not_echoed_in_full(tmp_path: Path) -> None:
    """A 10 MB invalid value gives an error line (score) and a message (assess) of at most 64 KB, naming the field."""
    folder = folder_with(tmp_path, {"huge.json": json.dumps({"id": "huge", "region": "x" * 10_000_000})})
    run, records, defects = score(folder)
    assert not defects and run.returncode == 1, (defects, run.describe())
    (bad,) = errors_of(records)
    assert len(json.dumps(bad)) <= MAX_ERROR_LINE and "'region'" in bad["error"]
    assessed = run_triage(["assess", "in/huge.json"], cwd=tmp_path)
    assert assessed.returncode == 1 and len(assessed.stderr) <= MAX_ERROR_LINE, assessed.describe()


def test_a_million_unknown_fields_are_refused_quickly(tmp_path: Path) -> None:
    """A case with 600,000 unknown fields (7.6 MB, under the 10 MiB a case file may be) is refused (exit 1) within
    10 s, under 600 MB, with a short message."""
    data = {"id": "many", **{f"u{i}": 1 for i in range(600_000)}}
    (tmp_path / "many.json").write_text(json.dumps(data))
    run = run_triage(["assess", "many.json"], cwd=tmp_path, timeout=10, memory_limit_mb=3000)
    assert run.returncode == 1 and not internal_error_signs(run), run.describe()
    assert run.max_rss_mb < 600 and len(run.stderr) <= MAX_ERROR_LINE, run.describe()
    assert "unknown field" in run.err


def test_a_line_break_in_an_id_never_splits_a_csv_row(tmp_path: Path) -> None:
    """An id holding a carriage return or line feed stays inside its quoted cell: one CSV row per case."""
    folder = folder_with(tmp_path, {"cr.json": json.dumps({"id": "a\rb", "age": 30}),
                                    "lf.json": json.dumps({"id": "c\nd", "age": 30})})
    run, records, defects = score(folder, fmt="csv")
    assert not defects and run.returncode == 0, (defects, run.describe())
    assert len(records) == 3 and {r["source"] for r in records} == {"in/good.json", "in/cr.json", "in/lf.json"}
