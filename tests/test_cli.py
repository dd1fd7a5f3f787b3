"""The triage command: output, exit codes and messages (0 assessed, 1 bad input, 2 usage)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from triage.cli import cli
from triage.engines import Engine, EngineName, create_engine
from triage.language.rulebook import RuleBase

from .conftest import ROOT

EXAMPLE = ROOT / "examples" / "cauda-equina.yaml"
CASE_FORMAT_KEYS = {"case_id", "urgency", "surgical_consultation", "complete", "findings", "reasons", "advice",
                    "unanswered", "rules_version"}


def run(*args: str, stdin: str | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), input=stdin)


def test_assess_text() -> None:
    """The text assessment (the person's view) shows the level, what it means, the reasons with answers and when to get help."""
    result = run("assess", str(EXAMPLE))
    assert result.exit_code == 0, result.output
    for expected in ("EMERGENCY", "Go to an emergency department now", "Why\n  1. Numbness around the bottom",
                     "numbness or altered feeling around the genitals", ": yes", "When to get help at once",
                     "spinal surgeon"):
        assert expected in result.output, expected
    for internal in ("[E1", "Source:", "seed-000", "saddle_numbness", "ces-suspected"):
        assert internal not in result.output, internal
    assert result.output == run("assess", str(EXAMPLE), "--for", "person").output


def test_assess_text_for_clinician() -> None:
    """--for clinician adds the criterion and rule ids, field names, full sources and fired rules."""
    result = run("assess", str(EXAMPLE), "--for", "clinician")
    assert result.exit_code == 0, result.output
    for expected in ("clinician's view", "E1 Suspected cauda equina syndrome [emergency, surgical; rule ces-suspected]",
                     "- saddle_numbness: yes", "- ces_symptoms_days: 2", "Source: clinical-criteria.md E1;",
                     "- GIRFT-CES-2023: GIRFT National Suspected Cauda Equina Syndrome Pathway", "Safety-netting given",
                     "Rules fired: advice-lower-back, finding-ces-symptom, ces-suspected"):
        assert expected in result.output, expected


def test_assess_for_an_unknown_view_is_a_usage_error() -> None:
    """--for takes person or clinician only (exit 2, naming the choices)."""
    result = run("assess", str(EXAMPLE), "--for", "doctor")
    assert result.exit_code == 2 and "person" in result.output and "clinician" in result.output


def test_assess_json_has_every_field_of_the_case_format() -> None:
    """--format json prints the assessment JSON of case-format.md (with added fields only)."""
    result = run("assess", str(EXAMPLE), "--format", "json")
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert set(data) >= CASE_FORMAT_KEYS
    assert data["urgency"] == "emergency" and data["surgical_consultation"] is True and data["complete"] is True
    reason = data["reasons"][0]
    assert set(reason) >= {"rule", "title", "urgency", "because", "source"}
    assert reason["because"] == {"saddle_numbness": True, "ces_symptoms_days": 2}


def test_assess_reads_standard_input() -> None:
    """'-' reads the case from standard input; an incomplete case lists its unanswered questions."""
    result = run("assess", "-", "--format", "json", stdin="age: 30\nregion: cervical\n")
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert data["case_id"] == "stdin" and data["complete"] is False and data["urgency"] == "soon"
    assert "saddle_numbness" in data["unanswered"]


def test_bad_case_exits_1_with_located_messages(tmp_path: Path) -> None:
    """A bad case file exits 1 and names the file, the field and the reason on standard error."""
    bad = tmp_path / "bad.json"
    bad.write_text('{"agee": 40}')
    result = CliRunner().invoke(cli, ["assess", str(bad)])
    assert result.exit_code == 1
    assert result.output == (f"triage: error: {bad}: 1 problem in this case\n"
                             "  - field 'agee': unknown field (did you mean 'age'?)\n")


def test_usage_errors_exit_2() -> None:
    """A missing argument or an unknown option is a usage error."""
    assert run("assess").exit_code == 2
    assert run("assess", str(EXAMPLE), "--format", "xml").exit_code == 2
    assert run("nonsense").exit_code == 2


def test_check_reports_ok_and_problems(tmp_path: Path) -> None:
    """check prints a summary for good rules and exits 1 with located problems for bad ones."""
    good = run("check")
    assert good.exit_code == 0 and "rule base OK: 44 rules in 5 files, 37 criteria, version 1.0.0" in good.output
    assert "triage: warning: case field 'sex': unused-field: no rule reads it and no question asks it" in good.output
    (tmp_path / "rulebase.yaml").write_text("version: 1\n")
    bad = run("check", "--rules", str(tmp_path))
    assert bad.exit_code == 1 and "rule base" in bad.output and "rulebase.yaml" in bad.output


def test_python_dash_m() -> None:
    """python -m triage runs the same command line."""
    proc = subprocess.run([sys.executable, "-m", "triage", "assess", str(EXAMPLE), "--format", "json"],
                          capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0 and json.loads(proc.stdout)["urgency"] == "emergency"


def test_a_rule_durable_rules_cannot_compile_is_located(tmp_path: Path) -> None:
    """A condition too large for durable_rules is a located rule-base problem (exit 1), not a crash."""
    import shutil

    from triage.language.loading import bundled_rules_dir

    folder = tmp_path / "rules"
    shutil.copytree(bundled_rules_dir(), folder)
    tests = "".join(f"\n        - {{field: {name}, in: [stable, progressive], or_unknown: true}}"
                    if name == "weakness" else f"\n        - {{field: {name}, is: true, or_unknown: true}}"
                    for name in ["weakness", "fever", "night_pain", "foot_drop", "dysphagia", "torticollis",
                                 "claudication", "osteoporosis", "minor_trauma", "iv_drug_use", "cancer_history",
                                 "limb_numbness", "gait_unsteady", "hand_clumsiness", "bowel_change"] * 3)
    (folder / "big.yaml").write_text(f"""rules:
  - id: too-big
    criterion: S3
    title: t
    when:
      all:{tests}
    urgency: soon
    source: seed-000
""")
    result = run("check", "--rules", str(folder))
    assert result.exit_code == 1, result.output
    assert "big.yaml:2: rule 'too-big': when: nested 'all'/'any' groups too deeply for the rule engine" \
        in result.output  # found before durable_rules sees it (engines/durable_limits.py)


def test_an_unexpected_error_exits_3(monkeypatch: pytest.MonkeyPatch) -> None:
    """A bug anywhere becomes exit 3 with a request to report it, never a bare traceback or exit 1."""
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise ZeroDivisionError("boom")

    monkeypatch.setattr("triage.assess.assessor.Assessor.assess", broken)
    result = run("assess", str(EXAMPLE))
    assert result.exit_code == 3
    assert "triage: internal error: ZeroDivisionError: boom" in result.output and "please report" in result.output


def test_engine_option_offers_every_engine() -> None:
    """--engine offers exactly the engines there are (the option is spelt out to keep --help light)."""
    from triage.cli.common import ENGINE_OPTION
    from triage.engines import ENGINE_NAMES

    @ENGINE_OPTION
    def command(engine: str) -> None:
        """A command with the option."""

    choices = command.__click_params__[0].type.choices  # type: ignore[attr-defined]
    assert tuple(choices) == ENGINE_NAMES


@pytest.mark.parametrize("command", [
    ["assess", str(EXAMPLE), "--format", "json"],
    ["score", str(ROOT / "examples"), "--workers", "1", "-q"],
    ["coverage", str(ROOT / "tests" / "cases"), "--json"],
    ["interview", "--answers", "ANSWERS", "--format", "json"],
])
def test_both_engines_print_the_same(command: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """assess, score, coverage and interview use the engine --engine names, and print the same with either."""
    from triage.assess import assessor
    from triage.batch import scoring

    from .test_interview import all_no_script

    answers = tmp_path / "answers.json"
    answers.write_text(json.dumps(all_no_script(night_pain=True, fever=True)))
    command = [str(answers) if part == "ANSWERS" else part for part in command]
    created: list[str] = []
    real = create_engine

    def spy(name: EngineName, rulebase: RuleBase) -> Engine:
        created.append(name)
        return real(name, rulebase)

    monkeypatch.setattr(assessor, "create_engine", spy)
    monkeypatch.setattr(scoring, "_assessors", {})
    durable, python = run(*command, "--engine", "durable"), run(*command, "--engine", "python")
    assert durable.exit_code == python.exit_code == 0, (durable.output, python.output)
    assert durable.output == python.output
    assert created == ["durable", "python"]
