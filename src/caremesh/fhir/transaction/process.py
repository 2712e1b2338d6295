"""``process_bundle``: a posted batch or transaction Bundle in, its response Bundle out.

The one entry point the REST route, the CLI loader and the demo data share.
"""

from __future__ import annotations

from dataclasses import dataclass

from caremesh.fhir.engine import FhirEngine
from caremesh.fhir.prefer import RETURN_MINIMAL, Prefer
from caremesh.fhir.transaction.batch import run_batch
from caremesh.fhir.transaction.parse import parse_bundle
from caremesh.fhir.transaction.response import Answer, response_bundle
from caremesh.fhir.transaction.transaction import run_transaction


@dataclass(frozen=True, slots=True)
class Processed:
    kind: str  # transaction | batch
    answers: list[Answer]

    def failed(self) -> list[Answer]:
        return [answer for answer in self.answers if answer.error is not None]


async def run_bundle(engine: FhirEngine, body: bytes, *, base: str) -> Processed:
    """Run the Bundle in ``body``; a FhirError for a malformed Bundle or a failed transaction."""
    kind, entries = parse_bundle(body, base)
    run = run_transaction if kind == "transaction" else run_batch
    return Processed(kind, await run(engine, entries, base=base))


async def process_bundle(
    engine: FhirEngine, body: bytes, *, base: str, prefer: Prefer | None = None
) -> bytes:
    processed = await run_bundle(engine, body, base=base)
    shaped = prefer or Prefer(return_=RETURN_MINIMAL)
    return response_bundle(processed.kind, processed.answers, shaped, base)
