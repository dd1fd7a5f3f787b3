"""Where a browser interview's answers live: in one cookie, encrypted and authenticated with the server's key.

The server keeps nothing between requests. The answers, their order and the earlier
answers kept for Back travel in a cookie (``HttpOnly``, ``SameSite=Strict``, no expiry
date, so the browser drops it when it closes) sealed with Fernet (AES-128-CBC and
HMAC-SHA256, from ``cryptography``): the browser cannot read or change it, and the server
refuses it two hours after the last answer, or once the rules or the questions change.
"Start again" deletes it. A cookie, rather than hidden form fields, so that every answer
can be POSTed and redirected to a plain GET (POST-redirect-GET) without putting anything
in the URL; any worker process of the same ``triage serve`` can open it, because they share
the key (``KEY_VARIABLE``, set by ``triage serve`` when the operator has not).

Every form carries a CSRF token: an HMAC of the cookie's random nonce under a key derived
from the server's key, compared in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr, ValidationError

from triage.interview.questionnaire import Questionnaire
from triage.interview.runner import InterviewState
from triage.interview.sessions import answer_problems, new_case_id

#: The environment variable holding the Fernet key every worker process of one server shares.
KEY_VARIABLE = "TRIAGE_WEB_KEY"
COOKIE = "triage_interview"
#: Seconds after the last answer (the last time the cookie was sealed) that a cookie is still accepted.
LIFETIME = 2 * 60 * 60

Answer = StrictBool | StrictInt | StrictStr | None


class Refused(Exception):
    """A cookie that cannot be used: expired, damaged, or sealed under other rules or questions."""


class Sealed(BaseModel):
    """What the cookie holds: question positions instead of ids (short), and the versions they were given under."""

    model_config = ConfigDict(extra="forbid")

    nonce: StrictStr = Field(min_length=16, max_length=64)
    version: StrictStr  # the questionnaire version and the rules hash the positions and answers belong to
    started: StrictBool = False
    case_id: StrictStr | None = None
    answers: list[tuple[StrictInt, Answer]] = Field(default_factory=list)
    history: list[StrictInt] = Field(default_factory=list)
    defaults: list[tuple[StrictInt, Answer]] = Field(default_factory=list)
    notice: StrictStr | None = None


class WebState:
    """One browser's interview: the runner's ``InterviewState`` and what the web pages add to it."""

    def __init__(self, nonce: str | None = None, started: bool = False, interview: InterviewState | None = None,
                 notice: str | None = None):
        self.nonce = nonce or secrets.token_hex(16)
        self.started = started
        self.interview = interview if interview is not None else InterviewState()
        self.notice = notice  # said once, on the next page (e.g. that a form was out of date)

    def start(self) -> None:
        """Begin a new interview: every earlier answer forgotten, a new case id (the nonce is kept)."""
        self.started = True
        self.interview = InterviewState(case_id=new_case_id())
        self.notice = None


def new_key() -> str:
    """A new random Fernet key (url-safe base64 of 32 bytes)."""
    return Fernet.generate_key().decode("ascii")


def key_from_environment() -> bytes:
    """The key in ``KEY_VARIABLE``; a new one (kept in the environment) when it is not set."""
    key = os.environ.get(KEY_VARIABLE)
    if not key:
        key = os.environ[KEY_VARIABLE] = new_key()
    return key.encode("ascii")


def check_key(key: str) -> str | None:
    """Why ``key`` cannot be used as the web interview's key (None when it can)."""
    try:
        Fernet(key.encode("ascii"))
    except (ValueError, UnicodeEncodeError):
        return "expected a Fernet key: 32 random bytes in url-safe base64 (44 characters)"
    return None


class Sealer:
    """Seals a ``WebState`` into a cookie value and opens it again; makes and checks CSRF tokens."""

    def __init__(self, key: bytes, questionnaire: Questionnaire, rules_hash: str, lifetime: int = LIFETIME):
        self._fernet = Fernet(key)
        self._csrf_key = hmac.new(key, b"triage web csrf", hashlib.sha256).digest()
        self._questionnaire = questionnaire
        self._ids = [q.id for q in questionnaire.questions]
        self._version = f"{questionnaire.version}/{rules_hash}"
        self.lifetime = lifetime

    def seal(self, state: WebState) -> str:
        """The cookie value for this state."""
        position = self._questionnaire.index
        interview = state.interview
        sealed = Sealed(
            nonce=state.nonce, version=self._version, started=state.started, case_id=interview.case_id,
            answers=[(position[k], v) for k, v in interview.answers.items()],
            history=[position[k] for k in interview.history],
            defaults=[(position[k], v) for k, v in interview.defaults.items()], notice=state.notice,
        )
        return self._fernet.encrypt(sealed.model_dump_json().encode("utf-8")).decode("ascii")

    def open(self, value: str) -> WebState:
        """The state sealed in a cookie value; ``Refused`` when it is expired, damaged or from other versions."""
        try:
            plain = self._fernet.decrypt(value.encode("ascii"), ttl=self.lifetime)
            sealed = Sealed.model_validate_json(plain)
        except (InvalidToken, UnicodeEncodeError, ValidationError) as exc:
            raise Refused("expired or damaged") from exc
        if sealed.version != self._version:
            raise Refused("sealed under other questions or rules")
        try:
            answers = self._named(sealed.answers)
            defaults = self._named(sealed.defaults)
            history = [self._ids[n] for n in sealed.history]
        except IndexError as exc:
            raise Refused("damaged") from exc
        if answer_problems(answers, self._questionnaire, "answer") or \
                answer_problems(defaults, self._questionnaire, "answer"):
            raise Refused("damaged")
        interview = InterviewState(answers=answers, history=history, defaults=defaults, case_id=sealed.case_id)
        return WebState(sealed.nonce, sealed.started, interview, sealed.notice)

    def _named(self, pairs: list[tuple[int, Any]]) -> dict[str, Any]:
        if any(n < 0 for n, _ in pairs):
            raise IndexError("negative position")
        return {self._ids[n]: value for n, value in pairs}

    def csrf_token(self, state: WebState) -> str:
        """The CSRF token of every form on the pages of this state."""
        return hmac.new(self._csrf_key, state.nonce.encode("ascii"), hashlib.sha256).hexdigest()

    def csrf_ok(self, state: WebState, token: str | None) -> bool:
        """Whether a submitted token is this state's (compared in constant time)."""
        return token is not None and token.isascii() and hmac.compare_digest(self.csrf_token(state), token)

