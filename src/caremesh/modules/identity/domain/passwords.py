"""Password policy (NIST SP 800-63B style): long enough, not a known common password, not the
username. No composition rules: they make passwords harder to remember, not to guess."""

from __future__ import annotations

from collections.abc import Collection

MIN_LENGTH = 12
MAX_LENGTH = 256  # bounds the hashing work an attacker can ask for


class WeakPassword(ValueError):
    def __init__(self, reasons: list[str]) -> None:
        super().__init__("; ".join(reasons))
        self.reasons = reasons


def password_problems(password: str, *, username: str, common: Collection[str]) -> list[str]:
    problems: list[str] = []
    if len(password) < MIN_LENGTH:
        problems.append(f"must be at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        problems.append(f"must be at most {MAX_LENGTH} characters")
    if password.lower() in common:
        problems.append("is a commonly used password")
    if username and username.lower() in password.lower():
        problems.append("must not contain the username")
    return problems


def check_password(password: str, *, username: str, common: Collection[str]) -> None:
    problems = password_problems(password, username=username, common=common)
    if problems:
        raise WeakPassword(problems)
