"""Write the parts of ``docs/*.md`` that come from the code: ``python docs/generate.py [--check]``.

Two kinds of part are kept up to date, each between markers in the Markdown:

- ``<!-- generated: NAME -->`` ... ``<!-- end generated: NAME -->``: a table or list made from
  the code, NAME one of ``GENERATORS`` (the case fields from ``triage.models``, the urgency
  levels from ``triage/data/rules/rulebase.yaml``, the operators from
  ``triage.language.operators.OPERATORS``), or ``file PATH``: that file's text, fenced;
- ``<!-- transcript: triage ARGS -->`` (or ``<!-- transcript (exit N): ... -->``) followed by a
  ``text`` block: what the command prints (standard output and error) from the repository root.

Change the model, the levels or the operators, then run this script; ``tests/test_docs.py``
fails while a generated part is stale, and while a transcript is not what its command prints.
``--check`` changes nothing and exits 1 naming the stale files.
"""

from __future__ import annotations

import argparse
import re
import shlex
import sys
from collections.abc import Callable, Iterable
from contextlib import chdir
from pathlib import Path
from typing import Any, Union, get_args, get_origin

from click.testing import CliRunner
from pydantic import BaseModel

from triage.language.conditions import AllOf, AnyOf, FieldTest, FindingTest, Node, NotOf
from triage.language.loading import load_rulebase
from triage.language.operators import KNOWNNESS, OPERATORS, Operator
from triage.language.rulebook import RuleBaseMeta, Text
from triage.models import (
    DOMAINS,
    METADATA_FIELDS,
    SEVERE_INTEGER_FILL,
    SEVERITY_ORDER,
    Case,
    FieldDomain,
    Urgency,
    least_severe,
    most_severe,
)

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
#: How a transcript shows the repository's own folder (the README's transcripts say the same).
CHECKOUT = "/path/to/checkout"

GENERATED = re.compile(r"(<!-- generated: (?P<name>[^>]+?) -->\n)(?P<body>.*?)(<!-- end generated: (?P=name) -->)",
                       re.DOTALL)
TRANSCRIPT = re.compile(r"(<!-- transcript(?: \(exit (?P<code>\d+)\))?: (?P<command>.+?) -->\n```text\n)"
                        r"(?P<body>.*?)(```)", re.DOTALL)


# --- words ---------------------------------------------------------------------------------------

def code(value: Any) -> str:
    """A value as it is written in a case or rule file, in backticks: `true`, `lumbar`, `50`."""
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, list | tuple):
        return "`[" + ", ".join(code(item).strip("`") for item in value) + "]`"
    return f"`{value}`"


def answers_words(domain: FieldDomain) -> str:
    """What a field accepts, with its severity order where it has one."""
    if domain.kind == "yes_no":
        return "yes/no: `true` or `false`"
    if domain.kind == "choice":
        if domain.name in SEVERITY_ORDER:
            return " → ".join(code(c) for c in domain.choices) + " (least to most severe)"
        return " / ".join(code(c) for c in domain.choices) + " (no severity order)"
    if domain.kind == "integer":
        if domain.maximum is not None:
            bounds = f"{domain.minimum}–{domain.maximum}"
        else:
            bounds = f"{domain.minimum} or more" if domain.minimum is not None else "any"
        order = "larger is more severe" if domain.name in SEVERE_INTEGER_FILL else "no severity order"
        return f"whole number, {bounds} ({order})"
    return "text"


def type_words(annotation: Any) -> str:
    """A metadata field's type in words, from its annotation (``Optional[...]`` stripped)."""
    args = [a for a in get_args(annotation) if a is not type(None)]
    if get_origin(annotation) is Union and len(args) == 1:
        annotation = args[0]
    if annotation is str:
        return "text"
    if annotation is bool:
        return "`true` or `false`"
    if isinstance(annotation, type) and issubclass(annotation, Urgency):
        return " / ".join(code(level.value) for level in annotation)
    if get_origin(annotation) is list:
        return f"list of {type_words(get_args(annotation)[0])}"
    return str(annotation)


def condition_words(node: Node | None) -> str:
    """A condition in plain words: ``region is cervical``, ``exercise_flare is false, or unknown``."""
    if node is None:
        return "always"
    if isinstance(node, FindingTest):
        return f"finding {node.finding}"
    if isinstance(node, FieldTest):
        if node.operator == KNOWNNESS:
            return f"{node.field} is {'unknown' if node.value else 'known'}"
        value = ", ".join(code(v).strip("`") for v in node.value) if node.op.operand == "values" \
            else code(node.value).strip("`")
        return f"{node.field} {node.op.words} {value}" + (", or unknown" if node.or_unknown else "")
    if isinstance(node, NotOf):
        return f"not ({condition_words(node.not_)})"
    joiner = " and " if isinstance(node, AllOf) else " or "
    return joiner.join(f"({condition_words(part)})" if isinstance(part, AllOf | AnyOf) else condition_words(part)
                       for part in node.parts)


def text_items(items: Iterable[Text]) -> list[str]:
    """Texts as list items, each conditional one preceded by when it is shown."""
    return [f"- {item.text}" if item.when is None else f"- *When {condition_words(item.when)}:* {item.text}"
            for item in items]


# --- the generated parts -------------------------------------------------------------------------

def case_fields(model: type[BaseModel] | None = None, domains: dict[str, FieldDomain] | None = None) -> str:
    """The answer fields of a case, in case-format order: name, answers, meaning."""
    model, domains = model or Case, DOMAINS if domains is None else domains
    rows = ["| field | answers | meaning |", "|---|---|---|"]
    for name in model.model_fields:
        if name in domains:
            rows.append(f"| `{name}` | {answers_words(domains[name])} | {domains[name].description} |")
    return "\n".join(rows) + "\n"


def metadata_fields(model: type[BaseModel] | None = None, metadata: Iterable[str] | None = None) -> str:
    """The fields about a case that no rule reads: name, type, meaning."""
    model, metadata = model or Case, METADATA_FIELDS if metadata is None else frozenset(metadata)
    rows = ["| field | type | meaning |", "|---|---|---|"]
    for name, info in model.model_fields.items():
        if name in metadata:
            rows.append(f"| `{name}` | {type_words(info.annotation)} | {info.description or ''} |")
    return "\n".join(rows) + "\n"


def unanswered_fill(domains: dict[str, FieldDomain] | None = None) -> str:
    """How the completeness test answers each unanswered question that is not yes/no (yes/no: false and true)."""
    domains = DOMAINS if domains is None else domains
    rows = ["| field | best case (*certain*) | worst case (*possible*) |", "|---|---|---|"]
    for name, domain in domains.items():
        if domain.kind == "yes_no":
            continue
        best, worst = least_severe(name), most_severe(name)
        if worst is None:
            rows.append(f"| `{name}` | every answer the rules tell apart; the lowest level counts | "
                        "every answer the rules tell apart; the highest level counts |")
        else:
            rows.append(f"| `{name}` | {code(best)} | {code(worst)} |")
    return "\n".join(rows) + "\n"


def levels(meta: RuleBaseMeta | None = None) -> str:
    """Each urgency level, most urgent first: its headline, what it means, and the advice every case there gets."""
    meta = load_rulebase().meta if meta is None else meta
    parts = []
    for level in Urgency:
        text = meta.levels[level]
        parts.append(f"### `{level.value}`: {text.label}\n\n{text.meaning}\n")
        if text.advice:
            parts.append("Advice at this level:\n\n" + "\n".join(text_items(text.advice)) + "\n")
    parts.append("### Safety-netting: every assessment ends with these\n\n"
                 + "\n".join(text_items(meta.safety_netting)) + "\n")
    return "\n".join(parts)


EXAMPLE_FIELD = {"value": ("region", "lumbar"), "values": ("weakness", ("stable", "progressive")),
                 "number": ("age", 50), "flag": ("ces_symptoms_days", True)}


def _operator_row(operator: Operator) -> str:
    field, operand = EXAMPLE_FIELD["number" if operator.numbers_only else operator.operand]
    test = FieldTest.model_validate({"field": field, operator.name: operand})
    example = f"`{{field: {field}, {operator.name}: {code(operand).strip('`')}}}`"
    takes = {"value": "one value", "values": "a list of values", "number": "a whole number",
             "flag": "`true` or `false`"}[operator.operand]
    applies = "number fields" if operator.numbers_only else "any field"
    opposite = f"`{operator.negation}`" if operator.negation else "—"
    return (f"| `{operator.name}` | {example} | {condition_words(test)} | {takes} | {applies} | {opposite} |")


def operators(table: dict[str, Operator] | None = None) -> str:
    """The operators of field tests, from the registry: example, reading, operand, fields, opposite."""
    table = OPERATORS if table is None else table
    rows = ["| operator | example | reads as | takes | on | opposite |", "|---|---|---|---|---|---|"]
    rows += [_operator_row(operator) for operator in table.values()]
    return "\n".join(rows) + "\n"


GENERATORS: dict[str, Callable[[], str]] = {
    "case fields": case_fields,
    "metadata fields": metadata_fields,
    "unanswered fill": unanswered_fill,
    "levels": levels,
    "operators": operators,
}

FENCES = {".csv": "csv", ".json": "json", ".jsonl": "json", ".yaml": "yaml", ".yml": "yaml"}


def generated(name: str) -> str:
    """The body of the generated part NAME."""
    if name.startswith("file "):
        path = ROOT / name.removeprefix("file ")
        return f"```{FENCES.get(path.suffix, 'text')}\n{path.read_text(encoding='utf-8')}```\n"
    if name not in GENERATORS:
        raise KeyError(f"no generator named {name!r} (known: {', '.join(GENERATORS)}, file PATH)")
    return GENERATORS[name]()


def transcript(command: str) -> tuple[int, str]:
    """The exit code and output (standard output and error) of a ``triage`` command run from the root."""
    from triage.cli import cli

    args = shlex.split(command)
    if args[0] != "triage":
        raise ValueError(f"a transcript runs triage, not {args[0]!r}")
    with chdir(ROOT):
        result = CliRunner().invoke(cli, args[1:], catch_exceptions=False)
    # Outputs name the rule folder by its absolute path: shown as in a checkout anywhere.
    return result.exit_code, result.output.replace(str(ROOT), CHECKOUT)


def unmatched_markers(text: str) -> list[str]:
    """The generated-part markers that have no partner (a begin without its end, or an end without its begin)."""
    begins = re.findall(r"<!-- generated: ([^>]+?) -->", text)
    ends = re.findall(r"<!-- end generated: ([^>]+?) -->", text)
    paired = [m.group("name") for m in GENERATED.finditer(text)]
    return [f"begin {n!r}" for n in begins if begins.count(n) != paired.count(n)] + \
           [f"end {n!r}" for n in ends if ends.count(n) != paired.count(n)]


def render(text: str, transcripts: bool = True) -> str:
    """The text with every generated part (and, with ``transcripts``, every transcript) brought up to date."""
    if unmatched := unmatched_markers(text):
        raise ValueError(f"generated-part markers without a partner: {', '.join(unmatched)}")
    text = GENERATED.sub(lambda m: m.group(1) + generated(m.group("name")) + m.group(4), text)
    if transcripts:
        def rerun(m: re.Match[str]) -> str:
            exit_code, output = transcript(m.group("command"))
            wanted = int(m.group("code") or 0)
            if exit_code != wanted:
                raise RuntimeError(f"{m.group('command')}: exit {exit_code}, the marker says {wanted}")
            return m.group(1) + output + m.group(5)

        text = TRANSCRIPT.sub(rerun, text)
    return text


def main(argv: list[str] | None = None) -> int:
    """Regenerate every doc (or, with --check, name the stale ones and exit 1)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if a doc is stale")
    args = parser.parse_args(argv)
    stale = []
    for path in sorted(DOCS.glob("*.md")):
        old = path.read_text(encoding="utf-8")
        new = render(old)
        if new != old:
            stale.append(path.relative_to(ROOT))
            if not args.check:
                path.write_text(new, encoding="utf-8")
    for path in stale:
        print(f"{'stale' if args.check else 'updated'}: {path}")
    return 1 if args.check and stale else 0


if __name__ == "__main__":
    sys.exit(main())
