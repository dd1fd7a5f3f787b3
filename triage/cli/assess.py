"""``triage assess`` and ``triage check``: one case, and the rule base with its questionnaire."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from .common import ENGINE_OPTION, RULES_OPTION, VIEW_OPTION, View, run_command, shown

if TYPE_CHECKING:
    from ..engines import EngineName


@click.command()
@click.argument("case_file", metavar="CASE_FILE")
@click.option("--format", "output_format", type=click.Choice(["text", "json", "fhir"]), default="text",
              show_default=True, help="text for people, json for programs (case-format.md), fhir for a FHIR "
              "GuidanceResponse.")
@VIEW_OPTION
@RULES_OPTION
@ENGINE_OPTION
def assess(case_file: str, output_format: str, view: View, rules_dir: str | None, engine: EngineName) -> None:
    """Assess one case file (JSON or YAML; - reads standard input) or FHIR QuestionnaireResponse (JSON)."""

    def action() -> None:
        from ..assess.assessor import Assessor
        from ..assess.render import render_text
        from ..language.loading import load_rulebase
        from ..service.fhir import guidance_json, load_case_or_response

        rulebase = load_rulebase(rules_dir)
        case, response = load_case_or_response(case_file)  # or a FHIR QuestionnaireResponse, by its resourceType
        assessment = Assessor(rulebase, engine).assess(case)
        if output_format == "json":
            import json

            from ..batch.outputs import json_safe

            data = {}  # the assessment JSON, and after its rules hash the folder the rules came from
            for key, value in assessment.model_dump(mode="json").items():
                data[key] = value
                if key == "rules_hash":
                    data["rules_path"] = rulebase.location
            click.echo(json_safe(json.dumps(data, indent=2, ensure_ascii=False)))
        elif output_format == "fhir":
            from ..batch.outputs import json_safe

            click.echo(json_safe(guidance_json(assessment, rulebase.labels, response)))
        else:
            text = render_text(assessment, rulebase.labels, view=view, meta=rulebase.meta)
            click.echo(shown(text), nl=False)
            from ..validation import display_path

            click.echo(f"Rule base: {display_path(rulebase.location)} (sha256 {rulebase.content_hash[:12]})")

    run_command(action)


@click.command()
@RULES_OPTION
@click.option("--questionnaire", "questionnaire_file", default=None, metavar="FILE",
              help="Question set to check against the rules (default: the bundled one).")
def check(rules_dir: str | None, questionnaire_file: str | None) -> None:
    """Validate the rule base and the questionnaire; exit 1 with every problem, located, if there is any."""

    def action() -> None:
        from ..engines.durable import DurableEngine
        from ..errors import QuestionnaireError
        from ..interview.questionnaire import check_against_rules, load_questionnaire
        from ..language.loading import load_rulebase
        from ..language.verify import verify

        rulebase = load_rulebase(rules_dir)
        DurableEngine(rulebase).close()  # the compiled rules must also be accepted by the engine
        questionnaire = load_questionnaire(questionnaire_file)
        never_asked = check_against_rules(questionnaire, rulebase.fields_read)
        if never_asked:
            raise QuestionnaireError(f"questionnaire {questionnaire.title!r}: {len(never_asked)} problem(s)",
                                     never_asked)
        # never-true, subsumed, findings not read, fields neither read nor asked (language/verify.py)
        verified = verify(rulebase, asked_fields=set(questionnaire.index))
        verified.raise_for_errors()
        files = sorted({item.file for item in rulebase.located})
        click.echo(
            f"rule base OK: {len(rulebase.rules)} rules in {len(files)} files, "
            f"{len(rulebase.meta.criteria)} criteria, version {rulebase.version}, sha256 {rulebase.content_hash[:12]}"
        )
        click.echo(f"rule base: {shown(rulebase.location)}")
        click.echo(f"questionnaire OK: {len(questionnaire.questions)} questions in {len(questionnaire.sections)} "
                   f"sections, version {questionnaire.version}, every field the rules read is asked")
        for issue in verified.warnings:
            click.echo(f"triage: warning: {shown(str(issue))}", err=True)

    run_command(action)


