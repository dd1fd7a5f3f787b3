"""The settings of one ``triage serve``: a pydantic model, passed to worker processes through the environment."""

from __future__ import annotations

import os
from typing import Optional

from pydantic import BaseModel, ConfigDict, Field, model_validator

MIB = 1024 * 1024
#: The environment variable that carries the settings to uvicorn's worker processes.
ENVIRONMENT_VARIABLE = "TRIAGE_SERVICE_CONFIG"


class ServiceConfig(BaseModel):
    """Everything ``triage serve`` can be told; the defaults are the command's."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    host: str = "127.0.0.1"
    port: int = Field(8000, ge=0, le=65535)
    rules_dir: Optional[str] = None
    workers: int = Field(1, ge=1)
    max_body: int = Field(MIB, ge=1, description="largest request body in bytes; for /v1/score the largest line")
    max_score_body: int = Field(64 * MIB, ge=1, description="largest /v1/score request body in bytes")
    public_url: Optional[str] = Field(None, description="the base URL clients call (the JWT audience's base)")
    cors_origins: tuple[str, ...] = ()
    jwks: tuple[str, ...] = Field((), description="JWK Set files or URLs of the trusted CDS clients")
    issuers: tuple[str, ...] = Field((), description="the JWT issuers (iss) accepted")
    jwt_max_lifetime: int = Field(600, ge=1, description="longest accepted time from now to a JWT's exp, in seconds")
    jwt_leeway: int = Field(30, ge=0, description="clock skew allowed on exp and iat, in seconds")
    fhir_servers: tuple[str, ...] = Field((), description="base URLs the CDS service may fetch from (empty: none)")
    any_fhir_server: bool = Field(False, description="fetch from whatever fhirServer a call names")
    docs: bool = Field(False, description="serve the OpenAPI page at /docs (Swagger UI, loaded from a CDN)")
    fetch_timeout: float = Field(5.0, gt=0)
    graceful_timeout: float = Field(30.0, gt=0)

    @model_validator(mode="after")
    def _auth_is_whole(self) -> ServiceConfig:
        if bool(self.jwks) != bool(self.issuers):
            raise ValueError("JWT authentication needs both --jwks and --issuer")
        from .fhir_servers import check_base

        for base in self.fhir_servers:
            if reason := check_base(base):
                raise ValueError(reason)
        return self

    def warnings(self) -> list[str]:
        """What ``triage serve`` should warn about at startup: settings that work, but not as one may think."""
        found = []
        if self.any_fhir_server:
            found.append("--any-fhir-server: the CDS service fetches from whatever fhirServer a call names, with the "
                         "token it is lent, including addresses inside your network"
                         + ("" if self.authenticates else "; and any caller can ask (no --jwks)"))
        if self.authenticates and not self.public_url and self.host in ("0.0.0.0", "::", ""):  # noqa: S104
            found.append(f"--host {self.host} with --jwks but no --public-url: the JWT audience is {self.base_url}, "
                         "which no client calls, so every CDS Hooks call will fail authentication; give --public-url")
        return found

    @property
    def base_url(self) -> str:
        """The URL the service is reached at, without a trailing slash."""
        if self.public_url:
            return self.public_url.rstrip("/")
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def authenticates(self) -> bool:
        """Whether CDS Hooks calls must carry a JWT."""
        return bool(self.jwks)

    def to_environment(self) -> None:
        """Put these settings where ``from_environment`` (in a worker process) finds them."""
        os.environ[ENVIRONMENT_VARIABLE] = self.model_dump_json()

    @classmethod
    def from_environment(cls) -> ServiceConfig:
        """The settings ``to_environment`` stored, or the defaults."""
        raw = os.environ.get(ENVIRONMENT_VARIABLE)
        return cls.model_validate_json(raw) if raw else cls()
