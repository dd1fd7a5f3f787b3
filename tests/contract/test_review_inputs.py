"""Inputs a hostile reviewer tried (issue 11): each is refused as a user mistake (exit 1), located, or read.

YAML integers written in hexadecimal, octal or binary that Python cannot turn into text;
rule files and rule folders whose names are not UTF-8; inputs that never end (``/dev/zero``)
or are too large; pipes and devices named as inputs; linked folders inside an input folder.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import threading
from pathlib import Path

import pytest

from .helpers import EXAMPLES, RULES_DIR, internal_error_signs, run_triage

HEX_AGE = "id: k\nage: 0x" + "f" * 4000 + "\n"  # 4,002 characters, 4,817 decimal digits


def test_interview_refuses_a_hexadecimal_number_too_long(tmp_path: Path) -> None:
    """interview --answers with a 4,000-digit hexadecimal age exits 1 naming the field and line, not exit 3."""
    (tmp_path / "k.yaml").write_text(HEX_AGE)
    run = run_triage(["interview", "--answers", "k.yaml"], cwd=tmp_path)
    assert run.returncode == 1 and not internal_error_signs(run), run.describe()
    assert "field 'age' (line 2)" in run.err, run.err


def hex_rules(tmp_path: Path) -> Path:
    """The bundled rules with one threshold written as a 4,000-digit hexadecimal number."""
    rules = tmp_path / "r"
    shutil.copytree(RULES_DIR, rules)
    routine = rules / "routine.yaml"
    text = routine.read_text()
    assert "{field: conservative_care_weeks, gte: 6}" in text
    routine.write_text(text.replace("{field: conservative_care_weeks, gte: 6}",
                                    "{field: conservative_care_weeks, gte: 0x" + "f" * 4000 + "}"))
    return rules


@pytest.mark.parametrize("command", [["check"], ["assess", str(EXAMPLES / "self-care.yaml")],
                                     ["score", str(EXAMPLES / "self-care.yaml"), "-q"]])
def test_a_hexadecimal_threshold_too_long_is_located(tmp_path: Path, command: list[str]) -> None:
    """check/assess/score --rules with a 4,000-digit hexadecimal threshold exit 1 naming the file and line."""
    run = run_triage([*command, "--rules", str(hex_rules(tmp_path))], cwd=tmp_path)
    assert run.returncode == 1 and not internal_error_signs(run), run.describe()
    assert "routine.yaml" in run.err and "(line 9)" in run.err, run.err


NOT_UTF8_FILE = b"x\xff.yaml"


def rules_with_a_name_not_utf8(tmp_path: Path, folder: bytes = b"r") -> bytes:
    """The bundled rules, routine.yaml renamed x<0xff>.yaml, in ``folder``: returns the folder's name as bytes."""
    rules = tmp_path / os.fsdecode(folder)
    shutil.copytree(RULES_DIR, rules)
    os.rename(rules / "routine.yaml", os.path.join(os.fsencode(rules), NOT_UTF8_FILE))
    return os.fsencode(rules)


@pytest.mark.parametrize("command", [["check"], ["assess", str(EXAMPLES / "self-care.yaml"), "--for", "clinician"],
                                     ["score", str(EXAMPLES / "self-care.yaml"), "-q"],
                                     ["coverage", str(EXAMPLES / "self-care.yaml")]])
def test_a_rule_file_named_not_in_utf8_is_read(tmp_path: Path, command: list[str]) -> None:
    """check/assess/score/coverage --rules DIR, one rule file of DIR named x<0xff>.yaml: read like the others, exit 0."""
    rules = rules_with_a_name_not_utf8(tmp_path)
    run = run_triage([*command, "--rules", rules], cwd=tmp_path)
    assert run.returncode == 0 and not internal_error_signs(run), run.describe()


def test_a_broken_rule_file_named_not_in_utf8_is_shown_escaped(tmp_path: Path) -> None:
    """A problem in rule file x<0xff>.yaml names it as x\\xff.yaml (its byte escaped), exit 1."""
    rules = rules_with_a_name_not_utf8(tmp_path)
    with open(os.path.join(rules, NOT_UTF8_FILE), "a") as handle:
        handle.write("  - {id: broken}\n")
    run = run_triage(["check", "--rules", rules], cwd=tmp_path)
    assert run.returncode == 1 and not internal_error_signs(run), run.describe()
    assert "x\\xff.yaml:" in run.err, run.err


def test_coverage_reports_of_a_rule_folder_named_not_in_utf8(tmp_path: Path) -> None:
    """coverage --rules rr<0xff> --junit --cobertura writes both reports, the folder named rr\\xff in them."""
    rules = rules_with_a_name_not_utf8(tmp_path, b"rr\xff")
    run = run_triage(["coverage", str(EXAMPLES / "self-care.yaml"), "--rules", rules, "--junit", "j.xml",
                      "--cobertura", "c.xml"], cwd=tmp_path)
    assert run.returncode == 0 and not internal_error_signs(run), run.describe()
    assert "x\\xff.yaml" in (tmp_path / "j.xml").read_text()
    assert "rr\\xff" in (tmp_path / "c.xml").read_text()


LIMIT_MIB = 10  # docs/case-files.md: the most triage reads of a case file, session file or questionnaire


@pytest.mark.parametrize("args", [["assess", "/dev/zero"], ["interview", "--answers", "a.yaml", "--resume", "/dev/zero"],
                                  ["check", "--questionnaire", "/dev/zero"], ["assess", "big.yaml"],
                                  ["interview", "--answers", "big.yaml"]])
def test_an_endless_or_huge_file_is_refused_naming_the_limit(tmp_path: Path, args: list[str]) -> None:
    """/dev/zero or an 11 MiB file as a case, session or questionnaire: exit 1 naming the file and 10 MiB, in
    little memory (under a 1.5 GB limit reading it whole would fail)."""
    (tmp_path / "a.yaml").write_text("region: lumbar\n")
    (tmp_path / "big.yaml").write_bytes(b"region: lumbar\n" + b" " * (11 << 20))
    run = run_triage(args, cwd=tmp_path, memory_limit_mb=1500, timeout=30)
    assert run.returncode == 1 and not internal_error_signs(run), run.describe()
    assert args[-1] in run.err and f"{LIMIT_MIB} MiB" in run.err, run.err


def test_a_huge_json_line_costs_its_own_line(tmp_path: Path) -> None:
    """score of JSON Lines whose second line is 11 MiB: that line is an error naming the limit, the others scored."""
    with (tmp_path / "c.jsonl").open("wb") as handle:
        handle.write(b'{"id": "a", "region": "lumbar"}\n{"id": "b", "description": "' + b"x" * (11 << 20) + b'"}\n')
        handle.write(b'{"id": "c", "region": "lumbar"}\n')
    run = run_triage(["score", "c.jsonl", "-q", "--workers", "1"], cwd=tmp_path, memory_limit_mb=1500)
    assert run.returncode == 1 and not internal_error_signs(run), run.describe()
    records = [json.loads(line) for line in run.out.splitlines()]
    assert [r["case_id"] for r in records] == ["a", "c:2", "c"], records
    assert records[0]["urgency"] and records[2]["urgency"], records
    assert f"{LIMIT_MIB} MiB" in records[1]["error"] and records[1]["source"] == "c.jsonl:2", records[1]


def test_a_huge_rule_file_is_refused_naming_it(tmp_path: Path) -> None:
    """check --rules with a 65 MiB rule file: exit 1 naming the file and the 64 MiB limit."""
    rules = tmp_path / "r"
    shutil.copytree(RULES_DIR, rules)
    (rules / "huge.yaml").write_bytes(b"rules: []\n" + b"#" * (65 << 20) + b"\n")
    run = run_triage(["check", "--rules", str(rules)], cwd=tmp_path, timeout=60)
    assert run.returncode == 1 and not internal_error_signs(run), run.describe()
    assert "huge.yaml" in run.err and "64 MiB" in run.err, run.err


def test_a_questionnaire_not_in_utf8_names_the_line(tmp_path: Path) -> None:
    """check --questionnaire FILE with a byte 0xff on line 3: exit 1 naming line 3 and column, not Python's codec."""
    (tmp_path / "q.yaml").write_bytes(b"version: '1'\nsections:\n  - title: caf\xff\n")
    run = run_triage(["check", "--questionnaire", "q.yaml"], cwd=tmp_path)
    assert run.returncode == 1 and not internal_error_signs(run), run.describe()
    assert "line 3, column 15" in run.err and "codec" not in run.err, run.err


@pytest.mark.parametrize(("name", "content", "source"), [
    ("c.csv", b"id,age,region\na,40,lumbar\nb,4\x000,lumbar\n", "c.csv:row 3"),
    ("c.jsonl", b'{"id": "a", "region": "lumbar"}\n{"id": "b\x00"}\n', "c.jsonl:2"),
])
def test_a_nul_byte_in_one_row_names_its_line(tmp_path: Path, name: str, content: bytes, source: str) -> None:
    """A NUL byte in one CSV row or JSON line costs that case, its reason naming the NUL byte and the line."""
    (tmp_path / name).write_bytes(content)
    run = run_triage(["score", name, "-q", "--workers", "1"], cwd=tmp_path)
    assert run.returncode == 1 and not internal_error_signs(run), run.describe()
    (bad,) = [r for r in map(json.loads, run.out.splitlines()) if "error" in r]
    line = source.rsplit(" ", 1)[-1].rsplit(":", 1)[-1]
    assert bad["source"] == source and f"a NUL byte on line {line}" in bad["error"], bad


ONE = b'{"id": "piped", "region": "lumbar"}\n'


def ids_of(stdout: bytes) -> list[str]:
    """The case ids of a JSON Lines output."""
    return [json.loads(line)["case_id"] for line in stdout.splitlines()]


def test_a_process_substitution_is_read_as_json_lines(tmp_path: Path) -> None:
    """triage score <(cat x.jsonl) (a /dev/fd pipe) scores its cases, like standard input."""
    (tmp_path / "x.jsonl").write_bytes(ONE)
    run = run_triage(["-c", "triage_cmd=\"$1\"; shift; \"$triage_cmd\" -m triage score <(cat x.jsonl) -q", "sh",
                      sys.executable], command=("bash",), cwd=tmp_path)
    assert run.returncode == 0 and not internal_error_signs(run), run.describe()
    assert ids_of(run.stdout) == ["piped"]


def test_dev_stdin_from_a_pipe_is_read_as_json_lines(tmp_path: Path) -> None:
    """cat x.jsonl | triage score /dev/stdin scores its cases."""
    run = run_triage(["score", "/dev/stdin", "-q"], stdin=ONE, cwd=tmp_path)
    assert run.returncode == 0 and not internal_error_signs(run), run.describe()
    assert ids_of(run.stdout) == ["piped"]


@pytest.mark.parametrize(("name", "content", "expected"), [("pipe", ONE, "piped"),
                                                           ("pipe.yaml", b"id: yaml-pipe\nregion: lumbar\n", "yaml-pipe")])
def test_a_named_pipe_is_read_by_its_suffix(tmp_path: Path, name: str, content: bytes, expected: str) -> None:
    """A named pipe without a suffix is read as JSON Lines; one named .yaml as one YAML case."""
    fifo = tmp_path / name
    os.mkfifo(fifo)

    def feed() -> None:
        with fifo.open("wb") as handle:
            handle.write(content)

    writer = threading.Thread(target=feed, daemon=True)
    writer.start()
    run = run_triage(["score", name, "-q"], cwd=tmp_path, timeout=30)
    writer.join(5)
    assert run.returncode == 0 and not internal_error_signs(run), run.describe()
    assert ids_of(run.stdout) == [expected]


def test_a_device_is_refused_as_a_device(tmp_path: Path) -> None:
    """triage score /dev/zero exits 1 saying it is a device, not that there is no such file."""
    run = run_triage(["score", "/dev/zero", "-q"], cwd=tmp_path, timeout=20)
    assert run.returncode == 1 and not internal_error_signs(run), run.describe()
    assert "is a device" in run.err and "no such file" not in run.err, run.err


def test_linked_folders_are_followed_inside_and_reported_outside(tmp_path: Path) -> None:
    """Inside an input folder, a link to a folder inside it is read (like a linked file); a link to a folder outside
    it and a link to a folder holding it are one error line each: no case is dropped without a word."""
    cases = tmp_path / "cases"
    (cases / "real").mkdir(parents=True)
    (tmp_path / "ext").mkdir()
    (cases / "real" / "a.jsonl").write_text('{"id": "real", "region": "lumbar"}\n')
    (tmp_path / "ext" / "b.jsonl").write_text('{"id": "outside", "region": "lumbar"}\n')
    (cases / "linked").symlink_to("../ext")
    (cases / "inner").symlink_to("real")
    (cases / "real" / "up").symlink_to("..")
    run = run_triage(["score", "cases", "-q", "--workers", "1"], cwd=tmp_path)
    assert run.returncode == 1 and not internal_error_signs(run), run.describe()
    records = {r["source"]: r for r in map(json.loads, run.out.splitlines())}
    assert sorted(records) == ["cases/inner/a.jsonl:1", "cases/inner/up", "cases/linked", "cases/real/a.jsonl:1",
                               "cases/real/up"], sorted(records)
    assert "outside the folder" in records["cases/linked"]["error"]
    assert "holds it" in records["cases/real/up"]["error"]
    assert records["cases/inner/a.jsonl:1"]["urgency"] == records["cases/real/a.jsonl:1"]["urgency"] == "soon"


@pytest.mark.parametrize(("name", "content", "expected"), [
    ("e.jsonl", b'{"id": "", "region": "lumbar"}\n{"id": " ", "region": "lumbar"}\n', ["e:1", "e:2"]),
    ("e.yaml", b'id: ""\nregion: lumbar\n', ["e"]),
    ("e.csv", b"id,region\n,lumbar\n", ["e:row 2"]),
])
def test_an_empty_id_is_no_id_in_every_format(tmp_path: Path, name: str, content: bytes, expected: list[str]) -> None:
    """An empty id ("" in JSON or YAML, an empty CSV cell) is named by where the case was found, in every format."""
    (tmp_path / name).write_bytes(content)
    run = run_triage(["score", name, "-q", "--workers", "1"], cwd=tmp_path)
    assert run.returncode == 0, run.describe()
    assert ids_of(run.stdout) == expected
