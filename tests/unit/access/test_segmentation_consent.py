"""Consent evaluation and per-request disclosure decisions, without a server."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest

from caremesh.fhir.access.consent import ROLE_SYSTEM, Recipient, Request, consent_permits
from caremesh.fhir.access.disclosure import Disclosures
from caremesh.fhir.access.segmentation import (
    ACT_CODE,
    ACT_REASON,
    CONFIDENTIALITY,
    REDISCLOSURE_NOTICE,
    sensitive_labels,
)

NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)
PART2 = (ACT_CODE, "42CFRPart2")
DOCTOR = Recipient(frozenset({"Practitioner/p1"}), frozenset({"clinician"}))


def consent(**provision: Any) -> dict[str, Any]:
    base = {
        "type": "permit",
        "actor": [{"reference": {"reference": "Practitioner/p1"}}],
        "purpose": [{"system": ACT_REASON, "code": "TREAT"}],
        "securityLabel": [{"system": ACT_CODE, "code": "42CFRPart2"}],
    }
    return {
        "resourceType": "Consent",
        "id": "c1",
        "status": "active",
        "patient": {"reference": "Patient/a"},
        "provision": {**base, **provision},
    }


def permits(body: dict[str, Any], *, label: tuple[str, str] = PART2, purpose: str = "TREAT",
            recipient: Recipient = DOCTOR, patient: str = "a") -> bool:  # fmt: skip
    return consent_permits(body, patient, Request(recipient, purpose, label, NOW))


def test_a_specific_consent_permits_its_recipient_purpose_and_label() -> None:
    assert permits(consent())
    assert permits({**consent(), "patient": {"reference": "https://fhir.test/R4/Patient/a"}})
    assert not permits(consent(), patient="b")
    assert not permits(consent(), purpose="HPAYMT")
    assert not permits(consent(), label=(ACT_CODE, "HIV"))
    assert not permits(consent(), recipient=Recipient(frozenset({"Practitioner/p2"}), frozenset({"nurse"})))
    assert not permits({**consent(), "status": "inactive"})
    assert not permits({**consent(), "provision": {**consent()["provision"], "type": "deny"}})


@pytest.mark.parametrize("missing", ["actor", "purpose", "securityLabel"])
def test_a_general_authorization_releases_nothing(missing: str) -> None:
    body = consent()
    del body["provision"][missing]
    assert not permits(body)


@pytest.mark.parametrize(
    ("period", "expected"),
    [
        ({"start": "2026-06-15", "end": "2026-06-15"}, True),  # a date spans the whole day
        ({"start": "2026-06", "end": "2026-06"}, True),
        ({"start": "2026"}, True),
        ({"end": "2026-06-14"}, False),
        ({"start": "2026-06-15T12:00:01Z"}, False),
        ({"end": "2026-06-15T12:00:00+00:00"}, False),  # the end is exclusive
        ({"start": "not a date"}, False),
    ],
)
def test_the_period_must_cover_now(period: dict[str, str], expected: bool) -> None:
    assert permits(consent(period=period)) is expected


def test_nested_provisions_are_exceptions() -> None:
    p1 = [{"reference": {"reference": "Practitioner/p1"}}]
    denied_for_p1 = consent(provision=[{"type": "deny", "actor": p1}])
    assert not permits(denied_for_p1)
    role = Recipient(frozenset({"Practitioner/p3"}), frozenset({"clinician"}))
    by_role = consent(actor=[{"role": {"coding": [{"system": ROLE_SYSTEM, "code": "clinician"}]},
                              "reference": {"reference": "Organization/o1"}}])  # fmt: skip
    assert permits(by_role, recipient=role)
    participation = consent(actor=[{"role": {"coding": [{"code": "clinician"}]}}])
    assert not permits(participation, recipient=role)  # a role code outside caremesh's system
    opt_out_with_exception = {
        **consent(),
        "provision": {
            "type": "deny",
            "provision": [
                {
                    "type": "permit",
                    "actor": [{"reference": {"reference": "Practitioner/p1"}}],
                    "purpose": [{"system": ACT_REASON, "code": "ETREAT"}],
                    "securityLabel": [{"system": ACT_CODE, "code": "42CFRPart2"}],
                }
            ],
        },
    }
    assert permits(opt_out_with_exception, purpose="ETREAT")
    assert not permits(opt_out_with_exception)


def test_very_restricted_consent_covers_restricted_but_not_the_reverse() -> None:
    v = consent(securityLabel=[{"system": CONFIDENTIALITY, "code": "V"}])
    r = consent(securityLabel=[{"system": CONFIDENTIALITY, "code": "R"}])
    assert permits(v, label=(CONFIDENTIALITY, "R"))
    assert not permits(r, label=(CONFIDENTIALITY, "V"))


def test_sensitive_labels_ignore_other_codes() -> None:
    body = {"meta": {"security": [{"system": ACT_CODE, "code": "HIV"}, {"system": ACT_CODE, "code": "HTEST"},
                                  {"system": CONFIDENTIALITY, "code": "N"}, {"code": "R"}]}}  # fmt: skip
    assert sensitive_labels(body) == {(ACT_CODE, "HIV")}
    assert sensitive_labels({"meta": {"security": "bad"}}) == frozenset()


async def test_consents_are_loaded_once_per_request_for_all_patients() -> None:
    calls: list[Sequence[str]] = []

    async def loader(patients: Sequence[str]) -> list[dict[str, Any]]:
        calls.append(list(patients))
        return [consent()]

    def patients_of(resource: dict[str, Any]) -> tuple[str, ...]:
        return (resource["subject"]["reference"].split("/")[1],)

    label = {"meta": {"security": [{"system": ACT_CODE, "code": "42CFRPart2"}]}}
    bodies = [{"resourceType": "Observation", "subject": {"reference": f"Patient/{p}"}, **label}
              for p in "ab"]  # fmt: skip
    plain = {"resourceType": "Observation", "subject": {"reference": "Patient/c"}}
    disclosures = Disclosures(loader, patients_of, DOCTOR, "TREAT", NOW)
    await disclosures.prepare([orjson.dumps(b) for b in (*bodies, plain)])
    await disclosures.prepare([orjson.dumps(bodies[0])])
    assert calls == [["a", "b"]]
    assert disclosures.allows(bodies[0], ("a",))
    assert not disclosures.allows(bodies[1], ("b",))  # the loaded consent is Alice's, not Bob's
    assert disclosures.allows(plain, ("c",))
    assert disclosures.part2 and disclosures.used == {"Consent/c1": None}
    note = disclosures.audit_note()
    assert note is not None and "42CFRPart2" in note and "Consent/c1" in note
    assert "42 CFR part 2" in REDISCLOSURE_NOTICE


def test_the_patient_and_services_see_labelled_data_without_consent() -> None:
    resource = {"meta": {"security": [{"system": ACT_CODE, "code": "42CFRPart2"}]}}
    own = Disclosures(None, lambda _: ("a",), DOCTOR, "TREAT", NOW, own_patient="a")
    assert own.allows(resource, ("a",)) and not own.part2
    assert Disclosures(None, lambda _: (), DOCTOR, "TREAT", NOW, exempt=True).allows(resource, ())
    assert not Disclosures(None, lambda _: (), DOCTOR, "TREAT", NOW).allows(resource, ())
