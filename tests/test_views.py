"""The person's view and the clinician's view of an assessment, on every golden case and every example."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from triage.assess.assessor import Assessor
from triage.assess.render import VIEWS, emergency_banner, render_text, source_keys
from triage.cases import load_case
from triage.cli import cli
from triage.language.rulebook import RuleBase
from triage.models import DOMAINS, Assessment

from .conftest import CASES_DIR, ROOT, all_no_answers

CASES = sorted(CASES_DIR.glob("*.yaml")) + sorted((ROOT / "examples").glob("*.*"))
FIELD_IDS = [name for name in DOMAINS if "_" in name]


def _assess(assessor: Assessor, path: Path) -> Assessment:
    return assessor.assess(load_case(str(path)))


def _flat(text: str) -> str:
    """The text with its wrapping undone (every run of whitespace one space)."""
    return " ".join(text.split())


@pytest.fixture(scope="module")
def assessed(assessor: Assessor) -> list[tuple[str, Assessment]]:
    """Every golden case and example, assessed."""
    return [(path.name, _assess(assessor, path)) for path in CASES]


def test_the_person_view_names_no_internals(assessed: list[tuple[str, Assessment]], rulebase: RuleBase) -> None:
    """No field id, source key, criterion id or rule id in the person's view of any golden case or example."""
    keys = [*rulebase.meta.sources, "clinical-criteria.md"]
    for name, result in assessed:
        # The case id is the user's own name for the case (the golden ones are named after rules).
        text = render_text(result, rulebase.labels).replace(result.case_id or "\0", "CASE")
        assert [f for f in FIELD_IDS if f in text] == [], name
        assert [k for k in keys if k in text] == [], name
        assert re.findall(r"\b[EUSR]\d{1,2}\b", text) == [], name
        assert [r for r in result.fired_rules if re.search(rf"(?<![\w-]){r}(?![\w-])", text)] == [], name
        assert "Source:" not in text and "_" not in text, name


def test_the_clinician_view_has_every_criterion_rule_and_full_source(
        assessed: list[tuple[str, Assessment]], rulebase: RuleBase) -> None:
    """The clinician's view names each reason's criterion, rule and answers by field, and its source in full."""
    for name, result in assessed:
        text = render_text(result, rulebase.labels, view="clinician", meta=rulebase.meta)
        flat = _flat(text)
        for reason in result.reasons:
            assert f"{reason.criterion} " in text and f"rule {reason.rule}]" in flat, (name, reason.rule)
            assert _flat(f"Source: {reason.source}") in flat, (name, reason.rule)
            for field in reason.because:
                assert f"- {field}: " in text, (name, field)
            for key in source_keys(reason.source, rulebase.meta.sources):
                assert _flat(f"- {key}: {rulebase.meta.sources[key]}") in flat, (name, key)
        assert _flat(f"Rules fired: {', '.join(result.fired_rules)}") in flat or not result.fired_rules, name
        for field in result.unanswered:
            assert f"- {field}: " in text, (name, field)


def test_source_keys_are_found_whole() -> None:
    """A source key is cited only as a whole word (seed-000 is not seed-0001), in the order of the text."""
    sources = {"seed-000": "a", "GIRFT-CES-2023": "b", "NICE-NG59": "c"}
    assert source_keys("GIRFT-CES-2023; seed-000 'x'", sources) == ["GIRFT-CES-2023", "seed-000"]
    assert source_keys("seed-0001; NICE-NG590", sources) == []


def test_a_person_is_shown_once_what_two_rules_of_one_criterion_say(assessor: Assessor, rulebase: RuleBase) -> None:
    """S5 fires twice on clumsy hands and unsteady walking: the person reads the one that says more, the clinician both."""
    result = assessor.assess_answers(all_no_answers(hand_clumsiness=True, gait_unsteady=True))
    assert [r.rule for r in result.reasons] == ["myelopathy-signs", "myelopathy-signs-both"]
    person = render_text(result, rulebase.labels)
    assert "Both clumsy hands and unsteady walking" in person and "\n  1. Clumsy hands" not in person
    clinician = _flat(render_text(result, rulebase.labels, view="clinician", meta=rulebase.meta))
    assert "rule myelopathy-signs]" in clinician and "rule myelopathy-signs-both]" in clinician


def test_the_person_view_separates_the_reasons_that_set_the_level(assessor: Assessor, rulebase: RuleBase) -> None:
    """The reasons at the level come under 'Why'; less urgent ones under 'Also found', numbered on."""
    result = assessor.assess_answers(all_no_answers(fever=True, iv_drug_use=True))
    text = render_text(result, rulebase.labels)
    why, also = text.split("\nWhy\n")[1].split("\nAlso found (less urgent on its own)\n")
    assert "1. Fever with spinal pain, and either weakness or a risk factor" in why
    assert also.startswith("  2. Fever with back or neck pain")


def test_choice_answers_are_in_the_words_of_the_question(assessor: Assessor, rulebase: RuleBase) -> None:
    """A person reads 'yes, and it is getting worse', not 'progressive'; the clinician reads the field name."""
    result = assessor.assess_answers(all_no_answers(region="cervical", weakness="progressive"))
    person = render_text(result, rulebase.labels)
    assert "weakness of an arm or leg, and whether it is getting worse: yes, and it is getting worse" in _flat(person)
    assert "progressive" not in person
    assert "- weakness: yes, and it is getting worse" in render_text(result, rulebase.labels, view="clinician")


def test_a_case_held_at_soon_by_unanswered_questions_lists_them_once(assessor: Assessor, rulebase: RuleBase) -> None:
    """The reason of the 'soon' floor points to the list of unanswered questions instead of repeating it."""
    answers = all_no_answers()
    del answers["metabolic_condition"]
    result = assessor.assess_answers(answers)
    assert result.urgency == "soon" and result.unanswered == ["metabolic_condition"]
    text = render_text(result, rulebase.labels)
    assert text.count("disorder of calcium or mineral metabolism") == 1
    assert "(the questions not answered are listed at the end)" in text


@pytest.mark.parametrize("width", [40, 60, 88, 120])
def test_lines_wrap_between_words_at_the_width(assessed: list[tuple[str, Assessment]], rulebase: RuleBase,
                                               width: int) -> None:
    """At any width no line is longer than the width (unless it is one word) and no word is cut or joined."""
    for name, result in assessed[::7]:
        for view in VIEWS:
            text = render_text(result, rulebase.labels, width, view=view, meta=rulebase.meta)
            wide = render_text(result, rulebase.labels, 10_000, view=view, meta=rulebase.meta)
            assert text.split() == wide.split(), (name, view)
            assert [line for line in text.splitlines() if len(line) > width and len(line.split()) > 1] == [], name
        banner = emergency_banner(result, width)
        assert banner.splitlines()[0] == "=" * width
        assert all(len(line) <= width for line in banner.splitlines()), name


def test_an_unknown_view_is_refused(assessor: Assessor, rulebase: RuleBase) -> None:
    """render_text names the views it has."""
    with pytest.raises(ValueError, match="person, clinician"):
        render_text(assessor.assess_answers(all_no_answers()), rulebase.labels, view="doctor")  # type: ignore[arg-type]


def test_the_views_do_not_change_the_json() -> None:
    """--for changes the text only: the JSON is the same for both."""
    case = str(ROOT / "examples" / "neck-partial.json")
    person = CliRunner().invoke(cli, ["assess", case, "--format", "json"])
    clinician = CliRunner().invoke(cli, ["assess", case, "--format", "json", "--for", "clinician"])
    assert person.exit_code == clinician.exit_code == 0
    assert json.loads(person.output) == json.loads(clinician.output)


def test_the_interview_result_has_both_views(tmp_path: Path) -> None:
    """triage interview --answers prints the person's view by default and the clinician's with --for clinician."""
    answers = tmp_path / "answers.yaml"
    answers.write_text("region: cervical\nage: 60\nbladder_change: true\nces_symptoms_days: 3\n")
    person = CliRunner().invoke(cli, ["interview", "--answers", str(answers)])
    clinician = CliRunner().invoke(cli, ["interview", "--answers", str(answers), "--for", "clinician"])
    assert person.exit_code == clinician.exit_code == 0, person.output
    assert "EMERGENCY: PLEASE ACT NOW" in person.output and "spinal cord in the neck" in person.output
    assert "[E1" not in person.output and "bladder_change" not in person.output
    assert "E1 Suspected cauda equina syndrome" in clinician.output and "- bladder_change: yes" in clinician.output


def test_each_unanswered_question_says_what_it_could_lead_to(assessor: Assessor, rulebase: RuleBase) -> None:
    """The unanswered questions are listed under the highest level each could lead to, most serious first."""
    result = assessor.assess_answers(all_no_answers(night_pain=True, fever=None, saddle_numbness=None))
    assert result.urgency == "soon"
    text = " ".join(render_text(result, rulebase.labels).split())
    section = text.split("Questions not answered that could change this result")[1]
    assert section.index("Could make this an emergency:") < section.index("inner thighs") \
        < section.index("Could make this urgent (a doctor today):") < section.index("38 °C")
    assert "saddle_numbness" not in text and "saddle_numbness: " in render_text(
        result, rulebase.labels, view="clinician", meta=rulebase.meta)


def test_an_answer_a_reason_only_assumes_is_shown_as_not_answered(assessor: Assessor, rulebase: RuleBase) -> None:
    """U5 with 'getting worse?' blank says it takes the blank as 'no', never as if the person had said no."""
    result = assessor.assess_answers(all_no_answers(saddle_numbness=True, ces_symptoms_days=60,
                                                    ces_symptoms_worsening=None))
    (u5,) = result.reasons
    assert u5.because["ces_symptoms_worsening"] is None and u5.assumed == {"ces_symptoms_worsening": False}
    text = render_text(result, rulebase.labels)
    assert "getting worse: not answered (taken as no)" in " ".join(text.split())
