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
TRANSCRIPTS = re.findall(r"<!-- transcript: (.+?) -->\n```text\n(.*?)```", README, re.DOTALL)
#: The rules hash in a header ("rules 1.0.0, <12 hex digits>)") or after "sha256 " (12 or all 64 hex digits).
RULES_HASH = re.compile(r"(?<=sha256 )[0-9a-f]{12}(?:[0-9a-f]{52})?\b|(?<=rules \d\.\d\.\d, )[0-9a-f]{12}\b")


#: The rule folder an output names (absolute: it differs from one checkout to another).
RULES_PATH = re.compile(r"(?<=[Rr]ule base:)(\s+)/\S+")


def mask_hash(text: str) -> str:
    """The text with the rules hash and folder replaced, so that editing a comment in a rule file changes nothing."""
    return RULES_PATH.sub(r"\1<rules-path>", RULES_HASH.sub("<rules-hash>", text))


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
    """Each transcript in the README is exactly what the command prints from the repository root, but the rules hash."""
    monkeypatch.chdir(ROOT)
    args = shlex.split(command)
    assert args[0] == "triage"
    result = CliRunner().invoke(cli, args[1:], catch_exceptions=False)
    assert result.exit_code == 0
    assert mask_hash(result.output) == mask_hash(expected)


def test_the_hash_mask_hides_only_the_hash() -> None:
    """Masking replaces the hash after 'sha256 ' (12 or 64 hex digits) and 'rules 1.0.0, ', and nothing else."""
    full = "0123456789ab" * 5 + "cdef"
    text = (f"Triage assessment of x  (rules 1.0.0, 0123456789ab)\nrule base OK: sha256 fa526d301a57, 0123456789ab\n"
            f"Rules 1.0.0, sha256 {full}.\n")
    assert mask_hash(text) == ("Triage assessment of x  (rules 1.0.0, <rules-hash>)\nrule base OK: sha256 <rules-hash>, "
                               "0123456789ab\nRules 1.0.0, sha256 <rules-hash>.\n")
    assert sum(mask_hash(output).count("<rules-hash>") for _, output in TRANSCRIPTS) >= 2


def test_every_rule_is_listed_in_the_readme(rulebase: RuleBase) -> None:
    """The README's rule table names every rule."""
    assert [rule.id for rule in rulebase.rules if f"| `{rule.id}` |" not in README] == []
