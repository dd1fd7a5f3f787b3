"""The names triage uses in FHIR: canonical URLs, code systems and the extensions it relies on.

``CANONICAL_BASE`` is a placeholder under the reserved ``.example`` domain (RFC 2606), so it
can never clash with someone else's: a canonical URL identifies a resource and need not
resolve. Replace it once the project has a domain of its own; every URL below follows.
"""

from __future__ import annotations

CANONICAL_BASE = "https://triage.example/fhir"

#: The id of the bundled questionnaire's FHIR resource (``GET /fhir/Questionnaire/spine``).
QUESTIONNAIRE_ID = "spine"
QUESTIONNAIRE_URL = f"{CANONICAL_BASE}/Questionnaire/{QUESTIONNAIRE_ID}"

#: The rule base, as the GuidanceResponse's ``moduleUri``.
RULES_URI = f"{CANONICAL_BASE}/Library/triage-rules"

#: The urgency levels (``emergency`` ... ``self_care``) as codes.
URGENCY_SYSTEM = f"{CANONICAL_BASE}/CodeSystem/urgency"

MIN_VALUE = "http://hl7.org/fhir/StructureDefinition/minValue"
MAX_VALUE = "http://hl7.org/fhir/StructureDefinition/maxValue"
ITEM_CONTROL = "http://hl7.org/fhir/StructureDefinition/questionnaire-itemControl"
ITEM_CONTROL_SYSTEM = "http://hl7.org/fhir/questionnaire-item-control"
#: SDC: an item is enabled when this FHIRPath expression is true (used where enableWhen cannot say it).
ENABLE_WHEN_EXPRESSION = "http://hl7.org/fhir/uv/sdc/StructureDefinition/sdc-questionnaire-enableWhenExpression"


def choice_system(field: str) -> str:
    """The code system of one choice question's answers: the case field's values are its codes."""
    return f"{CANONICAL_BASE}/CodeSystem/{field.replace('_', '-')}"
