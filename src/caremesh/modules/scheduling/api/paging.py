"""Opaque keyset cursors: clients pass back ``next_cursor`` and never parse it."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime

import orjson

from caremesh.kernel.errors import InvalidRequest
from caremesh.modules.scheduling.application.ports import TimeKey

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


def _encode(parts: list[str]) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(parts)).decode().rstrip("=")


def _decode(cursor: str, size: int) -> list[str]:
    try:
        parts = orjson.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, orjson.JSONDecodeError, ValueError) as exc:
        raise InvalidRequest("cursor is not one this API issued") from exc
    if not isinstance(parts, list) or len(parts) != size or not all(isinstance(p, str) for p in parts):
        raise InvalidRequest("cursor is not one this API issued")
    return parts


def id_cursor(last_id: str) -> str:
    return _encode([last_id])


def parse_id_cursor(cursor: str | None) -> str | None:
    return None if cursor is None else _decode(cursor, 1)[0]


def time_cursor(key: TimeKey) -> str:
    return _encode([key.start.isoformat(), key.id])


def parse_time_cursor(cursor: str | None) -> TimeKey | None:
    if cursor is None:
        return None
    start, id_ = _decode(cursor, 2)
    try:
        moment = datetime.fromisoformat(start)
    except ValueError as exc:
        raise InvalidRequest("cursor is not one this API issued") from exc
    if moment.tzinfo is None:
        raise InvalidRequest("cursor is not one this API issued")
    return TimeKey(moment, id_)
