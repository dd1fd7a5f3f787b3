"""Rule bases the engine cannot run (issue 11): ``check`` and ``assess`` refuse them, naming the rule, quickly.

Each rule base is the bundled one plus ``extra.yaml``, valid by every other check. Refused
means exit 1 with the rule named on stderr, within 4 s and 1 GB (the child is killed after
6 s and runs under a 3 GB address-space limit, so that a runaway cannot take the machine;
the bundled rules compile in milliseconds).
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from .helpers import EXAMPLES, RULES_DIR, internal_error_signs, run_triage

YES_NO_ASKED = ("night_pain", "pain_unrelieved_by_rest", "otc_ineffective", "pain_disrupts_sleep_and_life",
                "symptoms_spreading", "limb_numbness", "foot_drop", "weakness_both_legs", "saddle_numbness",
                "bladder_change", "urinary_retention", "urinary_incontinence", "bowel_change", "sexual_dysfunction",
                "ces_symptoms_worsening", "hand_clumsiness", "gait_unsteady", "gait_worsening", "fever", "iv_drug_use",
                "immunosuppressed", "recent_infection", "recent_spinal_procedure", "cancer_history",
                "unexplained_weight_loss", "significant_trauma", "minor_trauma", "osteoporosis", "long_term_steroids",
                "dysphagia", "breathing_difficulty", "occipital_headache", "torticollis", "claudication",
                "exercise_flare", "known_disc_calcification", "metabolic_condition")
SOURCE = "seed-000 (contract test rule)"


def rule(rule_id: str, when: dict[str, Any], **effect: Any) -> dict[str, Any]:
    """A rule of the self-care criterion with ``effect`` (advice by default)."""
    return {"id": rule_id, "criterion": "self-care", "title": f"contract test {rule_id}", "when": when,
            **(effect or {"advice": [f"advice of {rule_id}"]}), "source": SOURCE}


def too_many_rules() -> list[dict[str, Any]]:
    """129 rules sharing one 'any' before their other tests: more than durable_rules can hang off one node."""
    return [rule(f"extra-{n}", {"all": [{"any": [{"field": "fever", "is": True}, {"field": "night_pain", "is": True}]},
                                        {"field": YES_NO_ASKED[n % 35 + 2], "is": True},
                                        {"field": "pain_score", "gte": n // 35 + 1}]}) for n in range(129)]


def findings_bomb() -> list[dict[str, Any]]:
    """An 'all' of 16 'any's of 3 findings each (3**16 alternatives once expanded), and the 48 rules asserting them."""
    tests: list[dict[str, Any]] = [{"field": name, "is": True} for name in YES_NO_ASKED]
    tests += [{"field": "pain_score", "gte": k} for k in range(1, 11)] + [{"field": "duration_days", "gte": 30}]
    rules = [rule(f"finding-x{n}", test, asserts=f"x{n}") for n, test in enumerate(tests[:48])]
    bomb = {"all": [{"any": [{"finding": f"x{3 * i + j}"} for j in range(3)]} for i in range(16)]}
    return [*rules, rule("bomb", bomb)]


def wide_any() -> list[dict[str, Any]]:
    """One rule whose condition is an 'any' of 1,000 alternatives."""
    return [rule("wide", {"any": [{"field": "duration_days", "gte": n} for n in range(1, 1001)]})]


def big_operand() -> list[dict[str, Any]]:
    """A rule comparing with a number beyond 64 bits, which durable_rules does not read as written."""
    return [rule("big-operand", {"field": "duration_days", "gte": 2**64})]


def many_firing() -> list[dict[str, Any]]:
    """125 advice rules that all fire on an ordinary case (check accepts them; the engine fails on the case)."""
    return [rule(f"many-{n}", {"any": [{"field": YES_NO_ASKED[n % 37], "unknown": True},
                                       {"field": "pain_score", "gte": 5}]}) for n in range(125)]


def rule_folder(base: Path, name: str, make: Callable[[], list[dict[str, Any]]]) -> Path:
    """The bundled rules plus ``extra.yaml`` holding ``make()``."""
    folder = base / name
    shutil.copytree(RULES_DIR, folder)
    (folder / "extra.yaml").write_text(yaml.safe_dump({"rules": make()}, sort_keys=False))
    return folder


def run_with(folder: Path, command: str) -> Any:
    """``triage check`` or ``triage assess`` (of an example case) with ``--rules folder``, bounded."""
    args = ["check", "--rules", str(folder)] if command == "check" else \
        ["assess", str(EXAMPLES / "self-care.yaml"), "--rules", str(folder)]
    return run_triage(args, cwd=folder.parent, timeout=6, memory_limit_mb=3000)


def refusal(name: str, make: Callable[[], list[dict[str, Any]]], rule_id: str, defect: str) -> Any:
    """One rule base to be refused; ``defect`` is what the engine did with it before issue 11."""
    return pytest.param(make, rule_id, id=name)


REFUSED = [
    refusal("too-many-rules", too_many_rules, "extra-", "durable_rules error 107 on 129 more rules: exit 3"),
    refusal("findings-bomb", findings_bomb, "bomb", "expanding 16 anys of findings takes gigabytes (exit 3)"),
    refusal("wide-any", wide_any, "wide", "durable_rules hangs compiling an any of 1,000 alternatives"),
    refusal("big-operand", big_operand, "big-operand", "an operand beyond 64 bits passes check; the engine "
                                                      "then disagrees with the rule's meaning"),
]


@pytest.mark.parametrize("command", ["check", "assess"])
@pytest.mark.parametrize(("make", "rule_id"), REFUSED)
def test_a_rule_base_the_engine_cannot_run_is_refused_naming_the_rule(
        tmp_path: Path, make: Callable[[], list[dict[str, Any]]], rule_id: str, command: str) -> None:
    """check and assess refuse the rule base with exit 1, naming the rule on stderr, within 4 s and 1 GB."""
    run = run_with(rule_folder(tmp_path, "rules", make), command)
    assert run.returncode == 1 and not internal_error_signs(run), run.describe()
    assert rule_id in run.err and "extra.yaml" in run.err, run.err[:600]
    assert run.seconds < 4 and run.max_rss_mb < 1000, run.describe()


def test_a_rule_base_check_accepts_is_one_assess_can_run(tmp_path: Path) -> None:
    """Whatever check accepts, assess runs: 125 rules firing at once are refused by check or assessed, never exit 3."""
    folder = rule_folder(tmp_path, "many-firing", many_firing)
    checked = run_with(folder, "check")
    assert not internal_error_signs(checked), checked.describe()
    if checked.returncode == 1:
        assert "many-" in checked.err, checked.err[:600]
        return
    assert checked.returncode == 0, checked.describe()
    assessed = run_with(folder, "assess")
    assert assessed.returncode == 0 and not internal_error_signs(assessed), assessed.describe()


def test_the_bundled_rules_pass_check(tmp_path: Path) -> None:
    """The bundled rule base copied as it is passes check (the rule bases above differ from it by extra.yaml only)."""
    folder = rule_folder(tmp_path, "bundled", list)
    (folder / "extra.yaml").unlink()
    run = run_with(folder, "check")
    assert run.returncode == 0 and "rule base OK" in run.out, run.describe()
