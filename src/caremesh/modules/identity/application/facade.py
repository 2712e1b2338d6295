"""The identity module's contract API."""

from __future__ import annotations

from caremesh.contracts.identity import UserView
from caremesh.modules.identity.application.users import UserService


class IdentityFacade:
    def __init__(self, users: UserService) -> None:
        self._users = users

    async def get_user(self, user_id: str) -> UserView | None:
        user = await self._users.get(user_id)
        if user is None:
            return None
        return UserView(
            user_id=user.user_id,
            username=user.username,
            role=user.role,
            patient_id=user.patient_id,
            fhir_user=user.fhir_user,
        )
