"""Domain errors of the identity module."""

from __future__ import annotations


class IdentityError(Exception):
    pass


class LoginFailed(IdentityError):
    """Wrong username, password or one-time code, or a locked account: one message for all, so a
    caller cannot learn which part was wrong or whether the account exists."""

    def __init__(self) -> None:
        super().__init__("the username, password or one-time code is not valid, or the account is locked")


class DuplicateName(IdentityError):
    pass
