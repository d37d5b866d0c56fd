"""Logging in with 42, end to end, against a real OAuth 2.0 server on a local port.

Our side is driven with the Quart test client (its cookie jar is "the browser"); the fake
intra is reached over a real socket with httpx; redirects are followed by hand.
"""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pyotp
import pytest
from fake42 import CALLBACK, CLIENT_ID, CLIENT_SECRET, local, through_intra
from pydantic import SecretStr

from transcendence.accounts import service as accounts
from transcendence.accounts.models import Avatar, Session, User
from transcendence_oauth42.models import Attempt, Link
from transcendence_oauth42.routes import AFTER_LOGIN

pytestmark = pytest.mark.modules("oauth42")


def set_cookies(response) -> dict[str, str]:
    """`name -> Set-Cookie header` of a response."""
    return {h.split("=", 1)[0]: h for h in response.headers.getlist("Set-Cookie")}


async def start(client, path="/api/oauth42/login"):
    response = await client.get(path)
    assert response.status_code == 302
    return response


async def log_in_with_42(client) -> object:
    """The whole browser journey: our login, the intra's consent, our callback."""
    started = await start(client)
    back = await through_intra(started.headers["Location"])
    assert back.startswith(CALLBACK + "?")
    return await client.get(local(back))


async def access_for(client) -> str:
    refreshed = await client.post("/api/auth/refresh")
    assert refreshed.status_code == 200, await refreshed.get_json()
    return (await refreshed.get_json())["access"]


async def me(client, access: str) -> dict:
    response = await client.get("/api/me/", headers={"Authorization": f"Bearer {access}"})
    assert response.status_code == 200
    return await response.get_json()


def error_of(response) -> str | None:
    assert response.status_code == 302
    query = parse_qs(urlsplit(response.headers["Location"]).query)
    return query.get("oauth_error", [None])[0]


# --- the login ------------------------------------------------------------------------------


async def test_login_redirects_to_the_intra_with_state_and_pkce(app, client, configured, intra):
    response = await start(client)
    url = urlsplit(response.headers["Location"])
    assert f"{url.scheme}://{url.netloc}{url.path}" == configured.authorize_url
    query = {k: v[0] for k, v in parse_qs(url.query).items()}
    assert query["client_id"] == CLIENT_ID
    assert query["response_type"] == "code"
    assert query["redirect_uri"] == CALLBACK
    assert query["code_challenge_method"] == "S256"
    assert len(query["code_challenge"]) == 43
    assert len(query["state"]) >= 20
    assert "client_secret" not in query
    cookie = set_cookies(response)["oauth42_browser"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/api/oauth42" in cookie
    assert "Max-Age=600" in cookie
    assert await Attempt.all().count() == 1


async def test_first_login_creates_the_account_and_logs_in(app, client, configured, intra):
    done = await log_in_with_42(client)
    assert done.status_code == 302
    assert done.headers["Location"] == AFTER_LOGIN
    refresh = set_cookies(done)["refresh_token"]
    assert "HttpOnly" in refresh and "Path=/api/auth" in refresh and "SameSite=Strict" in refresh
    # Nothing of the intra's reaches the browser.
    body = (await done.get_data()).decode()
    assert not any(token in body or token in str(done.headers) for token in intra.tokens)

    profile = await me(client, await access_for(client))
    assert profile["username"] == "jdoe"
    assert profile["email"] == "jdoe@student.42.fr"
    assert profile["display_name"] == "John Doe"
    user = await User.get(id=profile["id"])
    assert user.password_hash is None
    link = await Link.get(user_id=user.id)
    assert (link.provider_id, link.login) == ("4242", "jdoe")
    avatar = await Avatar.get(user_id=user.id)
    assert avatar.data[:4] == b"RIFF"  # re-encoded to WebP, like an upload
    # The code was exchanged with the secret and the verifier, in the body (as 42 does it).
    (exchange,) = intra.token_requests
    assert exchange["client_secret"] == CLIENT_SECRET
    assert len(exchange["code_verifier"]) >= 43
    assert await Attempt.all().count() == 0  # spent


async def test_second_login_finds_the_same_account(app, client, configured, intra):
    await log_in_with_42(client)
    first = (await me(client, await access_for(client)))["id"]
    browser = app.test_client()  # another device
    done = await log_in_with_42(browser)
    assert done.headers["Location"] == AFTER_LOGIN
    assert (await me(browser, await access_for(browser)))["id"] == first
    assert await User.all().count() == 1
    assert await Session.filter(user_id=first).count() == 2


async def test_names_taken_here_get_a_free_variant(app, client, make_user, configured, intra):
    await make_user("jdoe", email="someone.else@example.test", display_name="John Doe")
    await log_in_with_42(client)
    profile = await me(client, await access_for(client))
    assert profile["username"] == "jdoe-2"
    assert profile["display_name"] == "John Doe 2"


async def test_status_says_configured(app, client, configured):
    response = await client.get("/api/oauth42/status")
    assert response.status_code == 200
    assert await response.get_json() == {"configured": True, "login_url": "/api/oauth42/login"}


async def test_unconfigured_module_says_so(app, client):
    from transcendence_oauth42.config import EXTENSION, OAuth42Settings

    app.extensions[EXTENSION] = OAuth42Settings(_env_file=None, client_id=None, client_secret=None)
    assert (await (await client.get("/api/oauth42/status")).get_json())["configured"] is False
    response = await client.get("/api/oauth42/login")
    assert error_of(response) == "not_configured"
    # What an evaluator reads in the module list, and why.
    listed = {m["name"]: m for m in await (await client.get("/api/modules")).get_json()}
    assert listed["oauth42"]["enabled"] is True
    assert listed["oauth42"]["configured"] is False
    assert listed["oauth42"]["status_message"] == (
        "set OAUTH42_CLIENT_ID and OAUTH42_CLIENT_SECRET (docs/oauth42.md)"
    )


async def test_a_configured_module_says_so_and_its_endpoints_derive_from_the_base_url(
    app, client, configured, intra
):
    listed = {m["name"]: m for m in await (await client.get("/api/modules")).get_json()}
    assert (listed["oauth42"]["configured"], listed["oauth42"]["status_message"]) == (True, None)
    assert configured.authorize_url == f"{intra.base}/oauth/authorize"
    assert configured.token_url == f"{intra.base}/oauth/token"
    assert configured.userinfo_url == f"{intra.base}/v2/me"
    from transcendence_oauth42.config import OAuth42Settings

    default = OAuth42Settings(_env_file=None)
    assert default.authorize_url == "https://api.intra.42.fr/oauth/authorize"


# --- what goes wrong ----------------------------------------------------------------------


async def test_denied_consent_ends_on_a_readable_page(app, client, configured, intra):
    intra.approve = False
    done = await log_in_with_42(client)
    assert done.headers["Location"] == "/login/42?oauth_error=access_denied"
    assert "refresh_token" not in set_cookies(done)
    assert await User.all().count() == 0
    assert await Attempt.all().count() == 0


async def test_bad_state_is_refused(app, client, configured, intra):
    started = await start(client)
    back = await through_intra(started.headers["Location"])
    query = parse_qs(urlsplit(back).query)
    code, state = query["code"][0], query["state"][0]

    for params in (f"code={code}", f"code={code}&state=forged{state}"):
        response = await client.get(f"/api/oauth42/callback?{params}")
        assert error_of(response) == "invalid_state"

    # The right state from another browser (no binding cookie) does not spend it...
    other = await app.test_client().get(local(back))
    assert error_of(other) == "invalid_state"
    # ...so the browser that started it still finishes; then the state is spent.
    assert (await client.get(local(back))).headers["Location"] == AFTER_LOGIN
    assert error_of(await client.get(local(back))) == "invalid_state"
    assert await User.all().count() == 1


async def test_expired_state_is_refused(app, client, configured, intra):
    started = await start(client)
    back = await through_intra(started.headers["Location"])
    await Attempt.all().update(expires_at=accounts.now() - timedelta(seconds=1))
    assert error_of(await client.get(local(back))) == "state_expired"
    assert intra.token_requests == []  # the code was never spent
    assert await User.all().count() == 0


async def test_replayed_code_is_refused_by_the_intra(app, client, configured, intra):
    # A code that already logged someone in comes back with a fresh, valid state.
    done = await log_in_with_42(client)
    assert done.headers["Location"] == AFTER_LOGIN
    code = intra.token_requests[-1]["code"]
    state = parse_qs(urlsplit((await start(client)).headers["Location"]).query)["state"][0]
    response = await client.get(f"/api/oauth42/callback?code={code}&state={state}")
    assert error_of(response) == "code_rejected"


async def test_provider_down_ends_on_a_readable_page(app, client, configured, intra):
    started = await start(client)
    back = await through_intra(started.headers["Location"])
    await intra.stop()
    done = await client.get(local(back))
    assert error_of(done) == "provider_unavailable"
    assert await User.all().count() == 0


async def test_provider_timeout_ends_on_a_readable_page(app, client, configured, intra):
    configured.timeout = 0.2
    intra.hang_token = True
    assert error_of(await log_in_with_42(client)) == "provider_unavailable"
    assert await User.all().count() == 0


async def test_a_wrong_client_secret_ends_on_a_readable_page(app, client, configured, intra):
    app.extensions["oauth42"] = configured.model_copy(update={"client_secret": SecretStr("x")})
    assert error_of(await log_in_with_42(client)) == "provider_error"


async def test_bad_userinfo_ends_on_a_readable_page(app, client, configured, intra):
    intra.me_override = ({"id": 4242, "login": "jdoe"}, 200)  # no email
    assert error_of(await log_in_with_42(client)) == "bad_userinfo"
    intra.me_override = ("<html>maintenance</html>", 200)
    assert error_of(await log_in_with_42(client)) == "bad_userinfo"
    intra.me_override = ({"error": "boom"}, 502)
    assert error_of(await log_in_with_42(client)) == "provider_unavailable"
    assert await User.all().count() == 0


async def test_intra_error_on_the_redirect(app, client, configured, intra):
    state = parse_qs(urlsplit((await start(client)).headers["Location"]).query)["state"][0]
    response = await client.get(f"/api/oauth42/callback?error=server_error&state={state}")
    assert error_of(response) == "provider_error"
    assert error_of(await client.get("/api/oauth42/callback")) == "invalid_state"


# --- accounts that exist already --------------------------------------------------------------


async def test_an_existing_email_is_never_taken_over(app, client, make_user, configured, intra):
    owner = await make_user("johnny", email="JDoe@student.42.fr")
    sessions = await Session.filter(user_id=owner.id).count()
    done = await log_in_with_42(client)
    assert done.headers["Location"] == "/login/42?oauth_error=email_in_use"
    assert "refresh_token" not in set_cookies(done)
    assert await Link.all().count() == 0
    assert await User.all().count() == 1
    assert await Session.filter(user_id=owner.id).count() == sessions


async def test_link_then_log_in_with_42_then_unlink(app, client, make_user, configured, intra):
    alice = await make_user("alice", email="jdoe@student.42.fr")  # same address: linking is fine
    wrong = await client.post(
        "/api/oauth42/link/start", headers=alice.headers, json={"password": "nope nope nope"}
    )
    assert wrong.status_code == 403
    started = await client.post(
        "/api/oauth42/link/start", headers=alice.headers, json={"password": alice.password}
    )
    assert started.status_code == 200
    assert "oauth42_browser" in set_cookies(started)
    back = await through_intra((await started.get_json())["authorize_url"])
    linked = await client.get(local(back))
    assert linked.headers["Location"] == "/settings?oauth42=linked"
    assert "refresh_token" not in set_cookies(linked)  # linking does not log in again
    status = await client.get("/api/oauth42/link", headers=alice.headers)
    assert await status.get_json() == {
        "linked": True,
        "login": "jdoe",
        "linked_at": (await Link.get(user_id=alice.id)).linked_at.isoformat(),
        "can_unlink": True,
    }

    browser = app.test_client()
    assert (await log_in_with_42(browser)).headers["Location"] == AFTER_LOGIN
    assert (await me(browser, await access_for(browser)))["id"] == alice.id
    assert await User.all().count() == 1

    again = await client.post(
        "/api/oauth42/link/start", headers=alice.headers, json={"password": alice.password}
    )
    assert again.status_code == 409

    unlinked = await client.delete("/api/oauth42/link", headers=alice.headers)
    assert unlinked.status_code == 204
    assert await Link.all().count() == 0
    assert (await client.delete("/api/oauth42/link", headers=alice.headers)).status_code == 404
    # Unlinked: the same 42 login is now someone new whose address is taken.
    assert error_of(await log_in_with_42(app.test_client())) == "email_in_use"


async def test_a_42_account_links_to_one_account_only(app, client, make_user, configured, intra):
    await log_in_with_42(app.test_client())  # jdoe's own account
    bob = await make_user("bob")
    started = await client.post(
        "/api/oauth42/link/start", headers=bob.headers, json={"password": bob.password}
    )
    back = await through_intra((await started.get_json())["authorize_url"])
    done = await client.get(local(back))
    assert done.headers["Location"] == "/settings?oauth_error=already_linked"
    assert not await Link.exists(user_id=bob.id)


async def test_the_only_way_in_cannot_be_unlinked(app, client, configured, intra):
    await log_in_with_42(client)
    access = await access_for(client)
    headers = {"Authorization": f"Bearer {access}"}
    status = await (await client.get("/api/oauth42/link", headers=headers)).get_json()
    assert status["linked"] is True and status["can_unlink"] is False
    refused = await client.delete("/api/oauth42/link", headers=headers)
    assert refused.status_code == 409
    assert (await refused.get_json())["error"]["code"] == "last_login_method"
    assert await Link.all().count() == 1


async def test_two_factor_still_applies(app, client, make_user, configured, intra):
    alice = await make_user("alice")
    secret = pyotp.random_base32()
    await User.filter(id=alice.id).update(totp_secret=secret, totp_enabled=True)
    await Link.create(user_id=alice.id, provider_id="4242", login="jdoe")
    done = await log_in_with_42(client)
    assert done.headers["Location"] == "/login/42?oauth_mfa=1"
    cookies = set_cookies(done)
    assert "refresh_token" not in cookies
    assert "HttpOnly" in cookies["oauth42_mfa"]
    step = await client.post("/api/oauth42/mfa")
    assert step.status_code == 200
    mfa_token = (await step.get_json())["mfa_token"]
    logged = await client.post(
        "/api/auth/login/2fa", json={"mfa_token": mfa_token, "code": pyotp.TOTP(secret).now()}
    )
    assert logged.status_code == 200
    assert (await logged.get_json())["user"]["id"] == alice.id


async def test_an_anonymised_account_frees_its_42_login(app, client, make_user, configured, intra):
    from transcendence.accounts import privacy

    await log_in_with_42(client)
    old = await User.get(username="jdoe")
    await privacy.anonymise(old)
    done = await log_in_with_42(app.test_client())
    assert done.headers["Location"] == AFTER_LOGIN
    link = await Link.get(provider_id="4242").prefetch_related("user")
    assert link.user.id != old.id and link.user.username == "jdoe"
