"""A loopback OpenID Connect provider (authorization code flow with PKCE) for tests, with
switchable faults, so that OIDC sign-in can run against real HTTP and no external service."""

from __future__ import annotations

import base64
import hashlib
import secrets
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

import httpx
import uvicorn
from joserfc import jwt
from joserfc.jwk import KeySet, KeySetSerialization, RSAKey
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

FAULTS = frozenset(
    {
        "bad_signature",
        "wrong_audience",
        "wrong_issuer",
        "wrong_nonce",
        "expired",
        "no_email",
        "token_error",
    }
)
CODE_TTL = 60
TOKEN_TTL = 300
SCOPES = ["openid", "email", "profile"]


@dataclass
class OidcUser:
    sub: str
    email: str
    email_verified: bool = True
    name: str = "Test User"


@dataclass
class _Grant:
    """What /authorize promised, redeemable once at /token."""

    client_id: str
    redirect_uri: str
    nonce: str
    code_challenge: str
    scope: str
    user: OidcUser
    expires_at: float


@dataclass
class _AccessToken:
    user: OidcUser
    expires_at: float


def s256(verifier: str) -> str:
    """The PKCE S256 challenge of a code verifier (RFC 7636 §4.2)."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _with_query(uri: str, params: dict[str, str]) -> str:
    parts = urlsplit(uri)
    query = parse_qsl(parts.query, keep_blank_values=True) + list(params.items())
    return urlunsplit(parts._replace(query=urlencode(query)))


def _oauth_error(error: str, status: int = 400, **headers: str) -> JSONResponse:
    # RFC 6749 §5.2: token errors must not be cached either.
    return JSONResponse(
        {"error": error}, status_code=status, headers={"Cache-Control": "no-store", **headers}
    )


@dataclass
class OidcProvider:
    issuer: str
    client_id: str
    client_secret: str
    redirect_uris: list[str]
    user: OidcUser | None = None
    fault: str | None = None
    requests: list[str] = field(default_factory=list)

    def __setattr__(self, name: str, value: Any) -> None:
        # A misspelt fault would otherwise pass silently as a healthy provider.
        if name == "fault" and value is not None and value not in FAULTS:
            raise ValueError(f"unknown fault {value!r}; expected one of {sorted(FAULTS)}")
        super().__setattr__(name, value)

    def __post_init__(self) -> None:
        self._kid = secrets.token_hex(8)
        self._key = self._new_key()
        self._impostor_key: RSAKey | None = None
        self._codes: dict[str, _Grant] = {}
        self._tokens: dict[str, _AccessToken] = {}
        # Handlers run on the server's thread while the test thread reads and resets state.
        self._lock = threading.Lock()

    def _new_key(self) -> RSAKey:
        return RSAKey.generate_key(
            2048, parameters={"kid": self._kid, "use": "sig", "alg": "RS256"}
        )

    @property
    def jwks(self) -> KeySetSerialization:
        return KeySet([self._key]).as_dict(private=False)

    def app(self) -> ASGIApp:
        routes = [
            Route("/.well-known/openid-configuration", self._discovery, methods=["GET"]),
            Route("/jwks", self._jwks, methods=["GET"]),
            Route("/authorize", self._authorize, methods=["GET"]),
            Route("/token", self._token, methods=["POST"]),
            Route("/userinfo", self._userinfo, methods=["GET", "POST"]),
        ]
        inner = Starlette(routes=routes)

        async def recording(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] == "http":
                self.requests.append(f"{scope['method']} {scope['path']}")
            await inner(scope, receive, send)

        return recording

    async def _discovery(self, request: Request) -> Response:
        return JSONResponse(
            {
                "issuer": self.issuer,
                "authorization_endpoint": f"{self.issuer}/authorize",
                "token_endpoint": f"{self.issuer}/token",
                "userinfo_endpoint": f"{self.issuer}/userinfo",
                "jwks_uri": f"{self.issuer}/jwks",
                "response_types_supported": ["code"],
                "grant_types_supported": ["authorization_code"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "scopes_supported": SCOPES,
                "token_endpoint_auth_methods_supported": [
                    "client_secret_basic",
                    "client_secret_post",
                ],
                "code_challenge_methods_supported": ["S256"],
            }
        )

    async def _jwks(self, request: Request) -> Response:
        return JSONResponse(self.jwks)

    async def _authorize(self, request: Request) -> Response:
        q = request.query_params
        redirect_uri = q.get("redirect_uri", "")
        # Until client and redirect_uri check out, errors go to the user, never to the URI
        # (RFC 6749 §4.1.2.1), or this would be an open redirector.
        problems = [
            (q.get("client_id") != self.client_id, "unknown client_id"),
            (redirect_uri not in self.redirect_uris, "redirect_uri is not registered"),
            (q.get("response_type") != "code", "response_type must be code"),
            ("openid" not in q.get("scope", "").split(), "scope must contain openid"),
            (not q.get("state"), "state is required"),
            (not q.get("nonce"), "nonce is required"),
            (not q.get("code_challenge"), "code_challenge is required (PKCE)"),
            (q.get("code_challenge_method") != "S256", "code_challenge_method must be S256"),
        ]
        for failed, reason in problems:
            if failed:
                return PlainTextResponse(reason, status_code=400)
        state = q["state"]
        user = self.user
        if user is None:
            location = _with_query(redirect_uri, {"error": "access_denied", "state": state})
            return RedirectResponse(location, status_code=302)
        code = secrets.token_urlsafe(24)
        with self._lock:
            self._codes[code] = _Grant(
                client_id=self.client_id,
                redirect_uri=redirect_uri,
                nonce=q["nonce"],
                code_challenge=q["code_challenge"],
                scope=q["scope"],
                user=replace(user),
                expires_at=time.time() + CODE_TTL,
            )
        return RedirectResponse(
            _with_query(redirect_uri, {"code": code, "state": state}), status_code=302
        )

    def _client_authenticated(self, request: Request, form: dict[str, str]) -> bool:
        scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "basic":
            return self._is_client(form.get("client_id", ""), form.get("client_secret", ""))
        try:
            decoded = base64.b64decode(credentials, validate=True).decode("utf-8")
        except ValueError:
            return False
        client_id, sep, secret = decoded.partition(":")
        # RFC 6749 §2.3.1 form-urlencodes both halves first, but authlib and httpx send them
        # raw; accept either, as lenient providers do.
        return bool(sep) and (
            self._is_client(client_id, secret)
            or self._is_client(unquote(client_id), unquote(secret))
        )

    def _is_client(self, client_id: str, secret: str) -> bool:
        same_id = secrets.compare_digest(client_id.encode(), self.client_id.encode())
        return same_id & secrets.compare_digest(secret.encode(), self.client_secret.encode())

    async def _token(self, request: Request) -> Response:
        form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
        # Ahead of every check, so the code stays unspent and the same flow can be retried.
        if self.fault == "token_error":
            return _oauth_error("invalid_grant")
        if not self._client_authenticated(request, form):
            return _oauth_error("invalid_client", 401, **{"WWW-Authenticate": 'Basic realm="oidc"'})
        if form.get("grant_type") != "authorization_code":
            return _oauth_error("unsupported_grant_type")
        with self._lock:
            # Popped before any check: a code is spent by its first redemption, even a failed one.
            grant = self._codes.pop(form.get("code", ""), None)
        if (
            grant is None
            or grant.expires_at < time.time()
            or grant.client_id != self.client_id
            or grant.redirect_uri != form.get("redirect_uri")
            or not secrets.compare_digest(s256(form.get("code_verifier", "")), grant.code_challenge)
        ):
            return _oauth_error("invalid_grant")
        access_token = secrets.token_urlsafe(24)
        with self._lock:
            self._tokens[access_token] = _AccessToken(grant.user, time.time() + TOKEN_TTL)
        return JSONResponse(
            {
                "access_token": access_token,
                "token_type": "Bearer",
                "expires_in": TOKEN_TTL,
                "id_token": self._id_token(grant),
                "scope": grant.scope,
            },
            headers={"Cache-Control": "no-store", "Pragma": "no-cache"},
        )

    def _id_token(self, grant: _Grant) -> str:
        fault = self.fault
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "sub": grant.user.sub,
            "aud": grant.client_id,
            "exp": now + TOKEN_TTL,
            "iat": now,
            "nonce": grant.nonce,
            **self._profile_claims(grant.user, fault),
        }
        if fault == "wrong_audience":
            claims["aud"] = "someone-else"
        elif fault == "wrong_issuer":
            claims["iss"] = "http://issuer.invalid"
        elif fault == "wrong_nonce":
            claims["nonce"] = secrets.token_urlsafe(16)
        elif fault == "expired":
            # Far enough in the past to beat any clock-skew leeway a client allows.
            claims["iat"], claims["exp"] = now - 2 * TOKEN_TTL, now - TOKEN_TTL
        key = self._key
        if fault == "bad_signature":
            # Same kid, other key: the client finds "our" key and the signature fails on it.
            if self._impostor_key is None:
                self._impostor_key = self._new_key()
            key = self._impostor_key
        return jwt.encode({"alg": "RS256", "typ": "JWT", "kid": self._kid}, claims, key)

    @staticmethod
    def _profile_claims(user: OidcUser, fault: str | None) -> dict[str, Any]:
        claims: dict[str, Any] = {"name": user.name}
        if fault != "no_email":
            claims |= {"email": user.email, "email_verified": user.email_verified}
        return claims

    async def _userinfo(self, request: Request) -> Response:
        scheme, _, value = request.headers.get("authorization", "").partition(" ")
        with self._lock:
            token = self._tokens.get(value) if scheme.lower() == "bearer" else None
        if token is None or token.expires_at < time.time():
            return _oauth_error(
                "invalid_token", 401, **{"WWW-Authenticate": 'Bearer error="invalid_token"'}
            )
        return JSONResponse({"sub": token.user.sub, **self._profile_claims(token.user, self.fault)})


@contextmanager
def running_provider(
    *,
    redirect_uris: list[str],
    user: OidcUser | None = None,
    client_id: str = "lorebase-test",
    client_secret: str = "s3cret-for-tests",
) -> Iterator[OidcProvider]:
    """Start the provider with uvicorn on 127.0.0.1 on a free port in a background thread;
    stop it on exit."""
    # Binding here, not in uvicorn, tells us the port (and so the issuer) before it starts.
    # The explicit IPPROTO_TCP matters: asyncio sets TCP_NODELAY only on sockets whose proto
    # says TCP, and without it every keep-alive request stalls 40 ms on delayed ACKs.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    provider = OidcProvider(
        issuer=f"http://127.0.0.1:{port}",
        client_id=client_id,
        client_secret=client_secret,
        redirect_uris=list(redirect_uris),
        user=user,
    )
    config = uvicorn.Config(
        provider.app(),
        log_level="warning",
        lifespan="off",
        access_log=False,
        timeout_graceful_shutdown=1,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="oidc-provider", daemon=True
    )
    thread.start()
    try:
        _wait_until_serving(provider.issuer, thread)
        # The readiness polls are not the test's traffic.
        provider.requests.clear()
        yield provider
    finally:
        server.should_exit = True
        thread.join(timeout=5)
        sock.close()


def _wait_until_serving(issuer: str, thread: threading.Thread, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    url = f"{issuer}/.well-known/openid-configuration"
    while True:
        if not thread.is_alive():
            raise RuntimeError("the OIDC provider's server thread died while starting")
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise TimeoutError(f"the OIDC provider did not answer at {url}")
        time.sleep(0.01)
