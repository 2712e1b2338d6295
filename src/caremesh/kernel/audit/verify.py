"""Prove an audit chain: every link, every column against its body, every signed checkpoint.

Reads the chain in pages of seq order and stops at the first record that fails, naming its seq
and what failed: a missing or reordered row, a broken link, a body or column that changed, a
patient index that no longer matches the body, or a checkpoint whose signature or head differs.
Rows removed from the end are caught by the newest checkpoint (it names a seq that is gone).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import orjson

from caremesh.kernel.audit.chain import GENESIS, link_hash
from caremesh.kernel.audit.signing import Signer
from caremesh.kernel.db.base import Connection, Database

_PAGE = 1000


@dataclass(frozen=True)
class Verdict:
    records: int
    checkpoints: int
    failed_seq: int | None = None
    problem: str | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None


def _columns_problem(row: Any, event: dict[str, Any], patients: set[str]) -> str | None:
    agents = event.get("agent") or [{}, {}]
    expected = {
        "event_id": event.get("id"),
        "interaction": (event.get("subtype") or [{}])[0].get("code"),
        "outcome": event.get("outcome"),
        "subject": agents[0].get("who", {}).get("identifier", {}).get("value"),
        "client_id": agents[-1].get("who", {}).get("identifier", {}).get("value"),
        "break_glass": int(any(p["coding"][0]["code"] == "BTG" for p in event.get("purposeOfEvent", []))),
    }
    for column, value in expected.items():
        if row[column] != value:
            return f"column {column} does not match the recorded event"
    named = {
        e["what"]["reference"].removeprefix("Patient/")
        for e in event.get("entity", [])
        if e.get("type", {}).get("code") == "1" and "reference" in e.get("what", {})
    }
    return None if named == patients else "the patient index does not match the recorded event"


async def _patients(conn: Connection, low: int, high: int) -> dict[int, set[str]]:
    rows = await conn.fetch(
        "SELECT seq, patient_id FROM audit_patient WHERE seq >= $1 AND seq <= $2", low, high
    )
    found: dict[int, set[str]] = defaultdict(set)
    for row in rows:
        found[int(row[0])].add(str(row[1]))
    return found


async def verify_chain(db: Database, signer: Signer) -> Verdict:
    async with db.read() as conn:
        checkpoints = {
            int(r[0]): (str(r[1]), str(r[2]))
            for r in await conn.fetch("SELECT seq, head_hash, signature FROM audit_checkpoint ORDER BY seq")
        }
        expected_seq, prev, count = 1, GENESIS, 0
        while True:
            rows = await conn.fetch(
                "SELECT seq, event_id, interaction, outcome, subject, client_id, break_glass, body, "
                "prev_hash, hash FROM audit_event WHERE seq >= $1 ORDER BY seq LIMIT $2",
                expected_seq, _PAGE,
            )  # fmt: skip
            if not rows:
                break
            patients = await _patients(conn, int(rows[0]["seq"]), int(rows[-1]["seq"]))
            for row in rows:
                seq = int(row["seq"])
                problem = _row_problem(row, seq, expected_seq, prev, patients.get(seq, set()))
                if problem is None and seq in checkpoints:
                    problem = _checkpoint_problem(signer, seq, row["hash"], *checkpoints[seq])
                if problem is not None:
                    return Verdict(
                        count, len(checkpoints), seq if seq == expected_seq else expected_seq, problem
                    )
                expected_seq, prev, count = seq + 1, row["hash"], count + 1
    beyond = [seq for seq in checkpoints if seq >= expected_seq]
    if beyond:
        return Verdict(
            count,
            len(checkpoints),
            expected_seq,
            f"records up to the checkpoint at {max(beyond)} are missing",
        )
    return Verdict(count, len(checkpoints))


def _row_problem(row: Any, seq: int, expected_seq: int, prev: str, patients: set[str]) -> str | None:
    if seq != expected_seq:
        return f"record {expected_seq} is missing (the next one is {seq})"
    if row["prev_hash"] != prev:
        return "prev_hash does not link to the previous record"
    if link_hash(prev, seq, row["body"]) != row["hash"]:
        return "the record's hash does not match its content"
    try:
        event = orjson.loads(row["body"])
    except orjson.JSONDecodeError:
        return "the record's body is not JSON"
    return _columns_problem(row, event, patients)


def _checkpoint_problem(
    signer: Signer, seq: int, row_hash: str, head_hash: str, signature: str
) -> str | None:
    if head_hash != row_hash:
        return "the signed checkpoint names another head hash"
    if not signer.verify(seq, head_hash, signature):
        return "the checkpoint's signature is not valid"
    return None
