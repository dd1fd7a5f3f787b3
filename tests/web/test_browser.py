"""The interview in a real headless chromium: the paths a person takes, Back, the keyboard, a phone, no JavaScript."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Browser, Page

from ..service.conftest import Server
from ..test_interview import all_no_script
from .browser import QUESTIONNAIRE, WebPerson
from .interfaces import scripted

#: The questions after the bladder, bowel and saddle follow-ups (never asked once the emergency is settled).
AFTER_FOLLOW_UPS = [q.id for q in QUESTIONNAIRE.questions][QUESTIONNAIRE.index["ces_symptoms_worsening"] + 1:]


def text_order(page: Page, *texts: str) -> list[int]:
    """Where each text first appears in the page's visible text (-1 when it does not)."""
    body = " ".join(page.inner_text("main").split())
    return [body.find(text) for text in texts]


def test_u5_sixty_days_not_worse_is_urgent_after_both_follow_ups(person: WebPerson, artefacts: Path) -> None:
    """Low back, 30, 60 days; saddle numbness for 60 days, not getting worse: URGENT (U5), both follow-ups asked
    (the emergency while "how long" is unknown is not settled, so the interview does not stop at it)."""
    script = all_no_script(region="lumbar", age=30, duration_days=60, saddle_numbness=True, ces_symptoms_days=60,
                           ces_symptoms_worsening=False)
    person.start()
    asked = person.answer_all(script)
    person.screenshot(artefacts, "result-u5-urgent")
    assert "ces_symptoms_days" in asked and "ces_symptoms_worsening" in asked
    assert person.urgency() == "urgent"
    assert "URGENT" in person.page.inner_text("[data-urgency]")



def test_saddle_numbness_getting_worse_stops_at_once_with_the_emergency_first(
        person: WebPerson, artefacts: Path, tmp_path: Path) -> None:
    """Saddle numbness that is getting worse: the emergency page at once, what to do first, then why."""
    script = all_no_script(saddle_numbness=True, ces_symptoms_days=60, ces_symptoms_worsening=True)
    person.start()
    asked = person.answer_all(script)
    person.screenshot(artefacts, "result-emergency")
    assert person.urgency() == "emergency"
    assert person.page.url.endswith("/result")
    # It stops the moment the interview's own decision (run_interview, as --answers runs it) stops it ...
    assert len(asked) == scripted(tmp_path, script)["questions_asked"] == person.questions_asked()
    # ... which is no later than the answer that makes it certain: nothing after the follow-ups is asked.
    assert not set(asked) & set(AFTER_FOLLOW_UPS)
    headline, what_to_do, why = text_order(person.page, "EMERGENCY: PLEASE ACT NOW", "What to do", "Why")
    assert 0 <= headline < what_to_do < why
    assert "Go to an emergency department now" in person.page.inner_text("[data-urgency]")
    assert "stopped there because your answers already make this an emergency" in person.page.inner_text("main")


def test_all_no_ends_in_self_care_after_every_question(person: WebPerson, artefacts: Path, tmp_path: Path) -> None:
    """No to every warning sign: SELF-CARE, complete, after every question the interview shows."""
    script = all_no_script()
    person.start()
    asked = person.answer_all(script)
    person.screenshot(artefacts, "result-self-care")
    assert person.urgency() == "self_care"
    assert len(asked) == len(set(asked)) == scripted(tmp_path, script)["questions_asked"] == 36
    main = person.page.inner_text("main")
    assert "SELF-CARE" in main and "None of the warning signs we ask about applies to you." in main
    assert "Questions not answered" not in main


def test_result_with_unanswered_questions_lists_what_each_could_lead_to(person: WebPerson, artefacts: Path) -> None:
    """Night pain with fever and saddle numbness 'not sure': SOON, and the two questions under what they could mean."""
    person.start()
    person.answer_all(all_no_script(night_pain=True, fever=None, saddle_numbness=None))
    person.screenshot(artefacts, "result-soon-open-questions")
    assert person.urgency() == "soon"
    main = " ".join(person.page.inner_text("main").split())
    section = main.split("Questions not answered that could change this result")[1]
    assert section.index("Could make this an emergency:") < section.index("inner thighs") \
        < section.index("Could make this urgent (a doctor today):") < section.index("38 °C")
    assert "This may be more urgent than shown" in person.page.inner_text("[data-urgency]")


def test_back_after_not_sure_shows_not_sure_chosen(person: WebPerson) -> None:
    """Back returns to the earlier question with its answer chosen: Not sure on a choice, an empty box for a number."""
    page = person.page
    person.start()
    for value in ("lumbar", None, 3, 4, None):  # region, age (not sure), days, pain score, trend (not sure)
        person.answer(value)
    assert person.question_id() == "leg_pain"
    person.back()
    assert person.question_id() == "pain_trend"
    assert page.is_checked("input[name=pain_trend][value='']")
    assert [page.is_checked(f"input[name=pain_trend][value={v}]") for v in ("improving", "stable", "worsening")] \
        == [False, False, False]
    person.back()
    person.back()
    person.back()
    assert person.question_id() == "age"
    assert page.input_value("input[name=age]") == "" and "You answered Not sure before." in page.inner_text("main")
    person.answer(52)  # change it, then on: each question stepped back over shows its earlier answer again
    assert person.question_id() == "duration_days" and page.input_value("input[name=duration_days]") == "3"
    person.answer(3)
    assert person.question_id() == "pain_score" and page.input_value("input[name=pain_score]") == "4"
    person.answer(4)
    assert person.question_id() == "pain_trend" and page.is_checked("input[name=pain_trend][value='']")
    person.answer("worsening")
    assert person.question_id() == "leg_pain"


def test_no_answer_chosen_is_an_error_tied_to_the_question(person: WebPerson) -> None:
    """Continue with nothing chosen: an error summary, focused, linking to the first option; nothing is recorded."""
    page = person.page
    person.start()
    person.submit(person.form().locator("button[type=submit]").first)
    assert person.question_id() == "region" and page.title().startswith("Error: ")
    summary = page.locator(".error-summary")
    assert summary.evaluate("element => element === document.activeElement")
    link = summary.locator("a")
    assert link.get_attribute("href") == "#region-lumbar"
    assert page.locator("fieldset").get_attribute("aria-describedby") == "region-error"
    assert link.inner_text() in page.inner_text("#region-error")
    link.click()
    assert page.evaluate("document.activeElement.id") == "region-lumbar"


def _tab_to(page: Page, css: str, limit: int = 30) -> None:
    """Press Tab until the focused element matches ``css``."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("css => document.activeElement.matches(css)", css):
            return
    raise AssertionError(f"Tab never reached {css}")


def _enter(page: Page) -> None:
    """Press Enter on what has the focus, and wait for the page it submits to."""
    with page.expect_navigation():
        page.keyboard.press("Enter")


def _focus_shows(page: Page) -> bool:
    """Whether the focused element (or its option box) is drawn differently from when it is not focused."""
    return bool(page.evaluate("""() => {
        const element = document.activeElement;
        const drawn = e => { const s = getComputedStyle(e);
            return [s.outlineStyle, s.outlineWidth, s.outlineColor, s.boxShadow, s.backgroundColor].join('|'); };
        const box = element.closest('.option') || element;
        const focused = drawn(element) + drawn(box);
        element.blur();
        const plain = drawn(element) + drawn(box);
        element.focus({focusVisible: true});
        return focused !== plain;
    }"""))


def test_keyboard_only_answers_the_whole_interview(page: Page, web_server: Server, artefacts: Path) -> None:
    """Tab, the arrow keys, Space and Enter alone: start, answer every question (a Back included), reach the result."""
    person = WebPerson(page, web_server.url)
    script = all_no_script(night_pain=True)
    page.goto(web_server.url + "/")
    _tab_to(page, "form button[type=submit]")
    assert _focus_shows(page)
    _enter(page)
    went_back = False
    for question_id in person.questions():
        question = QUESTIONNAIRE.question(question_id)
        value = script[question_id]
        if question.type == "number":
            _tab_to(page, f"input[name={question_id}]")
            page.keyboard.press("Control+A")
            page.keyboard.type(str(value))
            _enter(page)  # submits with the form's first button: Continue
        else:
            values = ["true", "false"] if question.type == "yes_no" else [o.value for o in question.choices]
            _tab_to(page, f"input[name={question_id}]")
            if question_id == "saddle_numbness":
                assert _focus_shows(page)
                page.screenshot(path=str(artefacts / "keyboard-focus.png"))
            target = values.index(str(value).lower() if isinstance(value, bool) else value)
            checked = page.evaluate("document.activeElement.checked")
            if checked:  # after Back: the earlier answer is chosen and has the focus
                current = values.index(page.evaluate("document.activeElement.value"))
                for _ in range(abs(target - current)):
                    page.keyboard.press("ArrowDown" if target > current else "ArrowUp")
            elif target == 0:
                page.keyboard.press("Space")
            else:
                for _ in range(target):
                    page.keyboard.press("ArrowDown")
            _tab_to(page, "button[type=submit][value=answer]")
            assert _focus_shows(page)
            if question_id == "leg_pain" and not went_back:
                page.keyboard.press("Tab")  # on to Back
                assert page.evaluate("document.activeElement.value") == "back"
                _enter(page)
                went_back = True
                assert person.question_id() == "pain_trend"
                continue
            _enter(page)
        person.asked.append(question_id)
    assert person.urgency() == "soon"
    assert "Pain that is worse at night" in page.inner_text("main")


def test_at_360_pixels_nothing_scrolls_sideways_and_the_answers_are_large(browser: Browser, web_server: Server,
                                                                          artefacts: Path) -> None:
    """On a 360 px phone: no page is wider than the screen, the text is at least 16 px, each answer 44 px tall."""
    context = browser.new_context(viewport={"width": 360, "height": 740}, device_scale_factor=2, is_mobile=True,
                                  has_touch=True)
    try:
        page = context.new_page()
        person = WebPerson(page, web_server.url)
        page.goto(web_server.url + "/")
        pages_seen = 1
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        person.submit(page.locator("form button[type=submit]").first)
        page.screenshot(path=str(artefacts / "question-360.png"), full_page=True)
        script = all_no_script(region="cervical", age=67, hand_clumsiness=True, gait_unsteady=True,
                               bladder_change=True, ces_symptoms_days=2)
        for question_id in person.questions():
            assert page.evaluate("document.documentElement.scrollWidth") <= 360, question_id
            sizes = page.evaluate("""() => [...document.querySelectorAll('.option')].map(
                e => e.getBoundingClientRect().height)""")
            assert all(size >= 44 for size in sizes), (question_id, sizes)
            fonts = page.evaluate("""() => [...document.querySelectorAll('main p, main label, main li, legend')].map(
                e => parseFloat(getComputedStyle(e).fontSize))""")
            assert min(fonts) >= 16, question_id
            person.answer(script[question_id])
            pages_seen += 1
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        page.screenshot(path=str(artefacts / "result-emergency-360.png"), full_page=True)
        assert person.urgency() == "emergency" and pages_seen > 5
        tap = page.locator("button[type=submit]").first.bounding_box()
        assert tap is not None and tap["height"] >= 44
    finally:
        context.close()


def test_without_javascript_the_interview_works(browser: Browser, web_server: Server, artefacts: Path) -> None:
    """JavaScript off: start, answer (Back and an error included), the result and both downloads all work."""
    context = browser.new_context(java_script_enabled=False, accept_downloads=True)
    try:
        page = context.new_page()
        person = WebPerson(page, web_server.url)
        person.start()
        person.answer("thoracic")
        page.fill("input[name=age]", "200")
        person.submit(person.form().locator("button[type=submit]").first)
        assert page.locator(".error-summary").count() == 1 and person.question_id() == "age"
        person.answer(45)
        person.back()
        assert person.question_id() == "age" and page.input_value("input[name=age]") == "45"
        person.answer_all(all_no_script(region="thoracic", age=45, breathing_difficulty=True))
        page.screenshot(path=str(artefacts / "result-no-javascript.png"), full_page=True)
        assert person.urgency() == "emergency"
        with page.expect_download() as download:
            page.click("a[href='/result/answers.yaml']")
        saved = Path(download.value.path())
        assert "breathing_difficulty: true" in saved.read_text()
        assert "<script" not in page.content()
    finally:
        context.close()


def test_at_320_pixels_each_question_leaves_its_answers_above_the_fold(browser: Browser, web_server: Server,
                                                                       artefacts: Path) -> None:
    """On a 320 x 568 phone the question heading is at most 20 px, and on every question page the first answer
    starts above the fold (found by review: 28 px, seven lines, the answers below the fold)."""
    context = browser.new_context(viewport={"width": 320, "height": 568}, is_mobile=True, has_touch=True)
    try:
        page = context.new_page()
        person = WebPerson(page, web_server.url)
        person.start()
        script = all_no_script(region="lumbar", leg_pain="one_leg")
        asked = 0
        for question_id in person.questions():
            size = page.evaluate("parseFloat(getComputedStyle(document.querySelector('legend h1')).fontSize)")
            assert size <= 20, (question_id, size)
            first = page.locator(".option, input.number").first.bounding_box()
            assert first is not None and first["y"] < 568, (question_id, first)
            person.answer(script[question_id])
            asked += 1
        page.screenshot(path=str(artefacts / "result-320.png"))
        assert asked > 30
    finally:
        context.close()
