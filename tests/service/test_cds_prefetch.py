"""Which prefetched QuestionnaireResponse a real ``triage serve`` assesses: the latest, or every one that could be.

Found by review: partial or missing ``authored`` dates counted as older than all (an
emergency under-triaged as SOON), another questionnaire's response hid ours, a Bundle of
the wrong shape gave no card or a 500, and a card quoted another patient's name.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from triage.service.prefetch import authored_interval

from .conftest import Server
from .test_cds_hooks import BY_LEVEL, SERVICE, bundle, hook_request, response

SADDLE = BY_LEVEL["emergency"]  # lumbar, saddle numbness for 2 days
NO_SADDLE = BY_LEVEL["soon"]


@pytest.fixture(scope="module")
def client(server: Server) -> Iterator[httpx.Client]:
    """An HTTP client for the module's server."""
    with server.client() as http:
        yield http


def _card(client: httpx.Client, prefetched: Any, patient: str = "p1") -> dict[str, Any]:
    request = hook_request(prefetch={"questionnaireResponse": prefetched},
                           context={"userId": "Practitioner/7", "patientId": patient})
    result = client.post(SERVICE, json=request)
    assert result.status_code == 200, result.text
    (card,) = result.json()["cards"]
    return card  # type: ignore[no-any-return]


@pytest.mark.parametrize("authored", ["2026-11", "2026", None], ids=["month", "year", "no authored"])
def test_a_newer_response_with_a_partial_or_missing_date_is_not_taken_for_older(client: httpx.Client,
                                                                              authored: str | None) -> None:
    """A newer emergency authored '2026-11' (or '2026', or with no authored) beside an older SOON response of
    2026-10-30 could be the latest: the card is the emergency, never the SOON one."""
    newer = response(SADDLE, response_id="newer", authored="2026-11-30T00:00:00Z")
    if authored is None:
        del newer["authored"]
    else:
        newer["authored"] = authored
    older = response(NO_SADDLE, response_id="older", authored="2026-10-30T10:00:00Z")
    card = _card(client, bundle(newer, older))
    assert card["indicator"] == "critical" and "QuestionnaireResponse/newer" in card["detail"], card


def test_overlapping_dates_assess_both_and_say_so(client: httpx.Client) -> None:
    """Two responses authored in November 2026 and on 2026-11-15: which is later cannot be told, so both are
    assessed and the card shows the most urgent and says why."""
    soon = response(NO_SADDLE, response_id="dated", authored="2026-11-15T10:00:00Z")
    emergency = response(SADDLE, response_id="month", authored="2026-11")
    card = _card(client, bundle(soon, emergency))
    assert card["indicator"] == "critical"
    assert "cannot be told" in card["detail"] and "QuestionnaireResponse/dated" in card["detail"]


def test_a_response_certainly_the_latest_is_assessed_alone(client: httpx.Client) -> None:
    """A full date later than the whole of an older partial one: the later response alone decides the card."""
    newer = response(BY_LEVEL["self_care"], response_id="newer", authored="2026-12-02T09:00:00Z")
    older = response(SADDLE, response_id="older", authored="2026-10")
    card = _card(client, bundle(older, newer))
    assert card["indicator"] == "info" and "cannot be told" not in card["detail"]


def test_a_response_to_another_questionnaire_is_not_ours(client: httpx.Client) -> None:
    """The newest entry answers a PHQ-9: it is left out, and the older spine emergency makes the card."""
    phq9 = {"resourceType": "QuestionnaireResponse", "id": "phq9", "status": "completed",
            "questionnaire": "http://loinc.org/q/44249-1", "subject": {"reference": "Patient/p1"},
            "authored": "2026-11-30T12:00:00Z", "item": [{"linkId": "1", "answer": [{"valueInteger": 2}]}]}
    spine = response(SADDLE, response_id="spine", authored="2026-10-30T10:00:00Z")
    card = _card(client, bundle(phq9, spine))
    assert card["indicator"] == "critical" and "QuestionnaireResponse/spine" in card["detail"]


def test_authored_dates_are_read_as_intervals() -> None:
    """FHIR partial dates span their whole period; a date with no zone is widened by 14 hours; none is any time."""
    first, last = authored_interval("2026-11")
    assert first < datetime(2026, 11, 1, tzinfo=UTC) < datetime(2026, 11, 30, 23, tzinfo=UTC) < last
    assert authored_interval("2026-11-30T10:00:00Z") == (datetime(2026, 11, 30, 10, tzinfo=UTC),) * 2
    first, last = authored_interval("2026")
    assert first.year == 2025 and last.year == 2027  # widened by 14 h at both ends
    assert authored_interval(None)[0] < datetime(1, 1, 2, tzinfo=UTC) and authored_interval("soon")[1].year == 9999


@pytest.mark.parametrize("entry", [{"resource": "EMERGENCY"}, 5, "x", [5], [{"search": {}}]],
                         ids=["object", "number", "string", "list of numbers", "entry without resource"])
def test_a_malformed_bundle_is_412_never_silence(client: httpx.Client, entry: Any) -> None:
    """A Bundle whose entry is not a list of entries with a resource is 412 (CDS Hooks: the FHIR data needed
    could not be had from the prefetch), never {"cards": []} and never a 500."""
    if entry == {"resource": "EMERGENCY"}:
        entry = {"resource": response(SADDLE)}
    prefetched = {"resourceType": "Bundle", "type": "searchset", "entry": entry}
    result = client.post(SERVICE, json=hook_request(prefetch={"questionnaireResponse": prefetched}))
    assert result.status_code == 412, result.text
    assert "entry" in result.json()["error"]


def test_another_patients_response_is_named_by_reference_only(client: httpx.Client) -> None:
    """A response whose subject is Patient/999 'Jane Other', for patient 123: the card names the reference,
    never the display or the raw subject."""
    other = response(SADDLE, response_id="other")
    other["subject"] = {"reference": "Patient/999", "display": "Jane Other"}
    card = _card(client, other, patient="123")
    assert card["indicator"] == "warning" and "not this patient's" in card["summary"]
    assert "different patient (Patient/999)" in card["detail"]
    assert "Jane" not in card["detail"] + card["summary"] and "{" not in card["detail"]


def test_another_patients_response_beside_the_patients_own_is_left_out(client: httpx.Client) -> None:
    """The patient's own response is assessed; the card says a response of a different patient was left out."""
    other = response(SADDLE, response_id="other", patient="999", authored="2026-12-01T00:00:00Z")
    own = response(BY_LEVEL["urgent"], response_id="own")
    card = _card(client, bundle(other, own))
    assert card["indicator"] == "warning" and "QuestionnaireResponse/own" in card["detail"]
    assert "different patient" in card["detail"] and "Patient/999" not in card["detail"]
