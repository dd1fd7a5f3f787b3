"""Inputs a hostile reviewer tried (issue 11): each is refused as a user mistake (exit 1), located, or read.

YAML integers written in hexadecimal, octal or binary that Python cannot turn into text;
rule files and rule folders whose names are not UTF-8; inputs that never end (``/dev/zero``)
or are too large; pipes and devices named as inputs; linked folders inside an input folder.
"""

from __future__ import annotations

import os
import shutil
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
