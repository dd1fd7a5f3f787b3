"""Session fixtures of the contract tests: a large JSON Lines input and the expected output of the examples."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from .helpers import EXAMPLES, run_triage

BIG_CASES = 200_000


@pytest.fixture(scope="session")
def big_jsonl(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A JSON Lines file of 200,000 valid cases (about 16 MB): minutes of scoring in one worker."""
    rng = random.Random(200_000)
    path = tmp_path_factory.mktemp("big") / "big.jsonl"
    regions = ("lumbar", "cervical", "thoracic")
    with path.open("w") as handle:
        for number in range(BIG_CASES):
            handle.write(json.dumps({"id": f"c{number}", "age": rng.randint(18, 90), "region": rng.choice(regions),
                                     "pain_score": rng.randint(0, 10), "fever": rng.random() < 0.5}) + "\n")
    return path


@pytest.fixture(scope="session")
def examples_output(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """What ``triage score examples --workers 1 -q`` writes to standard output (a previous good output, too)."""
    run = run_triage(["score", str(EXAMPLES), "--workers", "1", "-q"], cwd=tmp_path_factory.mktemp("examples"))
    assert run.returncode == 0 and run.stdout.count(b"\n") == 3, run.describe()
    return run.stdout
