"""HIPAA Safe Harbor de-identification of FHIR R4 resources (45 CFR 164.514(b)(2)).

``Deidentifier(key=None).resource(resource)`` returns a de-identified copy of one resource (a JSON
dict as parsed); the input is not modified. One ``Deidentifier`` per extract: its pseudonym key
links the records of one patient within the extract and is discarded with it. See
docs/security-edge.md for the element-by-element account of the 18 identifier kinds.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from caremesh.fhir.deid.generalize import (
    OLDEST_REPORTED_AGE,
    age_in_years,
    more_precise_than_year,
    year_of,
)
from caremesh.fhir.deid.pseudonyms import Pseudonymizer
from caremesh.fhir.deid.references import generalised_address, pseudonymous_identifier, rewrite_reference
from caremesh.fhir.deid.rules import (
    AGE_GROUP_EXTENSION,
    CANONICAL_KEYS,
    FREE_TEXT,
    FREE_TEXT_SUFFIXES,
    MASKED,
    MASKED_EXTENSION,
    PARTY_DROPS,
    PARTY_TYPES,
    PSEUDED,
    REDACTED,
    REMOVED_EVERYWHERE,
    REQUIRED_INSTANTS,
    SAFE_EXTENSIONS,
    TYPE_DROPS,
)

_DROP = object()
_URL_PREFIXES = ("http://", "https://", "ftp://", "mailto:", "tel:")


class Deidentifier:
    def __init__(self, *, key: bytes | None = None, today: date | None = None) -> None:
        self.pseudonyms = Pseudonymizer(key)
        self.today = today or date.today()

    def resource(self, resource: dict[str, Any]) -> dict[str, Any]:
        return _Walk(self).resource(resource, contained=False)


class _Walk:
    """One resource's rewrite; ``redacted`` records whether anything was removed or generalised."""

    def __init__(self, owner: Deidentifier) -> None:
        self.pseudonyms = owner.pseudonyms
        self.today = owner.today
        self.redacted = False

    def resource(self, resource: dict[str, Any], *, contained: bool) -> dict[str, Any]:
        rtype = str(resource.get("resourceType", ""))
        out: dict[str, Any] = {"resourceType": rtype}
        for key, value in resource.items():
            if key == "resourceType":
                continue
            if key == "id" and isinstance(value, str):
                # Contained ids are local anchors ("#1") that identify nothing outside the resource.
                out["id"] = value if contained else self.pseudonyms.resource_id(value)
            elif key == "contained" and isinstance(value, list):
                out[key] = [self.resource(c, contained=True) for c in value if isinstance(c, dict)]
            elif key == "meta":
                self._put(out, key, self._meta(value))
            elif key == "text" or self._dropped_from(rtype, key):
                self.redacted = True
            elif key == "birthDate" and rtype == "Patient":
                self._birth_date(resource, out)
            elif (rtype, key) in REQUIRED_INSTANTS and isinstance(value, str):
                out[key] = f"{year_of(value)}-01-01T00:00:00Z"
                self.redacted = True
            else:
                self._put(out, key, self.element(key, value))
        if rtype == "Observation":
            self._mask_removed_value(resource, out)
        if not contained:
            self._label(out)
        return out

    def element(self, key: str, value: Any, *, safe: bool = False) -> Any:
        if key in REMOVED_EVERYWHERE:
            self.redacted = True
            return _DROP
        if isinstance(value, list):
            kept = [v for v in (self.element(key, item, safe=safe) for item in value) if v is not _DROP]
            return kept or _DROP
        if key in ("extension", "modifierExtension"):
            return self._extension(value, safe=safe)
        if key == "identifier":
            return self._or_drop(pseudonymous_identifier(value, self.pseudonyms), generalised=True)
        if key in ("address", "valueAddress"):
            return self._or_drop(generalised_address(value), generalised=True)
        if key in ("reference", "fullUrl") and isinstance(value, str):
            return self._or_drop(rewrite_reference(value, self.pseudonyms), generalised=False)
        if key == "uid" and isinstance(value, str):  # DICOM UIDs are unique identifying numbers
            return self.pseudonyms.oid(value)
        if isinstance(value, dict):
            if "resourceType" in value:
                return self.resource(value, contained=False)
            return self._complex(value, safe=safe, maskable=key == "component")
        if isinstance(value, str):
            return self._string(key, value, safe=safe)
        return value

    def _complex(self, node: dict[str, Any], *, safe: bool, maskable: bool = False) -> Any:
        if "contentType" in node:  # an Attachment: its data or URL is the photo, note or scan
            kept = {k: node[k] for k in ("contentType", "language") if k in node}
            self.redacted = self.redacted or len(kept) < len(node)
            return kept or _DROP
        is_coding = "system" in node or "code" in node
        coding = node.get("coding")
        codings: list[Any] = coding if isinstance(coding, list) else []
        displays = {c.get("display") for c in codings if isinstance(c, dict)}
        out: dict[str, Any] = {}
        for key, value in node.items():
            # A Reference's display is often a name; a text other than a coding's display is prose.
            reference_display = key == "display" and not is_coding
            prose = key == "text" and not (isinstance(value, str) and value in displays)
            if reference_display or prose:
                self.redacted = True
            elif key == "text":
                out[key] = value  # the display of one of its codings, repeated
            elif key == "url" and "method" in node and isinstance(value, str):
                out[key] = value.split("?", 1)[0]  # Bundle.entry.request: the query names people
            else:
                self._put(out, key, self.element(key, value, safe=safe))
        if maskable:
            self._mask_removed_value(node, out)
        # Emptied by redaction (a Reference that was only a display, a CodeableConcept that was
        # only text): say "masked" rather than vanish, since the element may be required.
        return out or {"extension": [dict(MASKED_EXTENSION)]}

    def _string(self, key: str, value: str, *, safe: bool) -> Any:
        if key in CANONICAL_KEYS:
            return value
        free_text = key in FREE_TEXT or key.endswith(FREE_TEXT_SUFFIXES)
        if (free_text and not safe) or value.startswith(_URL_PREFIXES):
            self.redacted = True
            return _DROP
        if more_precise_than_year(value):
            self.redacted = True
            return year_of(value)
        return value

    def _extension(self, extension: Any, *, safe: bool) -> Any:
        if not isinstance(extension, dict) or extension.get("url") not in SAFE_EXTENSIONS:
            self.redacted = True
            return _DROP
        return self._complex(extension, safe=True)

    def _birth_date(self, source: dict[str, Any], out: dict[str, Any]) -> None:
        birth = source["birthDate"]
        deceased = source.get("deceasedDateTime")
        on = self.today
        if isinstance(deceased, str) and len(deceased) >= 10 and more_precise_than_year(deceased[:10]):
            on = date.fromisoformat(deceased[:10])
        age = age_in_years(birth, on) if isinstance(birth, str) else None
        self.redacted = True
        if age is None:
            return
        if age > OLDEST_REPORTED_AGE:
            # Ages over 89 are one group, and the birth year that would reveal them goes.
            out.setdefault("extension", []).append({"url": AGE_GROUP_EXTENSION, "valueString": "90+"})
            return
        out["birthDate"] = year_of(birth)

    def _meta(self, meta: Any) -> Any:
        if not isinstance(meta, dict):
            return _DROP
        kept = {k: meta[k] for k in ("profile", "tag", "security") if k in meta}
        self.redacted = self.redacted or len(kept) < len(meta)
        return kept or _DROP

    @staticmethod
    def _dropped_from(rtype: str, key: str) -> bool:
        return (rtype in PARTY_TYPES and key in PARTY_DROPS) or key in TYPE_DROPS.get(rtype, ())

    @staticmethod
    def _mask_removed_value(source: dict[str, Any], out: dict[str, Any]) -> None:
        """An Observation (or component) whose free-text value was removed says so: the value is
        masked (data-absent-reason), not silently missing."""
        had_value = any(k.startswith("value") for k in source)
        if had_value and not any(k.startswith(("value", "dataAbsentReason")) for k in out):
            out["dataAbsentReason"] = MASKED

    def _label(self, out: dict[str, Any]) -> None:
        meta = out.setdefault("meta", {})
        labels = [s for s in meta.get("security", []) if s.get("code") not in ("PSEUDED", "REDACTED")]
        labels.append(dict(PSEUDED))
        if self.redacted:
            labels.append(dict(REDACTED))
        meta["security"] = labels

    def _put(self, out: dict[str, Any], key: str, value: Any) -> None:
        if value is not _DROP:
            out[key] = value

    def _or_drop(self, value: Any, *, generalised: bool) -> Any:
        self.redacted = self.redacted or generalised or value is None
        return _DROP if value is None else value
