"""The click commands of the service: ``triage serve`` and ``triage fhir questionnaire``.

Thin: settings in, ``uvicorn.run`` out. The web framework is imported only when serving.
"""

from __future__ import annotations

import json
import os
import signal
import sys
from typing import Optional

import click

from triage.cli.common import RULES_OPTION, run_command

MIB = 1024 * 1024  # config.MIB, repeated so that ``triage --help`` imports neither pydantic nor the service


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on (localhost only by default).")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True)
@RULES_OPTION
@click.option("--workers", type=click.IntRange(min=1), default=1, show_default=True,
              help="Worker processes, each with its own rule engine.")
@click.option("--max-body", type=click.IntRange(min=1), default=MIB, show_default=True, metavar="BYTES",
              help="Largest request body (413 above it); for /v1/score, the largest line.")
@click.option("--max-score-body", type=click.IntRange(min=1), default=64 * MIB, show_default=True, metavar="BYTES",
              help="Largest /v1/score request body.")
@click.option("--public-url", default=None, metavar="URL",
              help="The base URL clients use to reach the service (the JWT audience); default http://HOST:PORT.")
@click.option("--cors-origin", "cors_origins", multiple=True, metavar="ORIGIN",
              help="A browser origin allowed to call the service (repeatable), e.g. https://sandbox.cds-hooks.org.")
@click.option("--jwks", multiple=True, metavar="FILE_OR_URL",
              help="JWK Set of a trusted CDS client (repeatable); CDS Hooks calls then need a signed JWT.")
@click.option("--issuer", "issuers", multiple=True, metavar="ISS", help="An accepted JWT issuer (repeatable).")
@click.option("--fhir-server", "fhir_servers", multiple=True, metavar="BASE_URL",
              help="A FHIR server (base URL) the CDS service may fetch from when a call has no prefetch "
                   "(repeatable; default: none).")
@click.option("--any-fhir-server", is_flag=True,
              help="Fetch from whatever fhirServer a call names (a risk: addresses inside your network too).")
@click.option("--docs", is_flag=True,
              help="Serve the OpenAPI page at /docs (its browser loads Swagger UI from cdn.jsdelivr.net).")
@click.option("--graceful-timeout", type=click.FloatRange(min=0, min_open=True), default=30.0, show_default=True,
              metavar="SECONDS", help="On SIGTERM, how long requests in flight may take to finish.")
def serve(host: str, port: int, rules_dir: Optional[str], workers: int, max_body: int, max_score_body: int,
          public_url: Optional[str], cors_origins: tuple[str, ...], jwks: tuple[str, ...], issuers: tuple[str, ...],
          fhir_servers: tuple[str, ...], any_fhir_server: bool, docs: bool, graceful_timeout: float) -> None:
    """Serve the assessment over HTTP: /v1 API, FHIR Questionnaire and QuestionnaireResponse, CDS Hooks.

    The OpenAPI schema is at /openapi.json (and the page at /docs with --docs). SIGTERM (or Ctrl-C) lets
    requests in flight finish, then exits.
    """
    from pydantic import ValidationError

    from .config import ServiceConfig

    try:
        config = ServiceConfig(
            host=host, port=port, rules_dir=rules_dir, workers=workers, max_body=max_body,
            max_score_body=max_score_body, public_url=public_url, cors_origins=cors_origins, jwks=jwks,
            issuers=issuers, fhir_servers=fhir_servers, any_fhir_server=any_fhir_server,
            docs=docs, graceful_timeout=graceful_timeout,
        )
    except ValidationError as exc:
        reasons = [error["msg"].removeprefix("Value error, ") for error in exc.errors()]
        raise click.UsageError("; ".join(reasons)) from None

    def action() -> None:
        import uvicorn

        from triage.errors import InputError
        from triage.language.loading import load_rulebase

        from .access_log import log_config
        from .auth import JwtVerifier, read_key_file
        from .web.seal import KEY_VARIABLE, check_key, new_key

        load_rulebase(rules_dir)  # a broken rule base fails here, with its problems, before anything listens
        for source in jwks:  # and so does a JWK Set file that cannot be used
            if not JwtVerifier.is_url(source):
                try:
                    read_key_file(source)
                except ValueError as exc:
                    raise InputError(f"--jwks {source}: cannot be used", [str(exc)]) from None
        key = os.environ.get(KEY_VARIABLE)
        if key and (reason := check_key(key)):
            raise InputError(f"{KEY_VARIABLE}: cannot be used", [reason])
        if not key:  # every worker process seals and opens the browser interview's cookies with this one key
            os.environ[KEY_VARIABLE] = new_key()
        for warning in config.warnings():
            click.echo(f"warning: {warning}", err=True)
        config.to_environment()
        # uvicorn re-raises SIGTERM after its graceful shutdown: end with exit status 0 rather than die by it.
        signal.signal(signal.SIGTERM, lambda number, frame: sys.exit(0))
        uvicorn.run(
            "triage.service.app:app_from_environment", factory=True, host=host, port=port, workers=workers,
            log_config=log_config(), access_log=False, server_header=False,
            timeout_graceful_shutdown=int(graceful_timeout + 0.999),
        )

    run_command(action)


@click.group()
def fhir() -> None:
    """The questionnaire and assessments as FHIR R4 resources."""


@fhir.command("questionnaire")
@click.option("-o", "--output", default=None, metavar="FILE",
              help="Write to this file (atomically); default: standard output.")
def fhir_questionnaire(output: Optional[str]) -> None:
    """Print the bundled questionnaire as a FHIR R4 Questionnaire (as GET /fhir/Questionnaire/spine serves it)."""

    def action() -> None:
        from triage.files import atomic_output
        from triage.interview.questionnaire import load_questionnaire

        from .fhir import questionnaire_resource

        text = json.dumps(questionnaire_resource(load_questionnaire()), indent=2, ensure_ascii=False) + "\n"
        with atomic_output(output) as stream:
            stream.write(text)

    run_command(action)
