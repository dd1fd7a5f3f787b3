"""triage: rule-based triage of back, neck and mid-back symptoms in disc calcification.

Library first: load a rule base, load a case, assess it.

    >>> from triage import Assessor, load_case
    >>> assessment = Assessor().assess(load_case("examples/cauda-equina.yaml"))  # doctest: +SKIP

The names below are imported on first use, so that ``import triage.cli`` (and ``triage
--help``) pays only for what it needs. Nothing inside the package imports this module.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

#: Public name -> the module that defines it.
_PUBLIC = {
    "Assessor": "triage.assess.assessor",
    "Session": "triage.assess.assessor",
    "load_case": "triage.cases",
    "Assessment": "triage.models",
    "Case": "triage.models",
    "Urgency": "triage.models",
    "RuleBase": "triage.language.rulebook",
    "load_rulebase": "triage.language.loading",
    "CaseError": "triage.errors",
    "EngineError": "triage.errors",
    "InputError": "triage.errors",
    "RuleBaseError": "triage.errors",
    "TriageError": "triage.errors",
}

__all__ = [
    "Assessment", "Assessor", "Case", "CaseError", "EngineError", "InputError", "RuleBase", "RuleBaseError",
    "Session", "TriageError", "Urgency", "__version__", "load_case", "load_rulebase",
]

if TYPE_CHECKING:
    __version__: str
    from .assess.assessor import Assessor, Session
    from .cases import load_case
    from .errors import CaseError, EngineError, InputError, RuleBaseError, TriageError
    from .language.loading import load_rulebase
    from .language.rulebook import RuleBase
    from .models import Assessment, Case, Urgency


def _version() -> str:
    from importlib import metadata  # tens of milliseconds: only when the version is asked for

    try:
        return metadata.version("triage")  # written once, in pyproject.toml
    except metadata.PackageNotFoundError:  # a source tree that was never installed
        return "0+unknown"


def __getattr__(name: str) -> Any:
    if name == "__version__":
        globals()[name] = version = _version()
        return version
    if name in _PUBLIC:
        value = getattr(import_module(_PUBLIC[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'triage' has no attribute {name!r}")
