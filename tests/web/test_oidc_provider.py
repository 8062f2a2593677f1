"""Self-test of the loopback OIDC provider: the code flow driven by hand with httpx, each
refusal it must make, and each fault it can inject."""

from __future__ import annotations

import base64
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import httpx
import pytest
from joserfc import errors, jwt
from joserfc.jwk import KeySet
from joserfc.jws import extract_compact
from joserfc.jwt import JWTClaimsRegistry

from tests.web.oidc_provider import OidcProvider, OidcUser, running_provider, s256

# An existing query on the registered URI must survive the provider adding code and state.
REDIRECT_URI = "http://127.0.0.1:9/auth/callback?next=%2Fdocs"
ALICE = OidcUser(sub="alice-123", email="alice@example.test", name="Alice Liddell")


@dataclass
class Authorization:
    response: httpx.Response
    verifier: str
    state: str
    nonce: str

    @property
    def redirect_params(self) -> dict[str, list[str]]:
        return parse_qs(urlsplit(self.response.headers["location"]).query)

    @property
    def code(self) -> str:
        return self.redirect_params["code"][0]


@pytest.fixture(scope="module")
def shared_provider() -> Iterator[OidcProvider]:
    # One server for the module: starting and stopping one per test would cost more than the
    # tests themselves.
    with running_provider(redirect_uris=[REDIRECT_URI], user=ALICE) as running:
        yield running


@pytest.fixture
def provider(shared_provider: OidcProvider) -> OidcProvider:
    shared_provider.user = ALICE
    shared_provider.fault = None
    shared_provider.redirect_uris = [REDIRECT_URI]
    shared_provider.requests.clear()
    return shared_provider


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client(follow_redirects=False, timeout=5) as http:
        yield http


def authorize(
    client: httpx.Client, provider: OidcProvider, **overrides: str | None
) -> Authorization:
    verifier = secrets.token_urlsafe(48)
    params: dict[str, str | None] = {
        "response_type": "code",
        "client_id": provider.client_id,
        "redirect_uri": REDIRECT_URI,
        "scope": "openid email profile",
        "state": secrets.token_urlsafe(12),
        "nonce": secrets.token_urlsafe(12),
        "code_challenge": s256(verifier),
        "code_challenge_method": "S256",
        **overrides,
    }
    sent = {k: v for k, v in params.items() if v is not None}
    response = client.get(f"{provider.issuer}/authorize", params=sent)
    return Authorization(response, verifier, sent.get("state", ""), sent.get("nonce", ""))


def exchange(
    client: httpx.Client,
    provider: OidcProvider,
    authz: Authorization,
    *,
    auth: str = "basic",
    secret: str | None = None,
    **overrides: str,
) -> httpx.Response:
    form = {
        "grant_type": "authorization_code",
        "code": authz.code,
        "redirect_uri": REDIRECT_URI,
        "code_verifier": authz.verifier,
        **overrides,
    }
    secret = provider.client_secret if secret is None else secret
    if auth == "basic":
        return client.post(f"{provider.issuer}/token", data=form, auth=(provider.client_id, secret))
    form |= {"client_id": provider.client_id, "client_secret": secret}
    return client.post(f"{provider.issuer}/token", data=form)


def sign_in(client: httpx.Client, provider: OidcProvider) -> tuple[Authorization, httpx.Response]:
    authz = authorize(client, provider)
    assert authz.response.status_code == 302
    return authz, exchange(client, provider, authz)


def verify_id_token(
    client: httpx.Client, provider: OidcProvider, id_token: str, nonce: str
) -> dict[str, Any]:
    """Validate as a relying party would: keys from the discovered jwks_uri, then the claims."""
    discovery = client.get(f"{provider.issuer}/.well-known/openid-configuration").json()
    keys = KeySet.import_key_set(client.get(discovery["jwks_uri"]).json())
    token = jwt.decode(id_token, keys, algorithms=["RS256"])
    JWTClaimsRegistry(
        iss={"essential": True, "value": discovery["issuer"]},
        aud={"essential": True, "value": provider.client_id},
        exp={"essential": True},
        iat={"essential": True},
        sub={"essential": True},
        nonce={"essential": True, "value": nonce},
    ).validate(token.claims)
    return token.claims


def test_discovery_document(provider: OidcProvider, client: httpx.Client) -> None:
    doc = client.get(f"{provider.issuer}/.well-known/openid-configuration").json()
    assert provider.issuer.startswith("http://127.0.0.1:")
    assert not provider.issuer.endswith("/")
    assert doc["issuer"] == provider.issuer
    for name, path in [
        ("authorization_endpoint", "/authorize"),
        ("token_endpoint", "/token"),
        ("userinfo_endpoint", "/userinfo"),
        ("jwks_uri", "/jwks"),
    ]:
        assert doc[name] == provider.issuer + path
    assert doc["response_types_supported"] == ["code"]
    assert doc["subject_types_supported"] == ["public"]
    assert doc["id_token_signing_alg_values_supported"] == ["RS256"]
    assert doc["scopes_supported"] == ["openid", "email", "profile"]
    assert doc["token_endpoint_auth_methods_supported"] == [
        "client_secret_basic",
        "client_secret_post",
    ]
    assert doc["code_challenge_methods_supported"] == ["S256"]
    [key] = client.get(doc["jwks_uri"]).json()["keys"]
    assert key["kty"] == "RSA" and key["kid"] and "d" not in key


@pytest.mark.parametrize("auth", ["basic", "post"])
def test_full_code_flow(provider: OidcProvider, client: httpx.Client, auth: str) -> None:
    authz = authorize(client, provider)
    assert authz.response.status_code == 302
    location = urlsplit(authz.response.headers["location"])
    assert (
        f"{location.scheme}://{location.netloc}{location.path}"
        == "http://127.0.0.1:9/auth/callback"
    )
    params = authz.redirect_params
    assert params["next"] == ["/docs"]
    assert params["state"] == [authz.state]

    response = exchange(client, provider, authz, auth=auth)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 300
    assert body["scope"] == "openid email profile"
    assert response.headers["cache-control"] == "no-store"

    claims = verify_id_token(client, provider, body["id_token"], authz.nonce)
    assert claims["sub"] == ALICE.sub
    assert claims["email"] == ALICE.email
    assert claims["email_verified"] is True
    assert claims["name"] == ALICE.name
    assert claims["exp"] - claims["iat"] == 300
    assert jwt.decode(body["id_token"], KeySet.import_key_set(provider.jwks)).header["kid"]

    userinfo = client.get(
        f"{provider.issuer}/userinfo",
        headers={"Authorization": f"Bearer {body['access_token']}"},
    )
    assert userinfo.status_code == 200
    assert userinfo.json() == {
        "sub": ALICE.sub,
        "email": ALICE.email,
        "email_verified": True,
        "name": ALICE.name,
    }
    assert provider.requests == [
        "GET /authorize",
        "POST /token",
        "GET /.well-known/openid-configuration",
        "GET /jwks",
        "GET /userinfo",
    ]


def test_user_snapshot_taken_at_authorize(provider: OidcProvider, client: httpx.Client) -> None:
    authz = authorize(client, provider)
    provider.user = OidcUser(sub="bob-456", email="bob@example.test", email_verified=False)
    body = exchange(client, provider, authz).json()
    assert verify_id_token(client, provider, body["id_token"], authz.nonce)["sub"] == ALICE.sub
    # The next sign-in is Bob's: the attribute is read per request.
    authz, response = sign_in(client, provider)
    claims = verify_id_token(client, provider, response.json()["id_token"], authz.nonce)
    assert (claims["sub"], claims["email_verified"], claims["name"]) == (
        "bob-456",
        False,
        "Test User",
    )


def test_pkce_mismatch_refused(provider: OidcProvider, client: httpx.Client) -> None:
    authz = authorize(client, provider)
    response = exchange(client, provider, authz, code_verifier=secrets.token_urlsafe(48))
    assert response.status_code == 400
    assert response.json() == {"error": "invalid_grant"}


def test_missing_code_verifier_refused(provider: OidcProvider, client: httpx.Client) -> None:
    authz = authorize(client, provider)
    form = {"grant_type": "authorization_code", "code": authz.code, "redirect_uri": REDIRECT_URI}
    response = client.post(
        f"{provider.issuer}/token", data=form, auth=(provider.client_id, provider.client_secret)
    )
    assert response.status_code == 400
    assert response.json() == {"error": "invalid_grant"}


def test_token_redirect_uri_must_match(provider: OidcProvider, client: httpx.Client) -> None:
    authz = authorize(client, provider)
    response = exchange(client, provider, authz, redirect_uri="http://127.0.0.1:9/auth/callback")
    assert response.status_code == 400
    assert response.json() == {"error": "invalid_grant"}


@pytest.mark.parametrize("auth", ["basic", "post"])
def test_wrong_client_secret_refused(
    provider: OidcProvider, client: httpx.Client, auth: str
) -> None:
    authz = authorize(client, provider)
    response = exchange(client, provider, authz, auth=auth, secret="not-the-secret")
    assert response.status_code == 401
    assert response.json() == {"error": "invalid_client"}
    # A refused client does not spend the code.
    assert exchange(client, provider, authz, auth=auth).status_code == 200


def test_missing_client_authentication_refused(
    provider: OidcProvider, client: httpx.Client
) -> None:
    authz = authorize(client, provider)
    form = {
        "grant_type": "authorization_code",
        "code": authz.code,
        "redirect_uri": REDIRECT_URI,
        "code_verifier": authz.verifier,
    }
    response = client.post(f"{provider.issuer}/token", data=form)
    assert response.status_code == 401
    assert response.json() == {"error": "invalid_client"}


@pytest.mark.parametrize("encode", [False, True], ids=["raw", "form-urlencoded"])
def test_client_secret_basic_with_reserved_characters(client: httpx.Client, encode: bool) -> None:
    # RFC 6749 §2.3.1 wants the halves form-urlencoded; authlib and httpx send them raw.
    secret = "p@ss:w/rd%41"
    with running_provider(redirect_uris=[REDIRECT_URI], user=ALICE, client_secret=secret) as p:
        assert p.requests == []  # the readiness polls are not logged
        authz = authorize(client, p)
        sent = quote(secret, safe="") if encode else secret
        credentials = base64.b64encode(f"{p.client_id}:{sent}".encode()).decode()
        response = client.post(
            f"{p.issuer}/token",
            data={
                "grant_type": "authorization_code",
                "code": authz.code,
                "redirect_uri": REDIRECT_URI,
                "code_verifier": authz.verifier,
            },
            headers={"Authorization": f"Basic {credentials}"},
        )
        assert response.status_code == 200, response.text
        issuer = p.issuer
    # Stopped on exit: nothing answers at the issuer any more.
    with pytest.raises(httpx.ConnectError):
        client.get(f"{issuer}/.well-known/openid-configuration")


def test_code_reuse_refused(provider: OidcProvider, client: httpx.Client) -> None:
    authz, first = sign_in(client, provider)
    assert first.status_code == 200
    second = exchange(client, provider, authz)
    assert second.status_code == 400
    assert second.json() == {"error": "invalid_grant"}


def test_unknown_code_refused(provider: OidcProvider, client: httpx.Client) -> None:
    authz = authorize(client, provider)
    response = exchange(client, provider, authz, code="made-up")
    assert response.status_code == 400
    assert response.json() == {"error": "invalid_grant"}


def test_unregistered_redirect_uri_refused(provider: OidcProvider, client: httpx.Client) -> None:
    elsewhere = "http://127.0.0.1:9/elsewhere"
    authz = authorize(client, provider, redirect_uri=elsewhere)
    assert authz.response.status_code == 400
    assert "location" not in authz.response.headers
    assert authz.response.headers["content-type"].startswith("text/plain")
    assert "redirect_uri" in authz.response.text
    provider.redirect_uris.append(elsewhere)
    assert authorize(client, provider, redirect_uri=elsewhere).response.status_code == 302


@pytest.mark.parametrize(
    ("override", "reason"),
    [
        ({"client_id": "someone-else"}, "client_id"),
        ({"response_type": "token"}, "response_type"),
        ({"response_type": None}, "response_type"),
        ({"scope": "email profile"}, "openid"),
        ({"state": None}, "state"),
        ({"state": ""}, "state"),
        ({"nonce": None}, "nonce"),
        ({"code_challenge": None}, "code_challenge"),
        ({"code_challenge_method": "plain"}, "code_challenge_method"),
        ({"code_challenge_method": None}, "code_challenge_method"),
    ],
)
def test_authorize_refuses_bad_requests(
    provider: OidcProvider, client: httpx.Client, override: dict[str, str | None], reason: str
) -> None:
    response = authorize(client, provider, **override).response
    assert response.status_code == 400
    assert "location" not in response.headers
    assert reason in response.text


def test_no_signed_in_user_is_access_denied(provider: OidcProvider, client: httpx.Client) -> None:
    provider.user = None
    authz = authorize(client, provider)
    assert authz.response.status_code == 302
    assert authz.redirect_params == {
        "next": ["/docs"],
        "error": ["access_denied"],
        "state": [authz.state],
    }


def test_userinfo_refuses_unknown_token(provider: OidcProvider, client: httpx.Client) -> None:
    for headers in [{"Authorization": "Bearer made-up"}, {}]:
        response = client.get(f"{provider.issuer}/userinfo", headers=headers)
        assert response.status_code == 401
        assert response.json() == {"error": "invalid_token"}


@pytest.mark.parametrize(
    ("fault", "error", "claim"),
    [
        ("wrong_audience", errors.InvalidClaimError, "aud"),
        ("wrong_issuer", errors.InvalidClaimError, "iss"),
        ("wrong_nonce", errors.InvalidClaimError, "nonce"),
        ("expired", errors.ExpiredTokenError, "exp"),
    ],
)
def test_claim_faults(
    provider: OidcProvider,
    client: httpx.Client,
    fault: str,
    error: type[errors.JoseError],
    claim: str,
) -> None:
    provider.fault = fault
    authz, response = sign_in(client, provider)
    assert response.status_code == 200
    id_token = response.json()["id_token"]
    with pytest.raises(error) as raised:
        verify_id_token(client, provider, id_token, authz.nonce)
    if isinstance(raised.value, errors.InvalidClaimError):
        assert raised.value.claim == claim
    # Only that claim is off: the signature checks out against the published keys.
    claims = jwt.decode(id_token, KeySet.import_key_set(provider.jwks)).claims
    assert claims["sub"] == ALICE.sub and claims["email"] == ALICE.email
    if fault == "expired":
        assert claims["iat"] < claims["exp"] < claims["iat"] + 600


def test_bad_signature_fault(provider: OidcProvider, client: httpx.Client) -> None:
    provider.fault = "bad_signature"
    authz, response = sign_in(client, provider)
    id_token = response.json()["id_token"]
    published_kid = provider.jwks["keys"][0]["kid"]
    # Same kid as the published key, so a client picks that key and the signature fails on it.
    assert extract_compact(id_token.encode()).headers()["kid"] == published_kid
    with pytest.raises(errors.BadSignatureError):
        verify_id_token(client, provider, id_token, authz.nonce)
    provider.fault = None
    authz, response = sign_in(client, provider)
    verify_id_token(client, provider, response.json()["id_token"], authz.nonce)


def test_no_email_fault(provider: OidcProvider, client: httpx.Client) -> None:
    provider.fault = "no_email"
    authz, response = sign_in(client, provider)
    body = response.json()
    claims = verify_id_token(client, provider, body["id_token"], authz.nonce)
    assert "email" not in claims and "email_verified" not in claims
    assert claims["sub"] == ALICE.sub and claims["name"] == ALICE.name
    userinfo = client.get(
        f"{provider.issuer}/userinfo",
        headers={"Authorization": f"Bearer {body['access_token']}"},
    ).json()
    assert userinfo == {"sub": ALICE.sub, "name": ALICE.name}


def test_token_error_fault(provider: OidcProvider, client: httpx.Client) -> None:
    provider.fault = "token_error"
    authz, response = sign_in(client, provider)
    assert response.status_code == 400
    assert response.json() == {"error": "invalid_grant"}
    # The refusal left the code unspent, so clearing the fault lets the same code through.
    provider.fault = None
    assert exchange(client, provider, authz).status_code == 200


def test_unknown_fault_is_rejected(provider: OidcProvider) -> None:
    with pytest.raises(ValueError, match="unknown fault"):
        provider.fault = "expried"
    assert provider.fault is None
