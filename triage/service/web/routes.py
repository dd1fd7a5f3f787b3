"""The browser interview's routes: plain HTML forms, POST-redirect-GET, the answers in a sealed cookie.

``/`` the start page · ``POST /start`` · ``/interview`` the current question (``POST``: an
answer or Back) · ``/result`` the result · ``/result/answers.yaml`` and
``/result/assessment.json`` the downloads · ``POST /restart`` forgets everything ·
``/static/triage.css``. No path or query string ever carries an answer, a question id or a
level (the access log prints paths), and no page loads anything from another site or runs
a script: the Content-Security-Policy says so to the browser.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from typing import Any
from urllib.parse import parse_qs

import yaml
from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from triage.interview.runner import InterviewResult

from ..bodies import ClientError, read_body
from ..state import ServiceState
from . import pages
from .flow import Finished, Prompt, Step, advance
from .seal import COOKIE, Refused, Sealer, WebState, key_from_environment

router = APIRouter(include_in_schema=False)

#: The largest form a question page posts is well under 1 KiB.
MAX_FORM = 16 * 1024
SECURITY_HEADERS = {
    "Content-Security-Policy": ("default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
                                "frame-ancestors 'none'; base-uri 'none'"),
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
    "Cache-Control": "no-store",
}
STALE = ("That page was out of date (the browser's Back button, or a second click), so its answer was not used. "
         "This is the question to answer now.")
_CSS = (resources.files("triage.service.web") / "static" / "triage.css").read_bytes()


@dataclass
class WebInterview:
    """What the browser interview holds in one service process: the sealer and the service's state."""

    service: ServiceState
    sealer: Sealer
    secure_cookie: bool

    @classmethod
    def start(cls, state: ServiceState) -> WebInterview:
        """The web interview of a service process (its key shared by every worker of one ``triage serve``)."""
        sealer = Sealer(key_from_environment(), state.questionnaire, state.engine.rulebase.content_hash)
        secure = (state.config.public_url or "").startswith("https://")
        return cls(state, sealer, secure)

    @property
    def title(self) -> str:
        """The questionnaire's title, on every page."""
        return self.service.questionnaire.title

    async def step(self, state: WebState, question_id: str | None = None, reply: Any = None) -> Step:
        """Run the interview on the engine thread to where it now waits, giving it the reply if it asks for it."""
        engine = self.service.engine
        return await engine.run(advance, self.service.logic, engine.assessor, state.interview, question_id, reply)


def web(request: Request) -> WebInterview:
    """The web interview of the process serving this request."""
    return request.app.state.web  # type: ignore[no-any-return]


# --- responses -------------------------------------------------------------------------------------------


def _secured(response: Response) -> Response:
    response.headers.update(SECURITY_HEADERS)
    return response


def _keep(response: Response, interview: WebInterview, state: WebState) -> Response:
    response.set_cookie(COOKIE, interview.sealer.seal(state), httponly=True, samesite="strict",
                        secure=interview.secure_cookie, path="/")
    return _secured(response)


def _page(interview: WebInterview, state: WebState, html: str, status: int = 200) -> Response:
    return _keep(HTMLResponse(html, status), interview, state)


def _redirect(interview: WebInterview, state: WebState | None, to: str) -> Response:
    response = RedirectResponse(to, 303)
    return _keep(response, interview, state) if state is not None else _secured(response)


def _message(interview: WebInterview, state: WebState, status: int, heading: str, *paragraphs: str) -> Response:
    html = pages.render("message.html", title=interview.title, csrf=interview.sealer.csrf_token(state),
                        heading=heading, paragraphs=paragraphs)
    return _page(interview, state, html, status)


def _expired(interview: WebInterview) -> Response:
    return _message(interview, WebState(), 400, "Your answers have been forgotten",
                    "They are kept for 2 hours after your last answer, and not at all once the questions change. "
                    "Please start again.")


def _no_cookie(interview: WebInterview) -> Response:
    return _message(interview, WebState(), 400, "Your browser did not send back your answers",
                    "This check keeps your answers in one cookie while you answer, and your browser did not send it "
                    "back (cookies may be turned off for this site). Please allow cookies for this site and start "
                    "again.")


def _forged(interview: WebInterview, state: WebState) -> Response:
    return _message(interview, state, 403, "This form cannot be used",
                    "It came from an older page, or from somewhere else. Nothing was changed.")


# --- state in and out --------------------------------------------------------------------------------------


def _load(request: Request, interview: WebInterview) -> tuple[WebState | None, bool]:
    """The state in the request's cookie (None without one) and whether a cookie was there but refused."""
    value = request.cookies.get(COOKIE)
    if value is None:
        return None, False
    try:
        return interview.sealer.open(value), False
    except Refused:
        return None, True


class FormError(ClientError):
    """A posted form that cannot be read (too large, too many fields, not text): answered as a page, not JSON."""


def form_error_page(request: Request, exc: FormError) -> Response:
    """The HTML page of a form that could not be read; the person's cookie (their answers) is left as it was."""
    interview = web(request)
    heading = "Your answer was too large to read" if exc.status == 413 else "Your answer could not be read"
    html = pages.render("message.html", title=interview.title, csrf=None, heading=heading,
                        paragraphs=("Nothing was changed. Go back to the questions and answer again.",))
    return _secured(HTMLResponse(html, exc.status, headers=exc.headers))


async def _form(request: Request) -> dict[str, str]:
    """The posted form (urlencoded): each field's first value; blank values kept ("not sure" is blank)."""
    try:
        body = await read_body(request, MAX_FORM)
    except ClientError as exc:
        raise FormError(exc.status, exc.summary, headers=exc.headers) from None
    try:
        fields = parse_qs(body.decode("utf-8"), keep_blank_values=True, max_num_fields=50)
    except (UnicodeDecodeError, ValueError):
        raise FormError(400, "the form could not be read") from None
    return {key: values[0] for key, values in fields.items()}


async def _posted(request: Request, interview: WebInterview) -> tuple[WebState, dict[str, str]] | Response:
    """The state and form of a POST, or the page that says why it cannot be used."""
    form = await _form(request)
    state, refused = _load(request, interview)
    if refused:
        return _expired(interview)
    if state is None:
        return _no_cookie(interview)
    if not interview.sealer.csrf_ok(state, form.get("csrf")):
        return _forged(interview, state)
    return state, form


async def _ongoing(request: Request, interview: WebInterview) -> tuple[WebState, Step] | Response:
    """The state of a started interview and where it is, or where to go instead."""
    state, refused = _load(request, interview)
    if refused:
        return _expired(interview)
    if state is None or not state.started:
        return _redirect(interview, state, "/")
    return state, await interview.step(state)


# --- the pages ----------------------------------------------------------------------------------------------


@router.get("/")
async def start_page(request: Request) -> Response:
    """What this is and is not, the emergency advice, and the form that starts the interview."""
    interview = web(request)
    state, _ = _load(request, interview)
    state = state or WebState()
    questions = len(interview.service.logic.shown({}))
    html = pages.render("start.html", title=interview.title, csrf=interview.sealer.csrf_token(state),
                        questions=questions, in_progress=state.started and bool(state.interview.answers))
    return _page(interview, state, html)


@router.post("/start")
async def start(request: Request) -> Response:
    """Start a new interview (any earlier answers are forgotten)."""
    interview = web(request)
    posted = await _posted(request, interview)
    if isinstance(posted, Response):
        return posted
    state, _ = posted
    state.start()
    return _redirect(interview, state, "/interview")


@router.get("/interview")
async def question(request: Request) -> Response:
    """The question the interview asks now (or the result, once it has ended)."""
    interview = web(request)
    ongoing = await _ongoing(request, interview)
    if isinstance(ongoing, Response):
        return ongoing
    state, step = ongoing
    if isinstance(step.now, Finished):
        return _redirect(interview, state, "/result")
    notice, state.notice = state.notice, None
    html = pages.question_page(step.now, csrf=interview.sealer.csrf_token(state), title=interview.title,
                               notice=notice)
    return _page(interview, state, html)


@router.post("/interview")
async def answer(request: Request) -> Response:
    """Take an answer (or Back) to the question on the page, then show the next question or the result."""
    interview = web(request)
    posted = await _posted(request, interview)
    if isinstance(posted, Response):
        return posted
    state, form = posted
    if not state.started:
        return _redirect(interview, state, "/")
    questionnaire = interview.service.questionnaire
    question_id = form.get("question", "")
    if question_id not in questionnaire.index:
        state.notice = STALE
        return _redirect(interview, state, "/interview")
    try:
        reply = pages.read_reply(questionnaire, questionnaire.question(question_id), form)
    except pages.Problem as problem:
        step = await interview.step(state)
        if isinstance(step.now, Prompt) and step.now.question.id == question_id:
            html = pages.question_page(step.now, csrf=interview.sealer.csrf_token(state), title=interview.title,
                                       posted=form.get(question_id), problem=str(problem))
            return _page(interview, state, html, 422)
        state.notice = STALE if isinstance(step.now, Prompt) else None
        return _redirect(interview, state, "/interview")
    step = await interview.step(state, question_id, reply)
    if isinstance(step.now, Finished):
        return _redirect(interview, state, "/result")
    state.notice = None if step.taken else STALE
    return _redirect(interview, state, "/interview")


async def _finished(request: Request, interview: WebInterview) -> tuple[WebState, InterviewResult] | Response:
    ongoing = await _ongoing(request, interview)
    if isinstance(ongoing, Response):
        return ongoing
    state, step = ongoing
    if isinstance(step.now, Prompt):
        return _redirect(interview, state, "/interview")
    return state, step.now.result


@router.get("/result")
async def result(request: Request) -> Response:
    """The result: the person's view of the assessment, the emergency first when it is one."""
    interview = web(request)
    finished = await _finished(request, interview)
    if isinstance(finished, Response):
        return finished
    state, outcome = finished
    html = pages.result_page(outcome, interview.service.labels, csrf=interview.sealer.csrf_token(state),
                             title=interview.title)
    return _page(interview, state, html)


def _download(interview: WebInterview, state: WebState, body: str, media_type: str, filename: str) -> Response:
    response = Response(body, media_type=media_type,
                        headers={"Content-Disposition": f'attachment; filename="{filename}"'})
    return _keep(response, interview, state)


@router.get("/result/answers.yaml")
async def answers_file(request: Request) -> Response:
    """The answers as a case file (YAML) that ``triage assess`` reads: the answers in force, "not sure" left out,
    and each answer taken from other answers (a question not asked) marked with a comment."""
    interview = web(request)
    finished = await _finished(request, interview)
    if isinstance(finished, Response):
        return finished
    state, outcome = finished
    case_id = outcome.assessment.case_id or "interview"
    header = (f"# The answers of triage interview {case_id} (questionnaire "
              f"{interview.service.questionnaire.version}).\n# A case file: `triage assess {case_id}.yaml` assesses "
              "it again. Questions answered \"not sure\" are left out (unknown).\n# An answer marked \"not asked\" "
              "was not given: the earlier answers settle it (no weakness, so no foot drop).\n")
    inferred = {name for name in outcome.case_answers if name not in outcome.asked}
    lines = []
    for line in yaml.safe_dump({"id": case_id, **outcome.case_answers}, sort_keys=False,
                               allow_unicode=True).splitlines():
        name = line.partition(":")[0]
        lines.append(f"{line}  # not asked: taken from other answers" if name in inferred else line)
    body = header + "\n".join(lines) + "\n"
    return _download(interview, state, body, "application/yaml; charset=utf-8", f"{case_id}.yaml")


@router.get("/result/assessment.json")
async def assessment_file(request: Request) -> Response:
    """The assessment JSON, as ``triage assess --format json`` prints it for the answers file."""
    interview = web(request)
    finished = await _finished(request, interview)
    if isinstance(finished, Response):
        return finished
    state, outcome = finished
    case_id = outcome.assessment.case_id or "interview"
    body = outcome.assessment.model_dump_json(indent=2) + "\n"
    return _download(interview, state, body, "application/json", f"{case_id}-assessment.json")


@router.get("/restart")
async def confirm_restart(request: Request) -> Response:
    """Ask before forgetting: the question pages link here, so that one tap near Continue forgets nothing."""
    interview = web(request)
    state, _ = _load(request, interview)
    if state is None:
        return _redirect(interview, None, "/")
    html = pages.render("confirm_restart.html", title=interview.title, csrf=interview.sealer.csrf_token(state))
    return _page(interview, state, html)


@router.post("/restart")
async def restart(request: Request) -> Response:
    """Forget everything: the cookie is deleted, and the start page begins afresh."""
    interview = web(request)
    form = await _form(request)
    state, _ = _load(request, interview)
    if state is not None and not interview.sealer.csrf_ok(state, form.get("csrf")):
        return _forged(interview, state)
    response = RedirectResponse("/", 303)
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict", secure=interview.secure_cookie)
    return _secured(response)


@router.get("/static/triage.css")
async def stylesheet() -> Response:
    """The pages' only stylesheet."""
    return Response(_CSS, media_type="text/css", headers={
        "Cache-Control": "public, max-age=3600", "X-Content-Type-Options": "nosniff"})


@router.get("/favicon.ico")
async def favicon() -> Response:
    """No icon (browsers ask for one)."""
    return Response(status_code=204, headers={"Cache-Control": "public, max-age=86400"})

