"""The FastAPI application of ``triage serve``: routers, error handlers, CORS and the access log.

``create_app(config)`` builds it; uvicorn calls ``app_from_environment`` in each worker
process, which builds its own engine thread (``engine_thread.py``) when the app starts.

Routes: ``/health`` and ``/v1`` (``api.py``), ``/fhir`` (``fhir_api.py``), ``/cds-services``
(``cds_hooks.py``), the OpenAPI schema at ``/openapi.json`` (and with ``--docs`` the
OpenAPI page at ``/docs``, which loads Swagger UI from a CDN), and the browser interview at ``/``
(``web/routes.py``), which runs the interview on the engine thread like every other
assessment.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse, Response

from triage import __version__

from . import api, cds_hooks, fhir_api
from .access_log import AccessLog
from .bodies import ClientError, error_response
from .config import ServiceConfig
from .state import ServiceState
from .web import routes as web


def create_app(config: ServiceConfig) -> FastAPI:
    """The application for these settings (the engine is built when it starts, in the serving process)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        state = await ServiceState.start(config)
        app.state.service = state
        app.state.web = web.WebInterview.start(state)
        try:
            yield
        finally:
            await state.stop()

    app = FastAPI(
        title="triage", version=__version__, lifespan=lifespan, redoc_url=None,
        docs_url="/docs" if config.docs else None,  # Swagger UI loads its script and styles from cdn.jsdelivr.net
        description=("Rule-based triage of back, neck and mid-back symptoms: the assessment as JSON, FHIR R4 and "
                     "CDS Hooks 2.0. Decision support, not a diagnosis."),
    )
    app.include_router(api.router)
    app.include_router(fhir_api.router)
    app.include_router(cds_hooks.router)
    app.include_router(web.router)

    @app.exception_handler(ClientError)
    async def client_error(request: Request, exc: ClientError) -> Response:
        if isinstance(exc, web.FormError):  # the browser's forms: a page a person can read
            return web.form_error_page(request, exc)
        return error_response(exc, fhir=request.url.path.startswith("/fhir/"))

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        # Only path and query parameters reach here (bodies are read by the endpoints); echo no input.
        problems = [{"field": ".".join(str(p) for p in error["loc"]), "reason": error["msg"]} for error in exc.errors()]
        return JSONResponse({"error": "invalid request", "problems": problems}, 422)

    if config.cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=list(config.cors_origins), allow_methods=["GET", "POST"],
                           allow_headers=["authorization", "content-type", "x-request-id"],
                           expose_headers=["x-request-id"], max_age=600)
    app.add_middleware(AccessLog)  # outermost: it times, and logs, everything
    return app


def app_from_environment() -> FastAPI:
    """The application for the settings ``triage serve`` put in the environment (uvicorn's factory)."""
    return create_app(ServiceConfig.from_environment())
