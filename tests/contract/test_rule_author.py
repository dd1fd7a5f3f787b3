"""The rule author's workflow on an installed (not editable) triage, and the documentation in the repository (issue 11).

One virtual environment per session: created without pip, it sees the test environment's
packages through a ``.pth`` line, and triage is installed into it from the worktree with
``pip install --no-deps`` (a wheel build, no copy of the source tree on its path).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from .helpers import EXAMPLES, ROOT, RULES_DIR, Run, child_env, run_triage

EDITED_VERSION = "9.9.9-contract-edit"


@pytest.fixture(scope="session")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The ``triage`` console script of a fresh venv holding a non-editable install of this worktree."""
    venv = tmp_path_factory.mktemp("installed") / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, capture_output=True)
    python = venv / "bin" / "python"
    site = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               check=True, capture_output=True, text=True).stdout.strip())
    (site / "_contract_test_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "--disable-pip-version-check", "install",
                    "-q", "--no-deps", "--no-build-isolation", str(ROOT)], check=True, capture_output=True)
    probe = subprocess.run([str(python), "-c", "import triage; print(triage.__file__)"], cwd=venv,
                           env=installed_env(), check=True, capture_output=True, text=True)
    assert probe.stdout.startswith(str(site)), f"triage is not imported from the install: {probe.stdout}"
    return venv / "bin" / "triage"


@pytest.fixture
def edited_rules(tmp_path: Path) -> Path:
    """A copy of the bundled rules with the rule-base version edited."""
    folder = tmp_path / "my-rules"
    shutil.copytree(RULES_DIR, folder)
    meta = folder / "rulebase.yaml"
    text = meta.read_text()
    edited = re.sub(r'^version: .*$', f'version: "{EDITED_VERSION}"', text, count=1, flags=re.M)
    assert edited != text
    meta.write_text(edited)
    return folder


def installed_env(**extra: str) -> dict[str, str]:
    """The environment of the installed triage: no PYTHONPATH, so that nothing but the install is imported."""
    env = child_env(**extra)
    env.pop("PYTHONPATH", None)
    return env


def run_installed(installed: Path, args: list[str], cwd: Path, **env: str) -> Run:
    """The installed console script, from a folder outside the worktree."""
    return run_triage(args, cwd=cwd, command=[str(installed)], env=installed_env(**env))


def test_installed_check_sees_an_edited_copy_given_with_rules(installed: Path, edited_rules: Path,
                                                              tmp_path: Path) -> None:
    """After a non-editable install, ``triage check --rules DIR`` checks the edited copy (its version shows)."""
    run = run_installed(installed, ["check", "--rules", str(edited_rules)], tmp_path)
    assert run.returncode == 0 and f"version {EDITED_VERSION}" in run.out, run.describe()


def test_triage_rules_variable_sets_the_default_rule_base(installed: Path, edited_rules: Path, tmp_path: Path) -> None:
    """TRIAGE_RULES=DIR makes DIR the default rule base of check and assess; --help and the README document it."""
    checked = run_installed(installed, ["check"], tmp_path, TRIAGE_RULES=str(edited_rules))
    assert checked.returncode == 0 and f"version {EDITED_VERSION}" in checked.out, checked.describe()
    assessed = run_installed(installed, ["assess", str(EXAMPLES / "self-care.yaml"), "--format", "json"], tmp_path,
                             TRIAGE_RULES=str(edited_rules))
    assert assessed.returncode == 0 and json.loads(assessed.out)["rules_version"] == EDITED_VERSION
    assert "TRIAGE_RULES" in run_installed(installed, ["check", "--help"], tmp_path).out
    assert "TRIAGE_RULES" in (ROOT / "README.md").read_text()


def test_every_output_names_the_rule_base_path_and_hash(installed: Path, edited_rules: Path, tmp_path: Path) -> None:
    """check, assess (text and JSON), the score summary and coverage each name the rule base used: path and hash."""
    rules = ["--rules", str(edited_rules)]
    as_json = run_installed(installed, ["assess", str(EXAMPLES / "self-care.yaml"), "--format", "json", *rules],
                            tmp_path)
    data = json.loads(as_json.out)
    full_hash = data["rules_hash"]
    assert str(edited_rules) in json.dumps(data), "the assessment JSON does not name the rule folder"
    outputs = {
        "check": run_installed(installed, ["check", *rules], tmp_path).out,
        "assess": run_installed(installed, ["assess", str(EXAMPLES / "self-care.yaml"), *rules], tmp_path).out,
        "score summary": run_installed(installed, ["score", str(EXAMPLES), "--workers", "1", "-o", "o.jsonl", *rules],
                                       tmp_path).err,
        "coverage": run_installed(installed, ["coverage", str(EXAMPLES), *rules], tmp_path).out,
    }
    missing = [name for name, text in outputs.items() if str(edited_rules) not in text or full_hash[:12] not in text]
    assert not missing, f"no rule-base path and hash in: {missing}"


# --- documentation ------------------------------------------------------------------------------------

def test_every_document_the_readme_cites_is_in_the_repository() -> None:
    """Every .md file the README's prose names exists in the repository, and every relative link resolves.

    Fenced blocks are left out: rule files and the clinician's view quote rule sources, which cite
    documents outside the repository (``clinical-criteria.md E1``) as they cite guidelines.
    """
    readme = (ROOT / "README.md").read_text()
    names = set(re.findall(r"[\w./-]+\.md\b", re.sub(r"```.*?```", "", readme, flags=re.DOTALL))) - {"README.md"}
    present = {p.name for p in ROOT.rglob("*.md") if ".venv" not in p.parts}
    missing = sorted(n for n in names if Path(n).name not in present)
    broken = sorted(link for link in re.findall(r"\]\(([^)#:]+)\)", readme) if not (ROOT / link).exists())
    assert not missing and not broken, f"cited but not in the repository: {missing}; broken links: {broken}"


def test_the_docs_folder_describes_every_case_field_and_exit_code(tmp_path: Path) -> None:
    """docs/ is linked from the README and names every case field and every exit code."""
    docs = ROOT / "docs"
    assert docs.is_dir() and "docs/" in (ROOT / "README.md").read_text()
    text = "\n".join(p.read_text() for p in docs.rglob("*.md"))
    empty = run_triage(["assess", "-", "--format", "json"], cwd=tmp_path, stdin=b"{}\n")
    fields = json.loads(empty.out)["unanswered"] + ["id", "description", "expected_urgency", "expected_surgical",
                                                     "expected_rules"]
    assert not [f for f in fields if f not in text], "fields not documented"
    assert all(re.search(rf"\b{code}\b", text) for code in ("0", "1", "2", "3", "130")), "exit codes not documented"
