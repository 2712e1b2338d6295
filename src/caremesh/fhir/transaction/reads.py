"""GET entries of a Bundle: read, vread or search, on the connection the bundle runs in."""

from __future__ import annotations

from urllib.parse import parse_qsl

from caremesh.fhir.bundles import searchset
from caremesh.fhir.conditional import without_nul
from caremesh.fhir.definitions import Definitions
from caremesh.fhir.ids import parse_version
from caremesh.fhir.outcome import FhirError
from caremesh.fhir.search.engine import search
from caremesh.fhir.storage import resources
from caremesh.fhir.storage.resources import StoredVersion
from caremesh.fhir.transaction.parse import Entry
from caremesh.fhir.transaction.response import Answer
from caremesh.kernel.db.base import Connection


def present(stored: StoredVersion | None, reference: str) -> StoredVersion:
    if stored is None:
        raise FhirError.single(404, "not-found", f"{reference[:160]} is not known")
    if stored.deleted:
        raise FhirError.single(410, "deleted", f"{reference[:160]} has been deleted")
    return stored


async def read_entry(conn: Connection, definitions: Definitions, entry: Entry, base: str) -> Answer:
    kind = entry.resource_type
    if entry.resource_id is None:
        params = without_nul(parse_qsl(entry.query or "", keep_blank_values=True))
        result = await search(conn, definitions=definitions, resource_type=kind, params=params, base_url=base)
        return Answer(200, body=searchset(result, base), wrote=False)
    reference = f"{kind}/{entry.resource_id}"
    if entry.version is not None:
        number = parse_version(entry.version)
        stored = await resources.version(conn, kind, entry.resource_id, number)
        return Answer(200, present(stored, f"{reference}/_history/{number}"), wrote=False)
    stored = await resources.current(conn, kind, entry.resource_id)
    return Answer(200, present(stored, reference), wrote=False)
