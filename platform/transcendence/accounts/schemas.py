"""Request and response shapes of the account routes (validated and documented by quart-schema)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field, field_validator

from transcendence.accounts.models import User

USERNAME = re.compile(r"^[A-Za-z0-9_-]{3,32}$")
# Deliberately loose: the only real check of an address is a message that arrives.
EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")


# Anonymised accounts are renamed "deleted-<id>": nobody may sign up under that prefix.
RESERVED_PREFIX = "deleted-"


def no_control_characters(value: str) -> str:
    """PostgreSQL cannot store NUL, and no name, address or password needs a control code."""
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
        raise ValueError("control characters are not allowed")
    return value


def username_rule(value: str) -> str:
    value = value.strip()
    if not USERNAME.match(value):
        raise ValueError("3 to 32 letters, digits, '_' or '-'")
    if value.casefold().startswith(RESERVED_PREFIX):
        raise ValueError(f"usernames starting with {RESERVED_PREFIX!r} are reserved")
    return value


def email_rule(value: str) -> str:
    value = no_control_characters(value.strip())
    if len(value) > 254 or not EMAIL.match(value):
        raise ValueError("not a valid email address")
    return value


class SignupIn(BaseModel):
    username: str
    email: str
    password: str = Field(max_length=1024)

    _username = field_validator("username")(username_rule)
    _email = field_validator("email")(email_rule)
    _password = field_validator("password")(no_control_characters)


class LoginIn(BaseModel):
    username: str = Field(description="username or email", min_length=1, max_length=254)
    password: str = Field(min_length=1, max_length=1024)

    _text = field_validator("username", "password")(no_control_characters)


class SecondFactorIn(BaseModel):
    mfa_token: str = Field(min_length=1, max_length=2048)
    code: str = Field(min_length=6, max_length=32, description="TOTP or recovery code")

    _text = field_validator("mfa_token", "code")(no_control_characters)


class CodeIn(BaseModel):
    code: str = Field(min_length=6, max_length=32)

    _text = field_validator("code")(no_control_characters)


class UserOut(BaseModel):
    id: int
    username: str
    display_name: str
    email: str
    avatar_url: str
    role: str
    language: str
    theme: str
    text_size: str
    totp_enabled: bool
    created_at: datetime


class SignupOut(BaseModel):
    user: UserOut


class LoginOut(BaseModel):
    access: str | None = None
    user: UserOut | None = None
    mfa_required: bool = False
    mfa_token: str | None = None


class AccessOut(BaseModel):
    access: str


class SessionOut(BaseModel):
    id: str
    created_at: datetime
    last_used_at: datetime
    expires_at: datetime
    user_agent: str
    ip: str
    current: bool


class SessionsOut(BaseModel):
    items: list[SessionOut]


class TotpSetupOut(BaseModel):
    secret: str
    otpauth_uri: str
    qr_svg: str = Field(description="data: URI of an SVG QR code of otpauth_uri")


class RecoveryCodesOut(BaseModel):
    recovery_codes: list[str]


def avatar_url(user_id: int) -> str:
    return f"/api/users/{user_id}/avatar"


def user_out(user: User) -> dict[str, Any]:
    """The account as its owner sees it (email included)."""
    return {
        "id": user.id,
        "username": user.username,
        "display_name": user.display_name,
        "email": user.email,
        "avatar_url": avatar_url(user.id),
        "role": user.role,
        "language": user.language,
        "theme": user.theme,
        "text_size": user.text_size,
        "totp_enabled": user.totp_enabled,
        "created_at": user.created_at.isoformat(),
    }
