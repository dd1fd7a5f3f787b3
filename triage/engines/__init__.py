"""Forward-chaining engines: a rule base and one case's answers in, the rules fired and findings asserted out.

Two engines implement ``Engine``: ``durable`` (durable_rules, the default everywhere) and
``python`` (plain Python). Everything after chaining — level, completeness, explanation —
is computed from the ``ChainResult`` in ``assess``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, Protocol

from ..language.rulebook import RuleBase

EngineName = Literal["durable", "python"]
ENGINE_NAMES: tuple[EngineName, ...] = ("durable", "python")


@dataclass(frozen=True)
class ChainResult:
    """The rules that fired for one case (each once, in firing order) and the findings asserted."""

    fired: tuple[str, ...]
    findings: frozenset[str]


class Engine(Protocol):
    """Anything that chains a rule base over one case's answers."""

    def chain(self, answers: dict[str, Any]) -> ChainResult:
        """Run the rules to a fixed point over the known answers (unknown answers are absent)."""
        ...

    def close(self) -> None:
        """Free what the engine holds; it cannot chain afterwards."""
        ...


def create_engine(name: EngineName, rulebase: RuleBase) -> Engine:
    """A new engine of the named kind over a rule base (one per process and thread: not thread-safe)."""
    if name == "durable":
        from .durable import DurableEngine

        return DurableEngine(rulebase)
    if name == "python":
        from .python import PythonEngine

        return PythonEngine(rulebase)
    raise ValueError(f"unknown engine {name!r}: choose one of {', '.join(ENGINE_NAMES)}")
