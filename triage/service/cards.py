"""CDS Hooks cards from an assessment (pure: no HTTP).

One card per call: ``summary`` under 140 characters (the level, the first criterion, and
whether the answers are incomplete), ``indicator`` critical / warning / info by level,
``detail`` in GitHub-flavoured Markdown (what the level means, the reasons with the answers
behind them and their sources, the unanswered questions that could change it, which
answers it rests on), and ``source`` naming the rule base and its version.
Every text that came from outside (ids, dates) or from the rule files is escaped.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any, Optional

from triage.assess.render import answer_text
from triage.interview.questionnaire import Questionnaire
from triage.language.rulebook import RuleBase
from triage.models import Assessment

from . import fhir_terms as terms
from .fhir import ParsedResponse, Problem
from .guidance import INFERRED, inferred_words

INDICATOR = {"emergency": "critical", "urgent": "warning", "soon": "warning", "routine": "info", "self_care": "info"}
SUMMARY_LIMIT = 139  # CDS Hooks: a "<140-character" summary
_MARKDOWN_SPECIAL = "\\`*_[]<>#|~&"  # punctuation that can start markup mid-line


def md(text: str) -> str:
    """Text with every Markdown special character escaped (no markup, no HTML can come through)."""
    return "".join(f"\\{c}" if c in _MARKDOWN_SPECIAL else c for c in text.replace("\n", " "))


def source(rulebase: RuleBase) -> dict[str, Any]:
    """The card's source: the rule base and its version."""
    return {"label": f"triage rules {rulebase.version} ({rulebase.content_hash[:12]})",
            "topic": {"system": f"{terms.CANONICAL_BASE}/CodeSystem/cds-topic", "code": "spine-triage",
                      "display": "Spine triage"}}


def summary(assessment: Assessment, rulebase: RuleBase) -> str:
    """One line under 140 characters: level, the first reason's criterion, completeness."""
    label = rulebase.meta.levels[assessment.urgency].label
    head = f"Spine triage: {label}"
    criteria = [r for r in assessment.reasons if r.rule != rulebase.meta.incomplete.id]
    tail = "" if assessment.complete else "; answers incomplete"
    if criteria:
        first = criteria[0]
        title = rulebase.meta.criteria[first.criterion].title if first.criterion in rulebase.meta.criteria \
            else first.title
        more = f" (+{len(criteria) - 1} more)" if len(criteria) > 1 else ""
        room = SUMMARY_LIMIT - len(head) - len(": ") - len(first.criterion) - 1 - len(more) - len(tail)
        if len(title) > room:
            title = title[:max(room - 1, 0)].rstrip() + "…"
        return f"{head}: {first.criterion} {title}{more}{tail}"[:SUMMARY_LIMIT]
    if assessment.urgency == "self_care" and assessment.complete:
        return f"{head}: no warning sign found"
    return f"{head}{tail}"[:SUMMARY_LIMIT]


def assessment_card(assessment: Assessment, rulebase: RuleBase, questionnaire: Questionnaire,
                    response: Optional[ParsedResponse] = None, notes: Sequence[str] = ()) -> dict[str, Any]:
    """The card of one assessment; ``notes`` (plain text) say how the response was chosen."""
    level = rulebase.meta.levels[assessment.urgency]
    lines = [f"**{md(level.label)}**: {md(assessment.urgency_meaning)}", ""]
    if response is not None:
        what = f"QuestionnaireResponse/{response.response_id}" if response.response_id else "a QuestionnaireResponse"
        when = f", authored {response.authored}" if response.authored else ""
        lines += [f"From the patient's answers to the spine triage questionnaire ({md(what + when)}). "
                  "Decision support, not a diagnosis.", ""]
        if response.inferred:
            lines += [md(INFERRED), *(f"- {md(words)}" for words in inferred_words(response.inferred)), ""]
    for note in notes:
        lines += [f"**Note:** {md(note)}", ""]
    if assessment.surgical_consultation:
        lines += ["These answers meet a criterion for a consultation with a spinal surgeon.", ""]
    if not assessment.complete:
        lines += [f"**Incomplete:** {len(assessment.unanswered)} unanswered question(s) could change this level "
                  "(listed below).", ""]
    if assessment.possible != assessment.urgency:
        possible = rulebase.meta.levels[assessment.possible].label
        lines += [f"Could be as high as **{md(possible)}**, depending on the answers to the unanswered questions.", ""]
    lines.append("#### Why")
    if assessment.reasons:
        for number, reason in enumerate(assessment.reasons, 1):
            lines.append(f"{number}. **{md(reason.criterion)}, {md(reason.urgency)}**: {md(reason.title)}")
            lines += [f"    - {md(answer_text(name, value))}" for name, value in reason.because.items()]
            lines.append(f"    - Source: {md(reason.source)}")
    else:
        lines.append("None of the warning signs the questionnaire asks about applies.")
    if assessment.unanswered:
        lines += ["", "#### Unanswered questions that could change it"]
        reach = {question.field: question.could_reach for question in assessment.open_questions}
        for name in assessment.unanswered:
            text = questionnaire.question(name).text if name in questionnaire.index else name
            could = f", could lead to {md(rulebase.meta.levels[reach[name]].label)}" if name in reach else ""
            lines.append(f"- {md(text)} ({md(name)}{could})")
    lines += ["", f"Rule base: triage rules {md(rulebase.version)}, sha256 {rulebase.content_hash[:12]}."]
    return {"uuid": str(uuid.uuid4()), "summary": summary(assessment, rulebase),
            "indicator": INDICATOR[assessment.urgency], "detail": "\n".join(lines), "source": source(rulebase)}


def problem_card(headline: str, problems: list[Problem], rulebase: RuleBase) -> dict[str, Any]:
    """A warning card for saved answers that could not be assessed (the clinician should know)."""
    lines = [f"The spine triage could not be assessed: {md(headline)}.", "",
             "Ask the patient to answer the questionnaire again, or assess the symptoms directly.", ""]
    lines += [f"- {md(problem.message())}" for problem in problems[:20]]
    if len(problems) > 20:
        lines.append(f"- and {len(problems) - 20} more")
    text = f"Spine triage not assessed: {headline}"
    short = text if len(text) <= SUMMARY_LIMIT else text[:SUMMARY_LIMIT - 1] + "…"
    return {"uuid": str(uuid.uuid4()), "summary": short,
            "indicator": "warning", "detail": "\n".join(lines), "source": source(rulebase)}
