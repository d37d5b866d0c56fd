"""Password hashing (argon2id) and the rules a new password must meet."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

# argon2-cffi's defaults are argon2id with RFC 9106's low-memory profile.
hasher = PasswordHasher()
MIN_LENGTH = 8
MAX_LENGTH = 128


@lru_cache(maxsize=1)
def _common() -> frozenset[str]:
    path = Path(__file__).with_name("common_passwords.txt")
    return frozenset(line.strip().lower() for line in path.read_text().splitlines() if line)


class PasswordProblem(NamedTuple):
    """Why a password is refused: `reason` and `params` let a client say it in its own
    language (`details` of the `weak_password` error); `message` says it in English."""

    reason: str
    message: str
    params: dict[str, int]

    def details(self, field: str) -> dict[str, object]:
        return {"field": field, "reason": self.reason, **self.params}


def password_problem(
    password: str, *, username: str = "", email: str = ""
) -> PasswordProblem | None:
    """Why this password is refused, or None when it is acceptable."""
    if len(password) < MIN_LENGTH:
        return PasswordProblem(
            "too_short", f"use at least {MIN_LENGTH} characters", {"min": MIN_LENGTH}
        )
    if len(password) > MAX_LENGTH:
        return PasswordProblem(
            "too_long", f"use at most {MAX_LENGTH} characters", {"max": MAX_LENGTH}
        )
    lowered = password.lower()
    if lowered in _common():
        return PasswordProblem(
            "common", "this password is among the most common ones; choose another", {}
        )
    if lowered in {username.lower(), email.lower()} - {""}:
        return PasswordProblem("personal", "the password must not be your username or email", {})
    if len(set(password)) < 3:
        return PasswordProblem("too_simple", "use more than two different characters", {})
    return None


def hash_password(password: str) -> str:
    return hasher.hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    if not stored:
        return False
    try:
        return hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    return hasher.check_needs_rehash(stored)


# Verifying against this keeps a login for an unknown user as slow as for a known one.
DUMMY_HASH = hasher.hash("not-a-real-password-timing-guard")
