"""Operations next to the interactions: ``metadata``, ``$validate`` and ``Patient/$everything``."""

from __future__ import annotations

import orjson
from fastapi import APIRouter, Request, Response

from caremesh.fhir.access.policy import Interaction
from caremesh.fhir.bundles import searchset
from caremesh.fhir.ids import require_id
from caremesh.fhir.operations.capability import Operation, capability_statement
from caremesh.fhir.operations.everything import everything_result
from caremesh.fhir.operations.validate_op import validate_operation
from caremesh.fhir.outcome import outcome_bytes
from caremesh.fhir.rest.checks import found
from caremesh.fhir.rest.context import Rest
from caremesh.fhir.rest.http import read_body, require_content_type, response_type
from caremesh.fhir.rest.screening import Screen

_CHARSET = "; charset=utf-8"
_HL7 = "http://hl7.org/fhir/OperationDefinition"
OPERATIONS = [
    Operation("validate", f"{_HL7}/Resource-validate", "type"),
    Operation("validate", f"{_HL7}/Resource-validate", "instance"),
    Operation("everything", f"{_HL7}/Patient-everything", "instance", "Patient"),
]


def add_operation_routes(router: APIRouter, rest: Rest, operations: list[Operation]) -> None:
    engine = rest.engine
    statements: dict[str, bytes] = {}  # by base URL: built once, it lists ~145 types

    async def metadata(request: Request) -> Response:
        media = response_type(request)
        base = rest.base(request)
        if base not in statements:
            built = capability_statement(engine.definitions, engine.resource_types, operations, base)
            statements[base] = orjson.dumps(built)
        return Response(statements[base], media_type=media + _CHARSET)

    async def validate(request: Request, res_type: str, res_id: str | None = None) -> Response:
        media = response_type(request)
        engine.require_type(res_type)
        if res_id is not None:
            require_id(res_id, "id")
        require_content_type(request)
        body = await read_body(request, engine.max_body_bytes)
        issues = validate_operation(
            engine.validator, body, resource_type=res_type, resource_id=res_id,
            mode=request.query_params.get("mode"),
        )  # fmt: skip
        return Response(outcome_bytes(issues), media_type=media + _CHARSET)

    async def patient_everything(request: Request, res_id: str) -> Response:
        """As :func:`everything`, with each resource screened for the caller before it is sent."""
        media = response_type(request)
        reference = f"Patient/{res_id}"
        access = await rest.guard.allow(
            request, Interaction.EVERYTHING, engine.require_type("Patient"), reference
        )
        require_id(res_id, "id")
        if access.decision.patient not in (None, res_id):
            await access.refuse(resource=reference)
        await found(access, engine.read("Patient", res_id), reference)
        base = rest.base(request)
        result = await everything_result(engine, res_id, list(request.query_params.multi_items()), base=base)
        screen = Screen(access, ("Patient", res_id))
        result = await screen.result(result)
        await access.audit(
            patients=(res_id, *screen.patients), resource=reference, query=request.url.query or None
        )
        return access.mark(Response(searchset(result, base), media_type=media + _CHARSET))

    router.add_api_route("/metadata", metadata, methods=["GET"], name="fhir.capabilities",
                         summary="CapabilityStatement")  # fmt: skip
    router.add_api_route("/{res_type:fhir_type}/$validate", validate, methods=["POST"],
                         name="fhir.validate-type", summary="$validate")  # fmt: skip
    router.add_api_route("/{res_type:fhir_type}/{res_id:fhir_id}/$validate", validate, methods=["POST"],
                         name="fhir.validate-instance", summary="$validate an instance")  # fmt: skip
    router.add_api_route("/Patient/{res_id:fhir_id}/$everything", patient_everything, methods=["GET"],
                         name="fhir.patient-everything", summary="Patient $everything")  # fmt: skip
