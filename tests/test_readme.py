"""The README stays true: its commands are the ones CI runs, its transcripts are what the commands print."""

from __future__ import annotations

import re
import shlex

import pytest
from click.testing import CliRunner

from triage.cli import cli
from triage.language.rulebook import RuleBase

from .conftest import ROOT

README = (ROOT / "README.md").read_text()
TRANSCRIPTS = re.findall(r"<!-- transcript: (.+?) -->\n```text\n(.*?)```", README, re.S)


def test_ci_runs_the_readme_test_command() -> None:
    """.ci/run runs exactly the test command the README shows."""
    command = (ROOT / ".ci" / "run").read_text().strip().splitlines()[-1]
    assert f"```sh\n{command}\n```" in README


def test_readme_quickstart_has_two_commands() -> None:
    """The quickstart is two commands: one assesses the example, one runs the tests."""
    quickstart = README.split("## Quickstart")[1].split("\n## ")[0]
    commands = re.findall(r"```sh\n(.+?)\n```", quickstart)
    assert len(commands) == 2
    assert "triage assess examples/" in commands[0] and "pytest" in commands[1]


@pytest.mark.parametrize(("command", "expected"), TRANSCRIPTS, ids=[c for c, _ in TRANSCRIPTS])
def test_readme_transcripts_are_true(command: str, expected: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each transcript in the README is exactly what the command prints, run from the repository root."""
    monkeypatch.chdir(ROOT)
    args = shlex.split(command)
    assert args[0] == "triage"
    result = CliRunner().invoke(cli, args[1:], catch_exceptions=False)
    assert result.exit_code == 0
    assert result.output == expected


def test_every_rule_is_listed_in_the_readme(rulebase: RuleBase) -> None:
    """The README's rule table names every rule."""
    assert [rule.id for rule in rulebase.rules if f"| `{rule.id}` |" not in README] == []
