"""A ``CoverageReport`` as a terminal table, JSON, JUnit XML and Cobertura XML.

JUnit: a test suite per rule file, a test case per rule, failed when no case fired it.
Cobertura: the rule folder is the package, each rule file a class, each rule a line (at the
line of its ``id`` in the file) whose hits are the cases that fired it; each leaf condition
is a branch with two outcomes, true and false, so ``condition-coverage`` and the branch
rates count the outcomes seen. Both are what CI dashboards (GitLab, Jenkins, Azure) read.
"""

from __future__ import annotations

import os
import time
import xml.etree.ElementTree as ET
from importlib import metadata
from pathlib import Path
from typing import Any

from ..validation import display_path
from .collector import ConditionCoverage, CoverageReport, RuleCoverage

__all__ = ["render_cobertura", "render_json", "render_junit", "render_text", "rule_lines"]


def rule_lines(report: CoverageReport) -> dict[tuple[str, str], int]:
    """The line of each rule's ``id`` in its file (recorded when the rules were loaded), by (file, rule id)."""
    return {(rule.file, rule.id): rule.line for rule in report.rules}


def _condition_state(condition: ConditionCoverage) -> str:
    if not condition.true_cases and not condition.false_cases:
        return "not evaluated"
    if not condition.true_cases:
        return "never true"
    if not condition.false_cases:
        return "never false"
    if not condition.independent:
        return "true and false, but no pair of cases shows it alone changing the rule's outcome"
    return "covered"


def _names(names: tuple[str, ...], count: int, width: int = 80) -> str:
    """The first names that fit in ``width`` characters (at least one), and how many more there are."""
    shown = [name for number, name in enumerate(names) if number == 0 or len(", ".join(names[:number + 1])) <= width]
    listed = ", ".join(shown)
    more = count - len(shown)
    return f"{listed}, … (+{more})" if more > 0 and listed else listed


def _outcomes(rule: RuleCoverage) -> tuple[int, int]:
    """Condition outcomes seen (true, false) and possible, over a rule's leaves."""
    seen = sum((c.true_cases > 0) + (c.false_cases > 0) for c in rule.conditions)
    return seen, 2 * len(rule.conditions)


def _summary(report: CoverageReport) -> list[str]:
    fired = len(report.rules) - len(report.never_fired)
    lines = [
        f"Rule coverage of rules {report.rules_version} (sha256 {report.rules_hash[:12]}) by {report.cases} cases",
        f"  rules fired:  {fired} of {len(report.rules)} ({report.percent:.1f}%)",
    ]
    if report.rules_folder:
        lines.insert(1, f"  rule base:    {display_path(os.path.abspath(report.rules_folder))}")
    if report.conditions_measured:
        conditions = [c for _, c in report.conditions()]
        both = sum(c.both for c in conditions)
        independent = sum(c.independent for c in conditions)
        lines.append(f"  conditions:   {both} of {len(conditions)} seen both true and false; {independent} of "
                     f"{len(conditions)} shown to change their rule's outcome alone (MC/DC)")
    return lines


def render_text(report: CoverageReport) -> str:
    """The report as a plain-text table for a terminal."""
    measured = report.conditions_measured
    columns = ["rule", "file", "cases", *(["T/F", "MC/DC"] if measured else []), "fired by"]
    rows = []
    for rule in report.rules:
        row = [rule.id, rule.file, str(rule.fired)]
        if measured:
            row += [f"{sum(c.both for c in rule.conditions)}/{len(rule.conditions)}",
                    f"{sum(c.independent for c in rule.conditions)}/{len(rule.conditions)}"]
        rows.append([*row, _names(rule.cases, rule.fired, 0) or "-"])
    legend = ["T/F: conditions seen both true and false; MC/DC: conditions shown to change the rule's outcome alone"]
    parts = [*_summary(report), "", _table(columns, rows), *(legend if measured else [])]
    if measured:
        gaps = [(rule, c) for rule, c in report.conditions() if _condition_state(c) != "covered"]
        parts += ["", f"Conditions not fully covered ({len(gaps)})" if gaps else "Conditions not fully covered: none"]
        current = None
        for rule, condition in gaps:
            if rule.id != current:
                parts.append(f"  {rule.id} ({rule.file})")
                current = rule.id
            parts.append(f"    - {condition.text}: {_condition_state(condition)}")
    parts += ["", "Levels reached"]
    parts += [f"  {level:<10} {count:>5}  {_names(names, count)}".rstrip()
              for level, (count, names) in report.levels.items()]
    parts += ["", "Findings derived" if report.findings else "Findings derived: none (no rule asserts one)"]
    width = max((len(name) for name in report.findings), default=0)
    parts += [f"  {name:<{width}} {count:>5}  {_names(names, count)}".rstrip()
              for name, (count, names) in report.findings.items()]
    never = report.never_fired
    parts += ["", f"Never fired ({len(never)}): {', '.join(never)}" if never else "Never fired: none"]
    if report.errors:
        parts += ["", f"Cases that could not be scored ({len(report.errors)})"]
        parts += [f"  - {error.case_id} ({error.source}): {error.error}" for error in report.errors]
    return "\n".join(parts) + "\n"


def _table(columns: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(cell) for cell in [name, *(row[i] for row in rows)]) for i, name in enumerate(columns)]
    numeric = {i for i, name in enumerate(columns) if name in ("cases", "T/F", "MC/DC")}

    def line(cells: list[str]) -> str:
        pairs = enumerate(zip(cells, widths, strict=True))
        return "  ".join(c.rjust(w) if i in numeric else c.ljust(w) for i, (c, w) in pairs)

    return "\n".join(line(cells).rstrip() for cells in [columns, ["-" * w for w in widths], *rows])


def render_json(report: CoverageReport) -> dict[str, Any]:
    """The report as a JSON-ready dict (every case name kept, every condition listed)."""
    lines = rule_lines(report)
    conditions = [c for _, c in report.conditions()]
    return {
        "rules_version": report.rules_version,
        "rules_hash": report.rules_hash,
        "rules_folder": report.rules_folder,
        "cases": report.cases,
        "rule_coverage": {
            "rules": len(report.rules), "fired": len(report.rules) - len(report.never_fired),
            "percent": round(report.percent, 2), "never_fired": report.never_fired,
        },
        "condition_coverage": {
            "conditions": len(conditions), "seen_true": sum(c.true_cases > 0 for c in conditions),
            "seen_false": sum(c.false_cases > 0 for c in conditions), "seen_both": sum(c.both for c in conditions),
            "independent": sum(c.independent for c in conditions),
        } if report.conditions_measured else None,
        "rules": [
            {
                "id": rule.id, "file": rule.file, "line": lines[(rule.file, rule.id)], "criterion": rule.criterion,
                "fired": rule.fired, "cases": list(rule.cases),
                "conditions": [
                    {"index": c.index, "condition": c.text, "true": c.true_cases, "false": c.false_cases,
                     "independent": c.independent,
                     "pair": {"fired": c.independence[0], "not_fired": c.independence[1]} if c.independence else None}
                    for c in rule.conditions
                ],
            }
            for rule in report.rules
        ],
        "levels": {level: {"count": count, "cases": list(names)} for level, (count, names) in report.levels.items()},
        "findings": {name: {"count": count, "cases": list(names)} for name, (count, names) in report.findings.items()},
        "errors": [{"case_id": e.case_id, "source": e.source, "error": e.error} for e in report.errors],
    }


def _xml(root: ET.Element, doctype: str = "") -> str:
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + doctype + ET.tostring(root, encoding="unicode") + "\n"


def _shown_path(path: Path) -> str:
    """The path relative to the working folder when it is inside it (how CI tools link files), else absolute.

    A name that is not UTF-8 is shown with its bytes escaped (``rr\\xff``): XML holds text only.
    """
    resolved = path.resolve()
    try:
        return display_path(resolved.relative_to(Path.cwd().resolve()))
    except ValueError:
        return display_path(resolved)


def _rate(part: int, whole: int) -> str:
    return f"{part / whole:.4f}" if whole else "0"


def render_junit(report: CoverageReport) -> str:
    """JUnit XML: a test suite per rule file and a test case per rule, failed when no case fired it."""
    lines = rule_lines(report)
    never = len(report.never_fired)
    root = ET.Element("testsuites", name="rule coverage", tests=str(len(report.rules)), failures=str(never),
                      errors="0", skipped="0", time="0")
    by_file: dict[str, list[RuleCoverage]] = {}
    for rule in report.rules:
        by_file.setdefault(rule.file, []).append(rule)
    for file, rules in by_file.items():
        suite = ET.SubElement(root, "testsuite", name=file, tests=str(len(rules)),
                              failures=str(sum(not r.fired for r in rules)), errors="0", skipped="0", time="0")
        for rule in rules:
            case = ET.SubElement(suite, "testcase", name=rule.id, classname=f"rules.{Path(file).stem}",
                                 file=_shown_path(Path(report.rules_folder) / file),
                                 line=str(lines[(rule.file, rule.id)]), time="0")
            if not rule.fired:
                ET.SubElement(case, "failure", type="NeverFired",
                              message=f"rule '{rule.id}' ({rule.criterion}) was fired by none of the "
                                      f"{report.cases} cases")
            detail = [f"fired by {rule.fired} case(s): {', '.join(rule.cases)}" if rule.fired else "fired by no case"]
            detail += [f"condition {c.text}: {_condition_state(c)}" for c in rule.conditions]
            ET.SubElement(case, "system-out").text = "\n".join(detail)
    return _xml(root)


def render_cobertura(report: CoverageReport) -> str:
    """Cobertura XML: the rule folder a package, each rule file a class, each rule a line hit by the cases firing it."""
    lines = rule_lines(report)
    measured = report.conditions_measured

    def rates(rules: list[RuleCoverage]) -> dict[str, str]:
        seen = sum(_outcomes(r)[0] for r in rules) if measured else 0
        valid = sum(_outcomes(r)[1] for r in rules) if measured else 0
        return {"line-rate": _rate(sum(r.fired > 0 for r in rules), len(rules)), "branch-rate": _rate(seen, valid),
                "complexity": "0"}

    every = list(report.rules)
    seen_all = sum(_outcomes(r)[0] for r in every) if measured else 0
    valid_all = sum(_outcomes(r)[1] for r in every) if measured else 0
    root = ET.Element("coverage", {
        **rates(every), "lines-covered": str(sum(r.fired > 0 for r in every)), "lines-valid": str(len(every)),
        "branches-covered": str(seen_all), "branches-valid": str(valid_all),
        "version": f"triage {metadata.version('triage')}", "timestamp": str(int(time.time() * 1000)),
    })
    ET.SubElement(ET.SubElement(root, "sources"), "source").text = display_path(Path(report.rules_folder).resolve())
    package = ET.SubElement(ET.SubElement(root, "packages"), "package",
                            {"name": display_path(Path(report.rules_folder).name) or "rules", **rates(every)})
    classes = ET.SubElement(package, "classes")
    by_file: dict[str, list[RuleCoverage]] = {}
    for rule in report.rules:
        by_file.setdefault(rule.file, []).append(rule)
    for file, rules in by_file.items():
        element = ET.SubElement(classes, "class", {"name": Path(file).stem, "filename": file, **rates(rules)})
        ET.SubElement(element, "methods")
        line_elements = ET.SubElement(element, "lines")
        for rule in sorted(rules, key=lambda r: lines[(r.file, r.id)]):
            attributes = {"number": str(lines[(rule.file, rule.id)]), "hits": str(rule.fired), "branch": "false"}
            if measured and rule.conditions:
                seen, valid = _outcomes(rule)
                attributes.update({"branch": "true", "condition-coverage": f"{100 * seen // valid}% ({seen}/{valid})"})
            line = ET.SubElement(line_elements, "line", attributes)
            if attributes["branch"] == "true":
                conditions = ET.SubElement(line, "conditions")
                for c in rule.conditions:
                    ET.SubElement(conditions, "condition", number=str(c.index), type="jump",
                                  coverage=f"{50 * ((c.true_cases > 0) + (c.false_cases > 0))}%")
    doctype = '<!DOCTYPE coverage SYSTEM "http://cobertura.sourceforge.net/xml/coverage-04.dtd">\n'
    return _xml(root, doctype)
