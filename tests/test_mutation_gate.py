"""The mutation gate's own mechanics (tests/mutation/): its mutants apply, and it refuses what it cannot apply.

Running the mutants is the gate itself (``python -m tests.mutation.run``), not part of this suite.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.mutation.mutants import FAST_GROUPS, MUTANTS, SANITY, Edit, Mutant
from tests.mutation.run import GateError, check_patterns, first_failure, mutated_texts, scratch_copy

from .conftest import ROOT


def test_every_mutant_applies_to_the_tree() -> None:
    """Each pattern of each mutant occurs exactly once in its file: when code moves, this names the mutant to fix."""
    assert check_patterns((*MUTANTS, SANITY), ROOT) == []


def test_the_mutants_cover_what_the_gate_promises() -> None:
    """At least 30 mutants with distinct names, the fast groups among them, each naming tests that exist."""
    names = [mutant.name for mutant in MUTANTS]
    assert len(names) >= 30 and len(set(names)) == len(names)
    groups = {mutant.group for mutant in MUTANTS}
    assert set(FAST_GROUPS) <= groups and {"engines", "rules", "texts"} <= groups
    assert SANITY not in MUTANTS
    for mutant in MUTANTS:
        assert mutant.tests, mutant.name
        assert all((ROOT / test.split("::")[0]).is_file() for test in mutant.tests), mutant.name


def test_a_pattern_found_twice_or_not_at_all_is_refused() -> None:
    """A mutant whose pattern is missing or ambiguous fails loudly instead of testing nothing."""
    read = {"a.py": "x = 1\nx = 1\ny = 2\n"}

    def mutant(old: str) -> Mutant:
        return Mutant("m", "test", (Edit("a.py", old, "z = 3"),), ("tests/test_x.py",), "nothing")

    assert mutated_texts(mutant("y = 2"), read) == {"a.py": "x = 1\nx = 1\nz = 3\n"}
    with pytest.raises(GateError, match="found 2 times"):
        mutated_texts(mutant("x = 1"), read)
    with pytest.raises(GateError, match="found 0 times"):
        mutated_texts(mutant("w = 0"), read)
    with pytest.raises(GateError, match="not in the tree"):
        mutated_texts(Mutant("m", "test", (Edit("b.py", "x", "y"),), (), ""), read)


def test_a_mutant_is_applied_to_a_copy_never_to_the_tree(tmp_path: Path) -> None:
    """The scratch copy holds the mutated file; the tree keeps its own, and the copy is gone afterwards."""
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "a.py").write_text("LIMIT = 14\n")
    mutant = Mutant("m", "test", (Edit("pkg/a.py", "14", "13"),), (), "")
    with scratch_copy(tmp_path, [Path("pkg/a.py")], mutant) as copy:
        assert (copy / "pkg" / "a.py").read_text() == "LIMIT = 13\n"
    assert not copy.exists()
    assert (tmp_path / "pkg" / "a.py").read_text() == "LIMIT = 14\n"


def test_the_first_failing_test_is_read_from_the_summary() -> None:
    """The killing test is the first FAILED or ERROR line, whole even when its id holds spaces."""
    output = ("....F\n=== short test summary info ===\n"
              "FAILED tests/test_readme.py::test_transcripts[triage assess x.yaml] - AssertionError: no\n"
              "ERROR tests/test_other.py\n")
    assert first_failure(output) == "tests/test_readme.py::test_transcripts[triage assess x.yaml]"
    assert first_failure("ERROR tests/test_golden.py - ImportError\n") == "tests/test_golden.py"
    assert first_failure("5 passed in 1.0s\n") is None
