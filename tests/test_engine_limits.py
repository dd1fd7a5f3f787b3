"""The limits of durable_rules (engines/durable_limits.py): refused exactly where the engine would fail, never later.

Each compile limit is checked at its edge: the largest rule base the check accepts fills the
engine's table exactly and compiles and runs; one rule more is refused by the check. The
engine is never run past a limit (it hangs, or reads and writes past its tables: the
limits were measured once, in separate processes, as durable_limits.py records). The
stack bound is checked for soundness: on random rule bases the check accepts, the engine
never fails on random cases.
"""

from __future__ import annotations

import random
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from triage.engines import durable
from triage.engines.durable_limits import (
    MAX_ALTERNATIVES,
    MAX_JOINS,
    MAX_PATTERN_ENDS,
    _Network,
    alternatives,
    engine_limit_problems,
)
from triage.errors import RuleBaseError
from triage.language.loading import load_rulebase
from triage.language.rulebook import RuleBase
from triage.models import DOMAINS

from .conftest import RULES_DIR

YES_NO = tuple(name for name, domain in DOMAINS.items() if domain.kind == "yes_no")
SOURCE = "seed-000 (engine limit test rule)"


def rule(rule_id: str, when: dict[str, Any]) -> dict[str, Any]:
    """An advice rule of the self-care criterion."""
    return {"id": rule_id, "criterion": "self-care", "title": f"limit test {rule_id}", "when": when,
            "advice": [f"advice of {rule_id}"], "source": SOURCE}


def with_rules(tmp_path: Path, name: str, rules: list[dict[str, Any]]) -> RuleBase:
    """The bundled rule base plus ``rules`` (in extra.yaml)."""
    folder = tmp_path / name
    shutil.copytree(RULES_DIR, folder)
    (folder / "extra.yaml").write_text(yaml.safe_dump({"rules": rules}, sort_keys=False))
    return load_rulebase(folder)


def unchecked_engine(rulebase: RuleBase, monkeypatch: pytest.MonkeyPatch) -> durable.DurableEngine:
    """The engine built without the limits check: what durable_rules itself does with the rules."""
    with monkeypatch.context() as patched:
        patched.setattr(durable, "engine_limit_problems", lambda rulebase: [])
        return durable.DurableEngine(rulebase)


def first_refused(tmp_path: Path, make: Callable[[int], list[dict[str, Any]]], low: int, high: int,
                  says: str = "") -> int:
    """The smallest number of extra rules the check refuses (with a problem saying ``says``), in ``(low, high]``."""

    def refused(count: int) -> bool:
        return any(says in p for p in engine_limit_problems(with_rules(tmp_path, f"n{count}", make(count))))

    assert not refused(low) and refused(high)
    while high - low > 1:
        middle = (low + high) // 2
        if refused(middle):
            high = middle
        else:
            low = middle
    return high


def shared_any(count: int) -> list[dict[str, Any]]:
    """``count`` rules sharing one 'any' before a test of their own (each adds a join below the any's tests)."""
    return [rule(f"shared-{n}", {"all": [{"any": [{"field": "fever", "is": True}, {"field": "night_pain", "is": True}]},
                                         {"field": "duration_days", "gte": n + 1}]}) for n in range(count)]


def same_condition(count: int) -> list[dict[str, Any]]:
    """``count`` rules with one and the same condition (each ends a pattern at the same test)."""
    return [rule(f"same-{n}", {"field": "saddle_numbness", "is": True}) for n in range(count)]


def network_of(rulebase: RuleBase) -> _Network:
    """The network the check builds for a rule base."""
    network = _Network()
    for name, compiled in durable.compile_rulebase(rulebase).items():
        for pattern in compiled["all"]:
            (expr,) = pattern.values()
            network.end(network.build(expr, network.root, name), name)
    return network


def test_the_join_limit_is_the_engine_table_size(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Below one test, the check allows the 128 'any' joins durable_rules' table holds, and refuses the 129th.

    The C core checks the table only by reading past its end (rete.c:linkAlpha), so one more
    join is refused (error 107) or silently overwrites memory: the engine is never run past it.
    (So many joins would also overflow the engine's stack on a case, which the check refuses too.)
    """
    says = "'any' groups or 'unknown' tests"
    edge = first_refused(tmp_path, shared_any, 1, 200, says)
    below = with_rules(tmp_path, "ok", shared_any(edge - 1))
    assert max(len(node.joins) for node in network_of(below).nodes()) == MAX_JOINS == 128
    unchecked_engine(below, monkeypatch).close()
    problems = engine_limit_problems(with_rules(tmp_path, "named", shared_any(edge)))
    assert any(f"rule 'shared-{edge - 1}'" in p and "extra.yaml" in p and says in p for p in problems), problems


def test_the_pattern_end_limit_is_the_engine_table_size(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """At one test, the check allows the 256 rule patterns durable_rules' table holds, and refuses the 257th."""
    edge = first_refused(tmp_path, same_condition, 1, 300, "rule patterns end")
    below = with_rules(tmp_path, "ok", same_condition(edge - 1))
    assert max(node.ends for node in network_of(below).nodes()) == MAX_PATTERN_ENDS == 256
    engine = unchecked_engine(below, monkeypatch)
    assert f"same-{edge - 2}" in engine.chain({"saddle_numbness": True}).fired
    engine.close()


def test_the_test_limit_stops_short_of_the_hang(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An 'any' of many distinct tests is refused once one test would have 512 tests below it; 511 still run."""

    def wide(count: int) -> list[dict[str, Any]]:  # ages that exclude each other: one can hold at a time
        return [rule("wide", {"any": [{"field": "age", "is": n} for n in range(1000, 1000 + count)]})]

    edge = first_refused(tmp_path, wide, 1, 600)
    rulebase = with_rules(tmp_path, "ok", wide(edge - 1))
    engine = unchecked_engine(rulebase, monkeypatch)  # the largest accepted compiles (one more would hang)
    assert "wide" in engine.chain({"age": 1000}).fired
    engine.close()
    assert "more than 511 different tests" in " ".join(engine_limit_problems(with_rules(tmp_path, "p", wide(edge))))


def test_alternatives_are_counted_without_expanding(tmp_path: Path) -> None:
    """The count of alternatives is the engine compiler's, and a rule past the cap is refused in milliseconds."""
    rulebase = load_rulebase(RULES_DIR)
    for item in rulebase.located:
        assert alternatives(item.rule.when) == len(durable.compile_rule(item.rule.id, item.rule.when))
    finders = [{"id": f"finds-{n}", "criterion": "self-care", "title": f"finds {n}",
                "when": {"field": YES_NO[n], "is": True}, "asserts": f"x{n}", "source": SOURCE} for n in range(18)]
    bomb = rule("bomb", {"all": [{"any": [{"finding": f"x{2 * i}"}, {"finding": f"x{2 * i + 1}"}]} for i in range(9)]})
    problems = engine_limit_problems(with_rules(tmp_path, "bomb", [*finders, bomb]))
    assert any("rule 'bomb'" in p and f"512 alternatives (at most {MAX_ALTERNATIVES})" in p for p in problems)


def test_a_number_past_the_engine_range_is_refused(tmp_path: Path) -> None:
    """A rule operand beyond 2**53 - 1 is refused naming the rule and field; one at 2**53 - 1 is accepted."""
    ok = with_rules(tmp_path, "ok", [rule("edge", {"field": "duration_days", "gte": 2**53 - 1})])
    assert not engine_limit_problems(ok)
    past = with_rules(tmp_path, "past", [rule("past", {"field": "duration_days", "gt": 2**53})])
    (problem,) = engine_limit_problems(past)
    assert "rule 'past'" in problem and "field 'duration_days'" in problem


def random_rules(rng: random.Random, count: int) -> list[dict[str, Any]]:
    """``count`` random rules over yes/no answers, unknowns and numbers, some with 'any' and 'all'."""
    rules = []
    for n in range(count):
        parts: list[dict[str, Any]] = []
        for _ in range(rng.randint(1, 3)):
            name = rng.choice(YES_NO)
            parts.append(rng.choice([{"field": name, "is": True}, {"field": name, "unknown": True},
                                     {"field": "pain_score", "gte": rng.randint(1, 10)},
                                     {"field": "duration_days", "gte": rng.randint(1, 60)}]))
        rules.append(rule(f"random-{n}", {rng.choice(["any", "all"]): parts} if len(parts) > 1 else parts[0]))
    return rules


def random_case(rng: random.Random) -> dict[str, Any]:
    """Answers to a random part of the questions, mostly yes (many rules then match at once)."""
    case: dict[str, Any] = {}
    for name, domain in DOMAINS.items():
        if rng.random() < 0.4:
            continue
        if domain.kind == "yes_no":
            case[name] = rng.random() < 0.7
        elif domain.kind == "choice":
            case[name] = rng.choice(domain.choices)
        elif domain.kind == "integer":
            case[name] = rng.choice([0, 3, 5, 7, 10, 15, 40, 70, 400])
    return case


@pytest.mark.parametrize("seed", range(4))
def test_the_stack_bound_is_never_below_what_the_engine_needs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                              seed: int) -> None:
    """Random rule bases the check accepts never fail on a case; those that fail on a case are refused."""
    rng = random.Random(seed)
    for count in (20, 45, 70):
        rulebase = with_rules(tmp_path, f"r{count}", random_rules(rng, count))
        accepted = not engine_limit_problems(rulebase)
        try:
            engine = unchecked_engine(rulebase, monkeypatch)
        except RuleBaseError:
            assert not accepted, f"seed {seed}, {count} rules: accepted, but durable_rules refuses them"
            continue
        try:
            failed = None
            cases = [dict.fromkeys(YES_NO, True) | {"pain_score": 10, "duration_days": 400}]
            for case in cases + [random_case(rng) for _ in range(200)]:
                try:
                    engine.chain(case)
                except Exception as exc:  # noqa: BLE001 - what the engine does is the point
                    failed = exc
                    break
        finally:
            engine.close()
        assert not (accepted and failed), f"seed {seed}, {count} rules: accepted, but the engine failed: {failed}"
