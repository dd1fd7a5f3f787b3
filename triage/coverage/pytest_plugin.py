"""The pytest plugin (entry point ``pytest11``): ``pytest --rule-coverage`` reports which rules the tests fired.

Every assessment made during the test session is counted, by any path: ``Assessor.assess``,
an interview's ``Session``, ``triage score`` in this process or in worker processes
(``Assessor.observer``). Only assessments made with the measured rule base count,
recognised by its content hash: the bundled rules, or ``--rule-coverage-rules DIR``. The
report is printed at the end of the session, each rule with the tests that fired it;
``--rule-coverage-fail-under PERCENT`` fails the session when fewer rules fired, naming
those never fired. Nothing is imported or observed unless one of the options is given.
(With pytest-xdist the assessments made in xdist workers are not seen.)
"""

from __future__ import annotations

from typing import Any

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    """The plugin's command-line options."""
    group = parser.getgroup("triage", "rule coverage of the triage rule base")
    group.addoption("--rule-coverage", action="store_true", default=False,
                    help="Report which rules of the rule base the tests fire.")
    group.addoption("--rule-coverage-fail-under", type=float, default=None, metavar="PERCENT",
                    help="Fail the session when fewer than PERCENT of the rules fired (implies --rule-coverage).")
    group.addoption("--rule-coverage-rules", default=None, metavar="DIR",
                    help="The rule folder to measure (default: the bundled rules; implies --rule-coverage).")


def pytest_configure(config: pytest.Config) -> None:
    """Start measuring when asked to."""
    options = ("rule_coverage_fail_under", "rule_coverage_rules")
    if config.getoption("rule_coverage") or any(config.getoption(name) is not None for name in options):
        config.pluginmanager.register(RuleCoverage(config), "triage-rule-coverage")


class RuleCoverage:
    """Counts the rules fired by the assessments of one test session, and reports them at its end."""

    def __init__(self, config: pytest.Config):
        from triage.assess.assessor import Assessor
        from triage.coverage.collector import CoverageCollector
        from triage.errors import RuleBaseError
        from triage.language.loading import load_rulebase

        try:
            self.rulebase = load_rulebase(config.getoption("rule_coverage_rules"))
        except RuleBaseError as exc:
            raise pytest.UsageError(f"--rule-coverage: {exc}") from None
        self.collector = CoverageCollector(self.rulebase, keep_cases=3)
        self.fail_under: float | None = config.getoption("rule_coverage_fail_under")
        self.failure: str | None = None
        self._test: str | None = None
        self._assessor = Assessor
        self._previous = Assessor.observer
        Assessor.observer = self._observe

    def _observe(self, seen: Any) -> None:
        if seen.rules_hash == self.rulebase.content_hash:
            self.collector.add(self._test or seen.case_id, seen.fired_rules, seen.urgency)

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_protocol(self, item: pytest.Item) -> Any:
        """Name the assessments made during a test (its fixtures included) after the test."""
        self._test = item.nodeid
        try:
            return (yield)
        finally:
            self._test = None

    @pytest.hookimpl(wrapper=True)
    def pytest_runtestloop(self, session: pytest.Session) -> Any:
        """After the tests, fail the session if rule coverage is under the threshold."""
        result = yield
        report = self.collector.report()
        if self.fail_under is not None and report.percent < self.fail_under and not session.config.option.collectonly:
            fired = len(report.rules) - len(report.never_fired)
            self.failure = (f"FAIL Required rule coverage of {self.fail_under:g}% not reached: {fired} of "
                            f"{len(report.rules)} rules fired ({report.percent:.1f}%); never fired: "
                            f"{', '.join(report.never_fired)}")
            session.testsfailed += 1
        return result

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        """Print the report, and the failure if there is one."""
        from triage.coverage.report import render_text

        terminalreporter.write_sep("-", "triage rule coverage (each assessment made by a test counts as a case)")
        terminalreporter.write(render_text(self.collector.report()))
        if self.failure:
            terminalreporter.write_line(self.failure, red=True, bold=True)
        elif self.fail_under is not None:
            terminalreporter.write_line(f"Required rule coverage of {self.fail_under:g}% reached.", green=True)

    def pytest_unconfigure(self) -> None:
        """Stop observing."""
        if self._assessor.observer == self._observe:
            self._assessor.observer = self._previous
