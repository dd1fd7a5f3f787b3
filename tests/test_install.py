"""The built wheel carries its rules: an installed triage works from any directory, without the source tree."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from .conftest import ROOT


def test_installed_package_finds_its_bundled_rules(tmp_path: Path) -> None:
    """Build the wheel, install it into a separate folder and assess a case from elsewhere."""
    wheels, target, elsewhere = tmp_path / "wheels", tmp_path / "site", tmp_path / "elsewhere"
    elsewhere.mkdir()
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "wheel", "--no-deps", "--no-build-isolation", "-w", str(wheels), str(ROOT)],
                   check=True, capture_output=True)
    (wheel,) = wheels.glob("triage-*.whl")
    subprocess.run([*pip, "install", "--no-deps", "--target", str(target), str(wheel)], check=True, capture_output=True)
    (elsewhere / "case.yaml").write_text((ROOT / "examples" / "cauda-equina.yaml").read_text())
    env = {**os.environ, "PYTHONPATH": str(target)}
    probe = subprocess.run(
        [sys.executable, "-c", "import triage, triage.language.loading as r; print(triage.__file__); print(r.bundled_rules_dir())"],
        cwd=elsewhere, env=env, capture_output=True, text=True, check=True,
    )
    module_file, rules_dir = probe.stdout.split()
    assert module_file.startswith(str(target)) and rules_dir == str(target / "triage" / "data" / "rules")
    assessed = subprocess.run([sys.executable, "-m", "triage", "assess", "case.yaml", "--format", "json"],
                              cwd=elsewhere, env=env, capture_output=True, text=True)
    assert assessed.returncode == 0, assessed.stderr
    assert json.loads(assessed.stdout)["urgency"] == "emergency"
    checked = subprocess.run([sys.executable, "-m", "triage", "check"], cwd=elsewhere, env=env,
                             capture_output=True, text=True)
    assert checked.returncode == 0 and "rule base OK" in checked.stdout
    assert (target / "triage" / "data" / "questionnaires" / "spine.yaml").is_file()
    # The browser interview's templates and stylesheet are package data too, found from the installed package.
    web = target / "triage" / "service" / "web"
    assert {p.name for p in (web / "templates").glob("*.html")} >= {"base.html", "start.html", "question.html",
                                                                   "result.html", "message.html"}
    assert (web / "static" / "triage.css").is_file()
    rendered = subprocess.run(
        [sys.executable, "-c", "from triage.service.web import pages, routes; "
         "print(pages.render('message.html', title='t', csrf='c', heading='Installed', paragraphs=['p']))"],
        cwd=elsewhere, env=env, capture_output=True, text=True)
    assert rendered.returncode == 0 and "<h1>Installed</h1>" in rendered.stdout, rendered.stderr
