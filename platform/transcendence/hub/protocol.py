"""The wire protocol of `/ws`: the envelope, the core types, close codes, the JSON Schema.

Client to server: `{"type": "chat.send", "id": "c42", "data": {...}}` (`id` optional).
Server to client: pushes `{"type", "data"}`, replies `{"type", "re", "data"}` and errors
`{"type": "error", "re", "error": {"code", "message", "details"}}`.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from transcendence.ids import DbId
from transcendence.realtime import HandlerRegistry

# The transport's own limit (Hypercorn `websocket_max_message_size` under
# `transcendence serve`): a bigger frame is never assembled; Hypercorn closes with 1009.
TRANSPORT_MAX_MESSAGE = 1024 * 1024


class Close:
    """Close codes the server uses (4xxx are ours, the rest RFC 6455)."""

    GOING_AWAY = 1001  # the server is shutting down
    POLICY = 1008  # sustained abuse (rate limit)
    TOO_BIG = 1009  # a frame over the transport limit (sent by Hypercorn)
    INTERNAL = 1011  # an unexpected server error
    TRY_AGAIN = 1013  # slow consumer (outbound queue overflowed), or a dependency is down
    UNAUTHORIZED = 4401  # no/bad/expired/revoked token, or auth not first / too late
    TIMEOUT = 4408  # heartbeat timeout: nothing heard for idle_timeout
    TOO_MANY = 4429  # too many sockets for this user on this node


CLOSE_CODES = {
    Close.GOING_AWAY: "the server is shutting down; reconnect",
    Close.POLICY: "sustained abuse of the rate limit",
    Close.TOO_BIG: "a frame above the transport limit (1 MiB), closed by the server",
    Close.INTERNAL: "unexpected server error",
    Close.TRY_AGAIN: (
        "try again later: a slow consumer (more frames waited for this socket than its "
        "queue holds), or the database or bus is unavailable"
    ),
    Close.UNAUTHORIZED: "authentication failed, timed out, expired or was revoked",
    Close.TIMEOUT: "heartbeat timeout: the client said nothing for too long",
    Close.TOO_MANY: "too many sockets for one user on one node",
}


# --- envelope ---------------------------------------------------------------------------


class ClientFrame(BaseModel):
    """Every frame a client sends."""

    model_config = ConfigDict(extra="forbid", strict=True, title="ClientFrame")

    type: str = Field(
        min_length=1,
        max_length=64,
        pattern=r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$",
        description="`<module>.<action>`, or a core type (`auth`, `ping`, `presence.query`...)",
    )
    id: Annotated[str, Field(max_length=64)] | int | None = Field(
        None,
        description="Optional request id (a string of 64 chars at most, or an integer); the "
        "answer carries it as `re`",
    )
    data: dict[str, Any] | None = Field(None, description="The type's payload (a JSON object)")


class ErrorBody(BaseModel):
    code: str
    message: str
    details: Any = None


class ServerFrame(BaseModel):
    """Every frame the server sends: a push, a reply (with `re`) or an error."""

    model_config = ConfigDict(title="ServerFrame")

    type: str
    re: str | int | None = Field(None, description="The `id` of the request this answers")
    data: Any = None
    error: ErrorBody | None = Field(None, description="Only on `type: error`")


# --- core types -------------------------------------------------------------------------


class AuthIn(BaseModel):
    """First frame of every socket, and later to refresh the token in place (same user)."""

    model_config = ConfigDict(extra="forbid")
    token: str = Field(min_length=1, max_length=4096, description="An access token (JWT)")


class Heartbeat(BaseModel):
    interval: float
    timeout: float


class Limits(BaseModel):
    max_frame_bytes: int
    rate: float
    burst: int
    outbound_queue: int


class AuthOut(BaseModel):
    user_id: int
    connection_id: str
    expires_at: int = Field(description="When the token expires (Unix time): refresh before")
    heartbeat: Heartbeat
    limits: Limits


class Empty(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PresenceQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    user_ids: list[DbId] = Field(max_length=200)


Status = Literal["online", "in_game", "offline"]


class PresenceOf(BaseModel):
    status: Status
    last_seen: dt.datetime | None = None


class PresenceAnswer(BaseModel):
    presence: dict[str, PresenceOf] = Field(description="user id → presence")


class PresenceChanged(BaseModel):
    user_id: int
    status: Status
    last_seen: dt.datetime | None = None


class NotificationOut(BaseModel):
    id: int
    kind: str
    data: dict[str, Any]
    created_at: dt.datetime
    read_at: dt.datetime | None = None


class NotifyRead(BaseModel):
    model_config = ConfigDict(extra="forbid")
    ids: list[DbId] = Field(min_length=1, max_length=200)


class NotifyReadOut(BaseModel):
    ids: list[int] = Field(description="The notifications now read (mine among those asked)")


# name → (direction, data model, reply model, description)
CORE_TYPES: dict[str, tuple[str, type[BaseModel] | None, type[BaseModel] | None, str]] = {
    "auth": (
        "client",
        AuthIn,
        AuthOut,
        "Must be the first frame (within 5 s, else close 4401). Sent again later, it "
        "replaces the token in place; the new token must be the same user's.",
    ),
    "ping": ("both", Empty, None, "Either side checks the other: answered with `pong`."),
    "pong": ("both", Empty, None, "The answer to `ping`. Any frame counts as a sign of life."),
    "presence.query": (
        "client",
        PresenceQuery,
        PresenceAnswer,
        "Presence of up to 200 users, as the asker may see it (across a block: offline, "
        "no last-seen). The socket then hears `presence.changed` for each of them (the "
        "256 it asked about most recently), except while a block is between them.",
    ),
    "notify.read": (
        "both",
        NotifyRead,
        NotifyReadOut,
        "Mark notifications read. The server pushes it (`data.ids`) to every tab of the "
        "user whenever notifications are marked read, here or through REST.",
    ),
    "presence.changed": (
        "server",
        PresenceChanged,
        None,
        "A friend, or someone this socket asked about, went online, in game or offline; "
        "after a block or unblock, the other person as the rule now shows them.",
    ),
    "notify": ("server", NotificationOut, None, "A new notification (also stored: REST)."),
    "resync": (
        "server",
        Empty,
        None,
        "Deliveries may have been lost (the bus reconnected): re-read state over REST.",
    ),
    "error": ("server", None, None, "An error answering a frame (`re` = its id)."),
}


# --- encoding ---------------------------------------------------------------------------


def _default(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


_encoder = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, default=_default)


def encode(frame: dict[str, Any]) -> str:
    """A frame as compact JSON text; done once per broadcast, not once per recipient."""
    return _encoder.encode(frame)


class Encoded(str):
    """A frame's data already encoded as JSON text by its sender, put into the frame as it
    is: for a module's hot path that encodes its own data faster (pong's snapshots, 30 a
    second per game, with pydantic-core's encoder)."""

    __slots__ = ()


@functools.lru_cache(maxsize=256)
def _push_prefix(type_: str) -> str:
    return f'{{"type":{json.dumps(type_)},"data":'


def push_frame(type_: str, data: Any = None) -> str:
    if isinstance(data, Encoded):
        return f"{_push_prefix(type_)}{data}}}"
    if isinstance(data, BaseModel):  # pydantic's own serializer, straight to JSON
        return f"{_push_prefix(type_)}{data.model_dump_json()}}}"
    return encode({"type": type_, "data": data})


def reply_frame(type_: str, re: str | int | None, data: Any) -> str:
    return encode({"type": type_, "re": re, "data": data})


def error_frame(re: str | int | None, code: str, message: str, details: Any = None) -> str:
    return encode(
        {
            "type": "error",
            "re": re,
            "error": {"code": code, "message": message, "details": details},
        }
    )


PING = push_frame("ping")
RESYNC = push_frame("resync")


# --- JSON Schema ------------------------------------------------------------------------

_FREE_OBJECT: dict[str, Any] = {"type": "object", "description": "any JSON object"}


def _schema(model: type[BaseModel] | None) -> dict[str, Any]:
    return model.model_json_schema() if model is not None else dict(_FREE_OBJECT)


def json_schema(
    registry: HandlerRegistry, is_enabled: Any, limits: dict[str, Any]
) -> dict[str, Any]:
    """The protocol as JSON Schema: envelopes, then every core and enabled module type."""
    types: dict[str, Any] = {}
    for name, (direction, model, reply, description) in CORE_TYPES.items():
        entry: dict[str, Any] = {"module": "core", "direction": direction}
        entry["description"] = description
        if name != "error":
            entry["data"] = _schema(model)
        if reply is not None:
            entry["reply"] = reply.model_json_schema()
        types[name] = entry
    for name, handler in sorted(registry.handlers.items()):
        if not is_enabled(handler.module):
            continue
        entry = {"module": handler.module, "direction": "client", "data": _schema(handler.model)}
        if handler.description:
            entry["description"] = handler.description
        if handler.reply is not None:
            entry["reply"] = handler.reply.model_json_schema()
        types[name] = entry
    for name, event in sorted(registry.events.items()):
        if not is_enabled(event.module):
            continue
        entry = {"module": event.module, "direction": "server", "data": _schema(event.model)}
        if event.description:
            entry["description"] = event.description
        types[name] = entry
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "Transcendence realtime protocol (/ws)",
        "description": "Client frames match `envelope`; server frames match `server_envelope`. "
        "`types` gives the `data` schema of each type (and of its reply), for the core and "
        "every enabled module. See docs/realtime.md.",
        "envelope": ClientFrame.model_json_schema(),
        "server_envelope": ServerFrame.model_json_schema(),
        "close_codes": {str(code): meaning for code, meaning in CLOSE_CODES.items()},
        "limits": limits,
        "types": types,
    }
