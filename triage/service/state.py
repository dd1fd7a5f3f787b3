"""What one service process holds while it runs: settings, the engine thread, the questionnaire, clients."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

import httpx
from fastapi import Request

from triage.interview.logic import Logic
from triage.interview.questionnaire import Questionnaire, load_questionnaire
from triage.models import Urgency

from .auth import JwtVerifier
from .config import ServiceConfig
from .engine_thread import EngineThread
from .fhir import questionnaire_resource


@dataclass
class ServiceState:
    """The state of one service process (``request.app.state.service``)."""

    config: ServiceConfig
    engine: EngineThread
    questionnaire: Questionnaire
    logic: Logic
    http: httpx.AsyncClient
    verifier: Optional[JwtVerifier] = None
    fhir_questionnaire: dict[str, Any] = field(default_factory=dict)
    questionnaire_json: dict[str, Any] = field(default_factory=dict)

    @property
    def labels(self) -> dict[Urgency, str]:
        """Each urgency level's label (EMERGENCY, URGENT, ...)."""
        return self.engine.rulebase.labels

    @classmethod
    async def start(cls, config: ServiceConfig) -> ServiceState:
        """Load the rules and the questionnaire, start the engine thread and the HTTP client."""
        engine = EngineThread(config.rules_dir)
        questionnaire = load_questionnaire()
        logic = Logic(questionnaire)
        http = httpx.AsyncClient(follow_redirects=False, timeout=config.fetch_timeout)
        verifier = None
        if config.authenticates:
            verifier = JwtVerifier(config.jwks, config.issuers, http, max_lifetime=config.jwt_max_lifetime,
                                   leeway=config.jwt_leeway)
            await verifier.load()
        return cls(
            config=config, engine=engine, questionnaire=questionnaire, logic=logic, http=http, verifier=verifier,
            fhir_questionnaire=questionnaire_resource(questionnaire, logic),
            questionnaire_json=questionnaire.model_dump(mode="json", by_alias=True, exclude_defaults=True),
        )

    async def stop(self) -> None:
        """Finish the engine's work and close the HTTP client."""
        self.engine.close()
        await self.http.aclose()


def service(request: Request) -> ServiceState:
    """The state of the process serving this request."""
    return request.app.state.service  # type: ignore[no-any-return]
