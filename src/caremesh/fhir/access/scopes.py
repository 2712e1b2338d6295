"""SMART App Launch scopes: v2 (``patient/Observation.rs?category=vital-signs``) and v1 (``.read``).

A scope that does not parse grants nothing (it is ignored, never widened). v1 permissions map to
v2 letters as SMART 2.0 says: ``read`` = ``rs``, ``write`` = ``cud``, ``*`` = ``cruds``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import parse_qsl

CONTEXTS = ("patient", "user", "system")
LETTERS = "cruds"  # create, read, update, delete, search: v2 letters appear in this order
_V1 = {"read": "rs", "write": "cud", "*": "cruds"}
_SCOPE = re.compile(
    r"^(?P<context>patient|user|system)/(?P<type>\*|[A-Z][A-Za-z]{0,63})"
    r"\.(?P<perm>[a-z*]+)(?:\?(?P<query>[^\s]*))?$"
)

Restriction = tuple[tuple[str, str], ...]  # (search parameter, value) pairs, all must match


@dataclass(frozen=True, slots=True)
class ResourceScope:
    context: str  # patient | user | system
    resource_type: str  # a type or "*"
    permissions: frozenset[str]  # letters of "cruds"
    restriction: Restriction = ()  # granular scope: e.g. (("category", "vital-signs"),)

    def covers(self, resource_type: str, letter: str) -> bool:
        return letter in self.permissions and self.resource_type in ("*", resource_type)


def _v2_letters(text: str) -> frozenset[str] | None:
    """``rs`` -> {r, s}; letters out of order, repeated or unknown make the scope invalid."""
    positions = [LETTERS.find(ch) for ch in text]
    if not text or -1 in positions or positions != sorted(set(positions)):
        return None
    return frozenset(text)


def parse_scope(text: str) -> ResourceScope | None:
    """The resource scope ``text`` names, or None (``openid``, ``launch/patient``, malformed)."""
    match = _SCOPE.match(text.strip())
    if match is None:
        return None
    perm = match["perm"]
    letters = frozenset(_V1[perm]) if perm in _V1 else _v2_letters(perm)
    if letters is None:
        return None
    restriction: Restriction = ()
    if match["query"] is not None:
        pairs = parse_qsl(match["query"], keep_blank_values=True)
        if not pairs or any(not name or not value for name, value in pairs):
            return None  # "?": a restriction that restricts nothing is a malformed scope
        restriction = tuple(sorted(pairs))
    return ResourceScope(match["context"], match["type"], letters, restriction)


@dataclass(frozen=True, slots=True)
class Grant:
    """What a set of scopes allows for one resource type and one permission letter."""

    allowed: bool
    contexts: frozenset[str] = frozenset()  # of the scopes that allow it
    restrictions: tuple[Restriction, ...] = ()  # empty: unrestricted; else any one must hold

    @property
    def patient_only(self) -> bool:
        """Only patient/ scopes allow it: the caller is confined to the launch patient."""
        return self.allowed and self.contexts == frozenset({"patient"})


DENIED = Grant(False)


@dataclass(frozen=True)
class ScopeSet:
    scopes: tuple[ResourceScope, ...]

    @classmethod
    def parse(cls, texts: Iterable[str]) -> ScopeSet:
        parsed = (parse_scope(text) for text in texts)
        return cls(tuple(scope for scope in parsed if scope is not None))

    def grant(self, resource_type: str, letter: str) -> Grant:
        matching = [s for s in self.scopes if s.covers(resource_type, letter)]
        if not matching:
            return DENIED
        # A wider context wins: user/ or system/ access is not confined to the launch patient.
        wide = [s for s in matching if s.context != "patient"]
        chosen = wide or matching
        contexts = frozenset(s.context for s in chosen)
        if any(not s.restriction for s in chosen):
            return Grant(True, contexts)
        return Grant(True, contexts, tuple(dict.fromkeys(s.restriction for s in chosen)))

    def grant_all(self, resource_type: str, letters: str) -> Grant:
        """Every letter must be granted; restrictions and contexts are those of the narrowest."""
        grants = [self.grant(resource_type, letter) for letter in letters]
        if not all(g.allowed for g in grants):
            return DENIED
        confined = [g for g in grants if g.patient_only]
        restricted = [g for g in grants if g.restrictions]
        contexts = confined[0].contexts if confined else grants[0].contexts
        restrictions = restricted[0].restrictions if restricted else ()
        return Grant(True, contexts, restrictions)
