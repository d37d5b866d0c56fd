"""`/api/me/` and `/api/users/...`: profiles, edits, avatars, friends, blocking, data export.

The logic lives in `profiles`, `social`, `privacy`, `roles` and `avatars`; these views only
translate HTTP to those calls. `docs/accounts.md` describes every route.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from quart import Blueprint, Response, current_app, jsonify, request
from quart.typing import ResponseReturnValue
from quart_schema import (
    DataSource,
    document_response,
    validate_querystring,
    validate_request,
)
from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q

from transcendence.accounts import avatars, passwords, privacy, profiles, roles, service, social
from transcendence.accounts.models import Avatar, User
from transcendence.accounts.user_schemas import (
    AdminUserOut,
    AdminUserPage,
    AdminUsersQuery,
    AnonymisedOut,
    AvatarOut,
    AvatarUpload,
    BlockOut,
    BlockPage,
    ExportOut,
    FriendRequestOut,
    FriendsOut,
    MeOut,
    MeQuery,
    PasswordChange,
    PasswordChangedOut,
    ProfileEdit,
    ProfileOut,
    Reauth,
    RoleIn,
    SearchQuery,
    UserPage,
    UserRef,
)
from transcendence.accounts.web import client_ip
from transcendence.auth import admin_required, current_claims, current_user
from transcendence.errors import APIError
from transcendence.openapi import error_responses, other_response
from transcendence.pagination import DB_INT, PageQuery, decode_cursor, page

users_blueprint = Blueprint("users", __name__)

# Multipart framing around a 2 MB file stays far below this.
AVATAR_BODY_LIMIT = avatars.MAX_BYTES + 64 * 1024
IMMUTABLE = "public, max-age=31536000, immutable"
# Refused uploads other than these are a 400 (`invalid_image`).
_AVATAR_STATUS = {"payload_too_large": 413, "image_too_large": 413, "busy": 503}


@users_blueprint.before_request
async def _ids_in_range() -> None:
    """An id past the database's integer range names nobody (rather than failing the query)."""
    for value in (request.view_args or {}).values():
        if isinstance(value, int) and value > DB_INT:
            raise APIError(404, "not_found", "no such resource")


def _no_content() -> Response:
    return Response(status=204)


# --- me -----------------------------------------------------------------------------------


@users_blueprint.get("/api/me/")
@validate_querystring(MeQuery)
@document_response(MeOut, 200)
async def me(query_args: MeQuery) -> ResponseReturnValue:
    """My account: identity, email, role, settings and presence; with `include=extras`, the
    modules' extras too (as on my public profile)."""
    extras = query_args.include == "extras"
    return await profiles.private_profile(await current_user(), extras=extras)


def _edited_fields(user: User, data: ProfileEdit) -> list[str]:
    """Apply the edit to `user`, keeping each `*_key` column in step with its value."""
    changed = []
    for field in ("display_name", "email"):
        value = getattr(data, field)
        if value is not None and value != getattr(user, field):
            setattr(user, field, value)
            setattr(user, f"{field}_key", service.key(value))
            changed += [field, f"{field}_key"]
    for setting in ("language", "theme", "text_size"):
        value = getattr(data, setting)
        if value is not None and value != getattr(user, setting):
            setattr(user, setting, value)
            changed.append(setting)
    return changed


@users_blueprint.patch("/api/me/")
@error_responses(409)
@validate_request(ProfileEdit)
@document_response(MeOut, 200)
async def edit_me(data: ProfileEdit) -> ResponseReturnValue:
    """Change my display name, email, language or appearance (theme, text size).

    409 names a field someone else uses."""
    user = await current_user()
    clash = await service.find_conflict(
        email=data.email, display_name=data.display_name, exclude_id=user.id
    )
    if clash:
        raise service.conflict(clash)
    changed = _edited_fields(user, data)
    if changed:
        try:
            await user.save(update_fields=changed)
        except IntegrityError:
            # Someone took the name between the check and the save; the index decided.
            await user.refresh_from_db()
            clash = await service.find_conflict(
                email=data.email, display_name=data.display_name, exclude_id=user.id
            )
            raise service.conflict(clash or "display_name") from None
    return await profiles.private_profile(user)


@users_blueprint.post("/api/me/password")
@error_responses(403, 429)
@validate_request(PasswordChange)
@document_response(PasswordChangedOut, 200)
async def change_password(data: PasswordChange) -> ResponseReturnValue:
    """Set a new password (the old one confirms it); every session is logged out."""
    user = await current_user()
    await privacy.reauthenticate(
        user,
        password=data.old_password,
        code=data.code,
        session_id=current_claims().session_id,
        ip=client_ip(),
    )
    problem = passwords.password_problem(
        data.new_password, username=user.username, email=user.email
    )
    if problem:
        raise APIError(400, "weak_password", problem.message, problem.details("new_password"))
    if data.old_password and data.old_password == data.new_password:
        raise APIError(
            400,
            "weak_password",
            "choose a password you did not use",
            {"field": "new_password", "reason": "reused"},
        )
    user.password_hash = passwords.hash_password(data.new_password)
    await user.save(update_fields=["password_hash"])
    ended = await service.revoke_all(user, "password_changed")
    return {
        "message": "password changed; all your sessions, this one included, were logged out: "
        "log in again with the new password",
        "sessions_ended": ended,
    }


@users_blueprint.get("/api/me/export")
@document_response(ExportOut, 200)
async def export_me() -> ResponseReturnValue:
    """Everything stored about me, as a JSON download."""
    user = await current_user()
    response = jsonify(await privacy.export(user))
    response.headers["Content-Disposition"] = (
        f'attachment; filename="transcendence-{user.id}-export.json"'
    )
    response.headers["Cache-Control"] = "no-store"
    return response


async def _reauthenticated(data: Reauth) -> User:
    user = await current_user()
    await privacy.reauthenticate(
        user,
        password=data.password,
        code=data.code,
        session_id=current_claims().session_id,
        ip=client_ip(),
    )
    return user


@users_blueprint.post("/api/me/anonymise")
@error_responses(403, 409, 429)
@validate_request(Reauth)
@document_response(AnonymisedOut, 200)
async def anonymise_me(data: Reauth) -> ResponseReturnValue:
    """Erase who I am but keep my matches and messages, shown as `deleted-<id>`."""
    user = await privacy.anonymise(await _reauthenticated(data))
    return {"anonymised": True, "username": user.username}


@users_blueprint.delete("/api/me/")
@error_responses(403, 409, 429)
@other_response(204, "Done; no body")
@validate_request(Reauth)
async def delete_me(data: Reauth) -> ResponseReturnValue:
    """Delete my account and everything that belongs to it. 204."""
    await privacy.delete(await _reauthenticated(data))
    return _no_content()


# --- other users --------------------------------------------------------------------------


@users_blueprint.get("/api/users/")
@validate_querystring(SearchQuery)
@document_response(UserPage, 200)
async def search_users(query_args: SearchQuery) -> ResponseReturnValue:
    """Users whose username or display name starts with `q` (any case), by username."""
    query = User.filter(anonymised=False).order_by("username_key")
    if query_args.q and query_args.q.strip():
        prefix = service.key(query_args.q)
        query = query.filter(
            Q(username_key__startswith=prefix) | Q(display_name_key__startswith=prefix)
        )
    after = decode_cursor(query_args.cursor, str)
    if after is not None:
        query = query.filter(username_key__gt=after)
    limit = query_args.limit
    rows, next_cursor = page(await query.limit(limit + 1), limit, lambda u: u.username_key)
    return {"items": await profiles.summaries(rows), "next": next_cursor}


async def _visible_user(user_id: int) -> User:
    user = await User.get_or_none(id=user_id, anonymised=False)
    if user is None:
        raise APIError(404, "not_found", "no such user")
    return user


@users_blueprint.get("/api/users/<id:user_id>")
@document_response(ProfileOut, 200)
async def user_profile(user_id: int) -> ResponseReturnValue:
    """Someone's public profile (no email) with presence, module extras and where I stand."""
    viewer = await current_user()
    return await profiles.public_profile(await _visible_user(user_id), viewer)


# --- avatars ------------------------------------------------------------------------------


def _limit_body(limit: int) -> Callable[[Any], Any]:
    """413 before a too large body is parsed at all (the app-wide limit is larger)."""

    def decorator(view: Any) -> Any:
        @wraps(view)
        async def wrapper(*args: Any, **kwargs: Any) -> Any:
            if (request.content_length or 0) > limit:
                raise APIError(413, "payload_too_large", "the avatar must be at most 2 MB")
            return await current_app.ensure_async(view)(*args, **kwargs)

        return wrapper

    return decorator


async def _store_avatar(user: User, encoded: avatars.Encoded) -> None:
    stored = Avatar.filter(user_id=user.id)
    if await stored.update(data=encoded.data, etag=encoded.etag, updated_at=service.now()):
        return
    try:
        await Avatar.create(user_id=user.id, data=encoded.data, etag=encoded.etag)
    except IntegrityError:
        # Two uploads at once: the other one created the row; the last write wins.
        await stored.update(data=encoded.data, etag=encoded.etag, updated_at=service.now())


@users_blueprint.put("/api/me/avatar")
@_limit_body(AVATAR_BODY_LIMIT)
@validate_request(AvatarUpload, source=DataSource.FORM_MULTIPART)
@document_response(AvatarOut, 200)
async def upload_avatar(data: AvatarUpload) -> ResponseReturnValue:
    """Upload my avatar as multipart field `avatar`: re-encoded to a 256x256 WebP."""
    user = await current_user()
    stream = data.avatar.stream
    try:
        # Reading a spooled file and decoding are blocking work: keep them off the event loop,
        # in the avatars' own bounded pool (a flood of uploads is refused, not queued).
        encoded = await avatars.encode_in_pool(lambda: stream.read(avatars.MAX_BYTES + 1))
    except avatars.AvatarError as exc:
        status = _AVATAR_STATUS.get(exc.code, 400)
        headers = {"Retry-After": "1"} if status == 503 else None
        details = {"field": "avatar", **exc.details}
        raise APIError(status, exc.code, exc.message, details, headers) from exc
    await _store_avatar(user, encoded)
    return {"avatar_url": profiles.avatar_url(user.id, encoded.etag), "etag": encoded.etag}


@users_blueprint.delete("/api/me/avatar")
@other_response(204, "Done; no body")
async def delete_avatar() -> ResponseReturnValue:
    """Remove my uploaded avatar; the generated default one is shown again. 204."""
    user = await current_user()
    await Avatar.filter(user_id=user.id).delete()
    return _no_content()


async def _avatar_image(user_id: int) -> avatars.Encoded:
    row = await Avatar.get_or_none(user_id=user_id)
    if row is not None:
        return avatars.Encoded(bytes(row.data), row.etag, "image/webp")
    names = await User.filter(id=user_id).values_list("username", flat=True)
    if not names:
        raise APIError(404, "not_found", "no such user")
    return avatars.default_avatar(str(names[0]))


@users_blueprint.get("/api/users/<id:user_id>/avatar")
@other_response(
    200,
    "The image: an upload (WebP) or the generated default (SVG)",
    ("image/webp", "image/svg+xml"),
)
@other_response(304, "Unchanged since the `If-None-Match` ETag")
async def avatar(user_id: int) -> ResponseReturnValue:
    """A user's avatar (public): their upload as WebP, or a generated SVG. 304 when unchanged."""
    image = await _avatar_image(user_id)
    version = request.args.get("v")
    # A versioned URL names one exact picture; an unversioned one must be revalidated.
    cache = IMMUTABLE if version == image.etag[: profiles.VERSION_CHARS] else "no-cache"
    headers = {"ETag": f'"{image.etag}"', "Cache-Control": cache}
    if image.content_type == "image/svg+xml":
        # Served on our origin, so an SVG gets no power to run or fetch anything.
        headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    if request.if_none_match.contains_weak(image.etag):
        return Response(status=304, headers=headers)
    return Response(image.data, content_type=image.content_type, headers=headers)


# --- friends ------------------------------------------------------------------------------


@users_blueprint.get("/api/friends/")
@document_response(FriendsOut, 200)
async def friends() -> ResponseReturnValue:
    """My friends with their presence, and friend requests I received and sent."""
    return await social.friends_of(await current_user())


@users_blueprint.post("/api/friends/requests")
@error_responses(403, 404, 409)
@validate_request(UserRef)
@document_response(FriendRequestOut, 201)
@document_response(FriendRequestOut, 200)
async def request_friend(data: UserRef) -> ResponseReturnValue:
    """Ask someone to be friends (201); if they already asked me, we are friends now (200)."""
    entry, created = await social.request_friend(await current_user(), data.user_id)
    return entry, 201 if created else 200


@users_blueprint.post("/api/friends/requests/<id:request_id>/accept")
@document_response(FriendRequestOut, 200)
async def accept_friend(request_id: int) -> ResponseReturnValue:
    """Accept a friend request sent to me."""
    return await social.accept(await current_user(), request_id)


@users_blueprint.post("/api/friends/requests/<id:request_id>/decline")
@other_response(204, "Done; no body")
async def decline_friend(request_id: int) -> ResponseReturnValue:
    """Decline a request sent to me, or withdraw one I sent. 204."""
    await social.decline(await current_user(), request_id)
    return _no_content()


@users_blueprint.delete("/api/friends/<id:user_id>")
@other_response(204, "Done; no body")
async def remove_friend(user_id: int) -> ResponseReturnValue:
    """Stop being friends with someone (or drop a pending request with them). 204."""
    await social.unfriend(await current_user(), user_id)
    return _no_content()


# --- blocks -------------------------------------------------------------------------------


@users_blueprint.get("/api/blocks/")
@validate_querystring(PageQuery)
@document_response(BlockPage, 200)
async def blocks(query_args: PageQuery) -> ResponseReturnValue:
    """The people I block, newest first."""
    return await social.blocks_of(await current_user(), query_args.cursor, query_args.limit)


@users_blueprint.post("/api/blocks/")
@error_responses(404)
@validate_request(UserRef)
@document_response(BlockOut, 201)
@document_response(BlockOut, 200)
async def block_user(data: UserRef) -> ResponseReturnValue:
    """Block someone: ends any friendship or request with them (201; 200 if already blocked)."""
    entry, created = await social.block(await current_user(), data.user_id)
    return entry, 201 if created else 200


@users_blueprint.delete("/api/blocks/<id:user_id>")
@other_response(204, "Done; no body")
async def unblock_user(user_id: int) -> ResponseReturnValue:
    """Stop blocking someone. 204."""
    await social.unblock(await current_user(), user_id)
    return _no_content()


# --- admin --------------------------------------------------------------------------------


@users_blueprint.get("/api/admin/users")
@error_responses(403)
@admin_required
@validate_querystring(AdminUsersQuery)
@document_response(AdminUserPage, 200)
async def admin_users(query_args: AdminUsersQuery) -> ResponseReturnValue:
    """Every account, oldest first (admins only)."""
    return await roles.list_users(query_args.q, query_args.cursor, query_args.limit)


@users_blueprint.post("/api/admin/users/<id:user_id>/role")
@error_responses(403, 409)
@admin_required
@validate_request(RoleIn)
@document_response(AdminUserOut, 200)
async def set_role(user_id: int, data: RoleIn) -> ResponseReturnValue:
    """Make someone a player or an admin (admins only; the last admin stays)."""
    user = await User.get_or_none(id=user_id)
    if user is None:
        raise APIError(404, "not_found", "no such user")
    await roles.set_role(user, data.role)
    return roles.admin_entry(user)
