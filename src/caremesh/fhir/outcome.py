"""OperationOutcome: how every FHIR error is reported, with a precise message and location."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson


@dataclass(frozen=True)
class Issue:
    """One OperationOutcome.issue. ``code`` is from the IssueType value set (invalid, structure,
    required, value, invariant, security, not-found, conflict, not-supported, processing, ...)."""

    code: str
    diagnostics: str
    severity: str = "error"
    expression: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        issue: dict[str, Any] = {
            "severity": self.severity,
            "code": self.code,
            "diagnostics": self.diagnostics,
        }
        if self.expression:
            issue["expression"] = list(self.expression)
        return issue


class FhirError(Exception):
    """An error answered with an OperationOutcome and an HTTP status (4xx unless the server failed)."""

    def __init__(self, status: int, issues: list[Issue] | Issue) -> None:
        self.status = status
        self.issues = [issues] if isinstance(issues, Issue) else list(issues)
        super().__init__("; ".join(i.diagnostics for i in self.issues))

    @classmethod
    def single(cls, status: int, code: str, diagnostics: str, *expression: str) -> FhirError:
        return cls(status, Issue(code=code, diagnostics=diagnostics, expression=tuple(expression)))


def operation_outcome(issues: list[Issue]) -> dict[str, Any]:
    return {"resourceType": "OperationOutcome", "issue": [issue.to_json() for issue in issues]}


def outcome_bytes(issues: list[Issue]) -> bytes:
    return orjson.dumps(operation_outcome(issues))


def information(diagnostics: str) -> bytes:
    return outcome_bytes([Issue(code="informational", diagnostics=diagnostics, severity="information")])
