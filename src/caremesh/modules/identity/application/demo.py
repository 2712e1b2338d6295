"""Demo logins: one synthetic user per role, with known passwords and TOTP seeds (demo only).

The seeds are derived from the role name so that loading the demo twice shows the same
logins; they are printed by ``make run`` and must never be used outside a demo.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any

from caremesh.modules.identity.application.users import UserService
from caremesh.modules.identity.domain.errors import DuplicateName
from caremesh.modules.identity.domain.roles import PATIENT, ROLES, requires_mfa

DEMO_PATIENT_ID = "demo-patient-0001"


def demo_password(role: str) -> str:
    return f"Synthetic-{role.title().replace('-', '')}-Login-2026"


def demo_totp_seed(role: str) -> str:
    return base64.b32encode(hashlib.sha256(f"caremesh-demo-totp:{role}".encode()).digest()[:20]).decode()


async def load_demo(users: UserService) -> dict[str, Any]:
    logins: list[dict[str, Any]] = []
    created = 0
    for role in ROLES:
        username = f"demo.{role}"
        seed = demo_totp_seed(role) if requires_mfa(role) else None
        try:
            await users.create(
                username=username,
                password=demo_password(role),
                role=role,
                totp_secret=seed,
                patient_id=DEMO_PATIENT_ID if role == PATIENT else None,
                fhir_user=None if role == PATIENT else f"Practitioner/demo-{role}",
            )
            created += 1
        except DuplicateName:
            pass
        logins.append(
            {"username": username, "password": demo_password(role), "role": role, "totp_seed": seed}
        )
    return {"users_created": created, "logins": logins}
