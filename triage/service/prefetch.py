"""Which QuestionnaireResponse of a CDS Hooks prefetch (or fetch) to assess (pure: no HTTP, no engine).

The prefetch value is a searchset Bundle, the resource itself, or null. A value of the
wrong shape (a Bundle whose ``entry`` is not a list of objects with a ``resource``, say) is
412: CDS Hooks 2.0 answers 412 when the service cannot get the FHIR data it needs from the
prefetch or the FHIR server, and a silent ``{"cards": []}`` would hide an emergency.

Only responses to our canonical Questionnaire count (another questionnaire's answers, a
PHQ-9 say, are not ours to assess), and never one marked ``entered-in-error``; responses
that name another patient as subject are set aside (the card says how many).

"Latest" goes by ``authored``, read as a FHIR dateTime: a partial one (``2026``,
``2026-11``, ``2026-11-30``) is the interval from its first to its last instant, a date
without a time zone is widened by the 14 hours time zones can differ, and a response
without ``authored`` (optional in R4), or with one that cannot be read, could be any
time. A response is a candidate when no other is certainly later than it. One candidate:
it is the latest. Several: the latest cannot be told, so every candidate is assessed and
the card shows the most urgent and says so: never under-triage on a guess.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Optional

from .bodies import ClientError
from .fhir_terms import QUESTIONNAIRE_URL

_DATE = re.compile(r"^(?P<y>\d{4})(?:-(?P<m>\d{2})(?:-(?P<d>\d{2})(?P<time>T.+)?)?)?$")
_ZONES = timedelta(hours=14)  # the widest offset from UTC: a date with no zone may be this far either way
_NEVER = datetime.min.replace(tzinfo=UTC)
_ALWAYS = datetime.max.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Prefetched:
    """The responses of a prefetch that could be the patient's latest to our Questionnaire."""

    candidates: list[dict[str, Any]]  # could each be the latest; most recent first (by the earliest instant)
    considered: int  # responses to our Questionnaire for this patient, candidates included
    other_patients: list[str]  # the subject references of responses set aside as another patient's

    @property
    def certain(self) -> bool:
        """Whether one response is certainly the latest."""
        return len(self.candidates) == 1


def responses_in(found: Any, key: str) -> list[dict[str, Any]]:
    """The QuestionnaireResponses to our Questionnaire in a prefetch value; 412 when its shape is wrong."""
    if found is None:
        return []
    if not isinstance(found, dict):
        raise ClientError(412, f"prefetch '{key}' is not a FHIR resource (got {type(found).__name__})")
    kind = found.get("resourceType")
    if kind == "OperationOutcome":
        raise ClientError(412, "the CDS client could not prefetch the QuestionnaireResponse (OperationOutcome)")
    if kind == "QuestionnaireResponse":
        resources = [found]
    elif kind == "Bundle":
        resources = _bundle_resources(found, key)
    else:
        raise ClientError(412, f"prefetch '{key}' holds a {kind!r}, not a QuestionnaireResponse or Bundle")
    return [r for r in resources if r.get("resourceType") == "QuestionnaireResponse" and _is_ours(r)
            and r.get("status") != "entered-in-error"]


def _bundle_resources(bundle: dict[str, Any], key: str) -> list[dict[str, Any]]:
    entries = bundle.get("entry", [])
    if entries is None:
        return []
    if not isinstance(entries, list):
        raise ClientError(412, f"prefetch '{key}': the Bundle's entry is not a list (got {type(entries).__name__})")
    resources = []
    for number, entry in enumerate(entries):
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if not isinstance(resource, dict):
            raise ClientError(412, f"prefetch '{key}': the Bundle's entry[{number}] has no resource object")
        resources.append(resource)
    return resources


def _is_ours(resource: dict[str, Any]) -> bool:
    canonical = resource.get("questionnaire")
    return isinstance(canonical, str) and canonical.partition("|")[0] == QUESTIONNAIRE_URL


def subject_reference(resource: dict[str, Any]) -> Optional[str]:
    """The response's subject reference, if it names one (else None)."""
    subject = resource.get("subject")
    reference = subject.get("reference") if isinstance(subject, dict) else None
    return reference if isinstance(reference, str) else None


def is_patients(resource: dict[str, Any], patient_id: str) -> bool:
    """Whether a response's subject (if it names one) is the patient in view."""
    reference = subject_reference(resource)
    if reference is None:
        return True
    return reference == f"Patient/{patient_id}" or reference.endswith(f"/Patient/{patient_id}")


def choose(responses: list[dict[str, Any]], patient_id: str) -> Prefetched:
    """The candidates for the patient's latest response (see the module docstring)."""
    others = [r for r in responses if not is_patients(r, patient_id)]
    own = [r for r in responses if is_patients(r, patient_id)]
    spans = [authored_interval(r.get("authored")) for r in own]
    newest_start = max((start for start, _ in spans), default=_NEVER)
    candidates = [(span, r) for span, r in zip(spans, own, strict=True) if span[1] >= newest_start]
    candidates.sort(key=lambda pair: pair[0][0], reverse=True)
    return Prefetched([r for _, r in candidates], len(own), [subject_reference(r) or "no reference" for r in others])


def authored_interval(value: Any) -> tuple[datetime, datetime]:
    """The first and last instant a FHIR dateTime can mean; any time at all when absent or unreadable."""
    match = _DATE.match(value) if isinstance(value, str) else None
    if match is None:
        return _NEVER, _ALWAYS
    try:
        year = int(match["y"])
        if match["time"]:
            instant = datetime.fromisoformat(value.replace("Z", "+00:00"))
            if instant.tzinfo is None:
                return instant.replace(tzinfo=UTC) - _ZONES, instant.replace(tzinfo=UTC) + _ZONES
            return instant, instant
        if match["d"]:
            first = datetime(year, int(match["m"]), int(match["d"]), tzinfo=UTC)
            last = first + timedelta(days=1)
        elif match["m"]:
            month = int(match["m"])
            first = datetime(year, month, 1, tzinfo=UTC)
            last = first + timedelta(days=calendar.monthrange(year, month)[1])
        else:
            first = datetime(year, 1, 1, tzinfo=UTC)
            last = datetime(year + 1, 1, 1, tzinfo=UTC) if year < 9999 else _ALWAYS
        return first - _ZONES, min(last - timedelta(microseconds=1) + _ZONES, _ALWAYS)
    except (ValueError, OverflowError):
        return _NEVER, _ALWAYS
