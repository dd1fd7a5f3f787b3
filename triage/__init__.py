"""triage: rule-based triage of back, neck and mid-back symptoms in disc calcification.

Library first: load a rule base, load a case, assess it.

    >>> from triage import Assessor, load_case
    >>> assessment = Assessor().assess(load_case("examples/cauda-equina.yaml"))  # doctest: +SKIP
"""

__version__ = "0.1.0"

from .assessment import Assessor, Session  # noqa: E402
from .caseio import load_case  # noqa: E402
from .errors import CaseError, EngineError, InputError, RuleBaseError, TriageError  # noqa: E402
from .models import Assessment, Case  # noqa: E402
from .rulebook import RuleBase, load_rulebase  # noqa: E402

__all__ = [
    "Assessment", "Assessor", "Case", "CaseError", "EngineError", "InputError", "RuleBase", "RuleBaseError",
    "Session", "TriageError", "load_case", "load_rulebase", "__version__",
]
