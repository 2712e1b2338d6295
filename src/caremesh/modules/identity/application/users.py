"""Users: creation under the password policy, login with lockout and TOTP, login sessions."""

from __future__ import annotations

import asyncio
import hmac
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from importlib import resources

import pyotp

from caremesh.kernel.clock import Clock, utcnow
from caremesh.kernel.db.base import Database
from caremesh.kernel.ids import new_id
from caremesh.modules.identity.adapters.sealing import Sealer
from caremesh.modules.identity.adapters.users_sql import UserRecord, UserSql
from caremesh.modules.identity.application.hashing import digest, hash_secret, new_secret, verify_secret
from caremesh.modules.identity.domain import lockout
from caremesh.modules.identity.domain.errors import DuplicateName, LoginFailed
from caremesh.modules.identity.domain.passwords import check_password
from caremesh.modules.identity.domain.roles import PATIENT, check_role, requires_mfa
from caremesh.modules.identity.domain.sessions import SessionPolicy

# A hash to verify against when the username is unknown, so both cases take the same time.
_DUMMY_HASH = hash_secret("caremesh-dummy-password-for-timing")


@cache
def common_passwords() -> frozenset[str]:
    text = resources.files("caremesh.modules.identity.adapters").joinpath("common_passwords.txt").read_text()
    return frozenset(line.strip().lower() for line in text.splitlines() if line.strip() and line[0] != "#")


@dataclass(frozen=True)
class NewUser:
    user_id: str
    username: str
    role: str
    totp_secret: str | None  # shown once, for enrolment in an authenticator app


@dataclass(frozen=True)
class UserRef:
    """The authenticated resource owner as the authorization server sees it."""

    user_id: str
    username: str
    role: str
    patient_id: str | None
    fhir_user: str | None

    def get_user_id(self) -> str:
        return self.user_id


def user_ref(record: UserRecord) -> UserRef:
    return UserRef(record.user_id, record.username, record.role, record.patient_id, record.fhir_user)


class UserService:
    def __init__(
        self, db: Database, sealer: Sealer, *, clock: Clock = utcnow, sessions: SessionPolicy | None = None
    ) -> None:
        self.db = db
        self._sealer = sealer
        self._store = UserSql()
        self._clock = clock
        self.sessions = sessions or SessionPolicy()

    async def create(
        self,
        *,
        username: str,
        password: str,
        role: str,
        patient_id: str | None = None,
        fhir_user: str | None = None,
        totp_secret: str | None = None,
    ) -> NewUser:
        check_role(role)
        check_password(password, username=username, common=common_passwords())
        if role == PATIENT and not patient_id:
            raise ValueError("a patient user must be linked to a Patient id")
        if role == PATIENT and fhir_user is None:
            fhir_user = f"Patient/{patient_id}"
        user_id = new_id()
        secret = totp_secret or (pyotp.random_base32() if requires_mfa(role) else None)
        sealed = None if secret is None else self._sealer.seal(secret.encode(), bound_to=user_id)
        password_hash = await asyncio.to_thread(hash_secret, password)
        record = UserRecord(
            user_id,
            username,
            role,
            password_hash,
            sealed,
            None,
            patient_id,
            fhir_user,
            0,
            None,
            self._clock(),
        )
        async with self.db.transaction() as conn:
            if await self._store.by_username(conn, username) is not None:
                raise DuplicateName(f"a user named {username!r} exists")
            await self._store.add(conn, record)
        return NewUser(user_id, username, role, secret)

    async def get(self, user_id: str) -> UserRef | None:
        async with self.db.read() as conn:
            record = await self._store.get(conn, user_id)
        return None if record is None or record.disabled_at else user_ref(record)

    async def authenticate(self, username: str, password: str, one_time_code: str | None) -> UserRef:
        """The user, or LoginFailed (one answer for every failure, locked accounts included)."""
        async with self.db.read() as conn:
            record = await self._store.by_username(conn, username)
        if record is None:
            await asyncio.to_thread(verify_secret, _DUMMY_HASH, password)
            raise LoginFailed()
        now = self._clock()
        if record.disabled_at or lockout.is_locked(record.locked_until, now):
            raise LoginFailed()
        ok = await asyncio.to_thread(verify_secret, record.password_hash, password)
        step: int | None = None
        if ok:
            ok, step = self._second_factor(record, one_time_code, now)
        async with self.db.transaction() as conn:
            if ok:
                ok = await self._store.record_success(conn, record.user_id, step)
            if not ok:
                attempts = record.failed_attempts + 1
                await self._store.record_failure(
                    conn, record.user_id, attempts, lockout.locked_until(attempts, now)
                )
        if not ok:
            raise LoginFailed()
        return user_ref(record)

    def _second_factor(
        self, record: UserRecord, one_time_code: str | None, now: datetime
    ) -> tuple[bool, int | None]:
        """(passed, the TOTP time step the code matched); one step of clock drift either way."""
        if record.totp_secret_sealed is None:
            return not requires_mfa(record.role), None  # staff without an enrolled seed cannot log in
        if not one_time_code:
            return False, None
        secret = self._sealer.open(record.totp_secret_sealed, bound_to=record.user_id).decode()
        totp, code = pyotp.TOTP(secret), one_time_code.strip()
        current = totp.timecode(now)
        for step in (current - 1, current, current + 1):
            if hmac.compare_digest(totp.generate_otp(step), code):
                return True, step
        return False, None

    async def start_session(self, user: UserRef) -> str:
        session_id = new_secret()
        now = self._clock()
        async with self.db.transaction() as conn:
            await self._store.add_session(
                conn, digest(session_id), user.user_id, now, self.sessions.expires_at(now)
            )
        return session_id

    async def session_user(self, session_id: str | None) -> UserRef | None:
        """The user of a live session (and the session's idle timer restarts), else None."""
        if not session_id:
            return None
        key, now = digest(session_id), self._clock()
        async with self.db.transaction() as conn:
            row = await self._store.session(conn, key)
            if row is None:
                return None
            if not self.sessions.is_active(
                expires_at=row["expires_at"], last_seen_at=row["last_seen_at"], now=now
            ):
                await self._store.end_session(conn, key, now)
                return None
            await self._store.touch_session(conn, key, now)
            record = await self._store.get(conn, row["user_id"])
        return None if record is None or record.disabled_at else user_ref(record)

    async def end_session(self, session_id: str) -> None:
        async with self.db.transaction() as conn:
            await self._store.end_session(conn, digest(session_id), self._clock())
