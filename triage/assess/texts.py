"""The advice and safety-netting a person is given: their level's and their rules' texts, fitted to their answers.

A text may carry a condition on the answers (``Text.when``, the rule language); it is
shown only when the condition holds, so that the words fit the region and the answers
(clinical-criteria.md, "What the person reads"). An unknown answer makes a comparison on
it false unless the test says ``or_unknown``: the rule files give the cautious wording for
an unknown region its own text, or let a safety-netting text hold for an unknown answer.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..language.rulebook import Rule, RuleBase, texts_for
from ..models import Urgency


def _rank(rule: Rule) -> int:
    return rule.urgency.rank if rule.urgency else 0  # advice-only rules rank with self-care


def advice_and_safety_netting(rulebase: RuleBase, fired: Sequence[Rule], level: Urgency,
                              answers: dict[str, Any]) -> tuple[list[str], list[str]]:
    """The advice and the safety-netting for a case at ``level`` whose answers fired ``fired``.

    Advice: the level's own, then each fired rule's that is shown at this level, most urgent
    rule first. Safety-netting: the fired rules' (not at an emergency: what would make it one
    is meaningless once it is one), then the rule base's, which every assessment ends with.
    Every text is kept only when it fits the answers, and each is given once.
    """
    compiled = rulebase.text_choices
    by_level = sorted(fired, key=_rank, reverse=True)  # stable: rule-base order within a level
    advice = texts_for(compiled.level_advice[level], answers)
    for rule in by_level:
        if rule.advice and rule.shows_advice_at(level):
            advice += texts_for(compiled.advice[rule.id], answers)
    netting: list[str] = []
    if level != Urgency.EMERGENCY:
        for rule in by_level:
            if rule.safety_netting:
                netting += texts_for(compiled.safety_netting[rule.id], answers)
    netting += texts_for(compiled.general_safety_netting, answers)
    return list(dict.fromkeys(advice)), list(dict.fromkeys(netting))
