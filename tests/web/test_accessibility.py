"""Every kind of page of the browser interview audited in chromium: axe-core (vendored), then our own rules.

axe-core checks WCAG 2.2 A and AA and its best practices (contrast, labels, landmarks,
headings, ARIA). Our own checks say what the issue asks of these pages in particular:
each question a fieldset with its legend, every control labelled, an error tied to its
field and linked from a focused summary, the level in words, one h1, and a focus that
shows on every element the Tab key reaches.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page

from triage.language.loading import load_rulebase

from ..service.conftest import Server
from ..test_interview import all_no_script
from .browser import WebPerson

AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
AXE_SHA256 = "29348999450cdf2849a8e70b7912fc2da85a849da39c0d0d5394f51d4a9ed95c"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
LABELS = {str(level): label for level, label in load_rulebase().labels.items()}

OWN_CHECKS = """() => {
  const problems = [];
  const visible = e => e.getClientRects().length > 0;
  if (!document.documentElement.lang) problems.push('html has no lang');
  if (!document.title.trim()) problems.push('the page has no title');
  if (document.querySelectorAll('h1').length !== 1) problems.push('not exactly one h1');
  const ids = [...document.querySelectorAll('[id]')].map(e => e.id);
  if (new Set(ids).size !== ids.length) problems.push('duplicate ids');
  for (const e of document.querySelectorAll('[tabindex]'))
    if (e.tabIndex > 0) problems.push('positive tabindex on ' + e.outerHTML.slice(0, 60));
  for (const control of document.querySelectorAll('input:not([type=hidden]), select, textarea')) {
    const named = control.labels.length > 0 && [...control.labels].every(l => l.textContent.trim());
    if (!named && !control.getAttribute('aria-labelledby')) problems.push('no label: ' + control.name);
  }
  for (const radio of document.querySelectorAll('input[type=radio]')) {
    const fieldset = radio.closest('fieldset');
    const legend = fieldset && fieldset.querySelector(':scope > legend');
    if (!legend || !legend.textContent.trim()) problems.push('a radio outside a fieldset with a legend: ' + radio.id);
  }
  const questionForm = document.querySelector('form:has(input[name=question])');
  if (questionForm) {
    const id = questionForm.querySelector('input[name=question]').value;
    if (questionForm.querySelectorAll('fieldset').length !== 1) problems.push('a question is not one fieldset');
    const legend = questionForm.querySelector('fieldset > legend');
    if (!legend || !legend.querySelector('h1')) problems.push('the question is not the legend and the h1');
    const controls = questionForm.querySelectorAll(`[name="${id}"]`);
    if (!controls.length) problems.push('no control named by the question id ' + id);
    const first = questionForm.querySelector('button[type=submit]');
    if (!first || first.value !== 'answer') problems.push('the first submit button does not answer');
  }
  for (const error of document.querySelectorAll('.error-message')) {
    const described = [...document.querySelectorAll('[aria-describedby]')].filter(
      e => e.getAttribute('aria-describedby').split(' ').includes(error.id));
    if (!error.id || !described.length) problems.push('an error message tied to no field');
    const summary = document.querySelector('.error-summary');
    if (!summary) { problems.push('an error without an error summary'); continue; }
    if (document.activeElement !== summary) problems.push('the error summary does not have the focus');
    for (const link of summary.querySelectorAll('a')) {
      const target = document.getElementById(link.getAttribute('href').slice(1));
      if (!target || !target.closest('.field') || !target.closest('.field').contains(error))
        problems.push('the summary links to no control of the field in error');
    }
    for (const input of document.querySelectorAll('.has-error input.number'))
      if (input.getAttribute('aria-invalid') !== 'true') problems.push('a number in error without aria-invalid');
  }
  for (const image of document.querySelectorAll('img, svg, iframe, object, embed, link[rel=preload], link[rel=prefetch]'))
    problems.push('an element the pages should not have: ' + image.tagName);
  return problems;
}"""

FOCUS_SHOWS = """() => {
  const element = document.activeElement;
  const drawn = e => { const s = getComputedStyle(e);
    return [s.outlineStyle, s.outlineWidth, s.outlineColor, s.boxShadow, s.backgroundColor, s.color].join('|'); };
  const box = element.closest('.option') || element;
  const focused = drawn(element) + drawn(box);
  element.blur();
  const plain = drawn(element) + drawn(box);
  element.focus();
  return [element.outerHTML.slice(0, 80), focused !== plain];
}"""


def audit(page: Page, name: str) -> list[str]:
    """The axe-core violations and our own problems on the page now shown, each named."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(content=AXE.read_text(encoding="utf-8"))
    result: dict[str, Any] = page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", TAGS)
    problems = [f"{name}: axe {v['id']} ({v['impact']}): {v['help']} at "
                f"{[node['target'] for node in v['nodes']][:3]}" for v in result["violations"]]
    problems += [f"{name}: {problem}" for problem in page.evaluate(OWN_CHECKS)]
    marked = page.locator("[data-urgency]")
    if marked.count():
        code = marked.first.get_attribute("data-urgency") or ""
        if LABELS.get(code, "\0") not in marked.first.inner_text():
            problems.append(f"{name}: the level {code} is not said in words")
    problems += [f"{name}: {problem}" for problem in focus_problems(page)]
    return problems


def focus_problems(page: Page) -> list[str]:
    """Tab through the page once: every element reached must look different while it has the focus."""
    problems = []
    page.evaluate("document.activeElement && document.activeElement.blur()")
    seen: set[str] = set()
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement === document.body"):
            break
        what, shows = page.evaluate(FOCUS_SHOWS)
        if what in seen:
            break
        seen.add(what)
        if not shows:
            problems.append(f"no visible focus on {what}")
    if not seen:
        problems.append("the Tab key reaches nothing")
    return problems


@pytest.fixture
def auditor(browser: Browser) -> Iterator[Page]:
    """A page that lets the test add axe-core despite the pages' Content-Security-Policy (no other page does)."""
    context = browser.new_context(bypass_csp=True, viewport={"width": 1280, "height": 900})
    try:
        yield context.new_page()
    finally:
        context.close()


def test_the_vendored_axe_core_is_the_published_file() -> None:
    """The vendored axe.min.js is the file of the npm package named in its README."""
    assert hashlib.sha256(AXE.read_bytes()).hexdigest() == AXE_SHA256


def test_every_kind_of_page_passes_the_audit(auditor: Page, web_server: Server) -> None:
    """Start, each kind of question, errors, Back, a stale form, three results and a refusal: no problem found."""
    page, person, problems = auditor, WebPerson(auditor, web_server.url), []
    page.goto(web_server.url + "/")
    problems += audit(page, "start")
    person.submit(page.locator("form button[type=submit]").first)
    problems += audit(page, "choice question")
    person.submit(person.form().locator("button[type=submit]").first)
    problems += audit(page, "choice question, nothing chosen")
    person.answer("lumbar")
    problems += audit(page, "number question")
    page.fill("input[name=age]", "abc")
    person.submit(person.form().locator("button[type=submit]").first)
    problems += audit(page, "number question, not a number")
    person.answer(None)
    person.back()
    problems += audit(page, "number question after Back, answered not sure")
    for value in (None, 3, 4, "improving"):
        person.answer(value)
    person.back()
    problems += audit(page, "choice question after Back")
    person.answer_all(all_no_script(night_pain=True, fever=None, saddle_numbness=None))
    problems += audit(page, "result with open questions (soon)")

    person.start()
    person.answer_all(all_no_script(urinary_retention=True))
    problems += audit(page, "emergency result")
    person.start()
    person.answer_all(all_no_script())
    problems += audit(page, "self-care result")

    person.start()
    person.answer("lumbar")
    page.evaluate("document.querySelector('input[name=question]').value = 'region'")  # a page out of date
    person.submit(person.form().locator("button[type=submit]").first)
    assert page.locator(".notice").count() == 1 and person.question_id() == "age"
    problems += audit(page, "question with a notice")

    page.context.add_cookies([{"name": "triage_interview", "value": "damaged", "url": web_server.url}])
    person.submit(person.form().locator("button[type=submit]").first)
    assert page.locator("h1").inner_text() == "Your answers have been forgotten"
    problems += audit(page, "refusal")
    assert problems == [], "\n".join(problems)


def test_the_audit_finds_what_it_looks_for(auditor: Page, web_server: Server) -> None:
    """A page broken on purpose (no label, no legend, a lone error, colour only, no focus style) fails every check."""
    page = auditor
    page.goto(web_server.url + "/")
    page.set_content("""<html><head><title>x</title><style>*:focus{outline:none}</style></head><body><main>
      <h1>One</h1><h1>Two</h1>
      <form><input type="hidden" name="question" value="q"><div class="field has-error">
        <input type="radio" name="q" value="a" id="a"><input class="number" name="n">
        <p class="error-message" id="q-error">Wrong</p></div>
        <button type="submit" value="back">Back</button></form>
      <div data-urgency="urgent" style="background:red">&nbsp;</div></main></body></html>""")
    found = " ".join(audit(page, "broken"))
    for expected in ("html has no lang", "not exactly one h1", "no label: q", "no label: n",
                     "a radio outside a fieldset", "a question is not one fieldset", "the first submit button",
                     "an error message tied to no field", "an error without an error summary",
                     "the level urgent is not said in words", "no visible focus", "axe label"):
        assert expected in found, expected
