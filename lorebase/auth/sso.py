"""Single sign-on with OpenID Connect: the authorization-code flow with PKCE and a nonce
(authlib's httpx client), ID tokens checked with joserfc against the provider's keys, and
the account matched, or created, by a verified email.
"""

from __future__ import annotations

import secrets
import time
import warnings
from dataclasses import dataclass, field
from typing import Any

import authlib.deprecate  # noqa: F401  (see the import of AsyncOAuth2Client below)
import httpx
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from sqlalchemy import select
from sqlalchemy.orm import Session

from lorebase.auth.accounts import find_account
from lorebase.auth.roles import Role
from lorebase.db.models import User
from lorebase.kb import workspaces
from lorebase.settings import Settings

with warnings.catch_warnings():
    # Authlib 1.9 prefers the httpx2 fork and warns when it falls back to httpx, which the
    # rest of Lorebase uses; the fallback is the same client API. (authlib.deprecate, imported
    # first, installs an "always" filter of its own that would come before this one.)
    warnings.filterwarnings("ignore", message="The httpx module is deprecated")
    from authlib.integrations.httpx_client import AsyncOAuth2Client

# The provider's discovery document and keys are read again after this long (key rotation).
METADATA_LIFETIME = 3600.0
TIMEOUT = httpx.Timeout(10.0)
# The lengths the users table keeps (RFC 5321's limit for an address).
MAX_EMAIL = 320
MAX_NAME_PART = 100
ALGORITHMS = ["RS256", "RS384", "RS512", "ES256", "ES384", "PS256", "EdDSA"]


class SsoRefused(Exception):
    """Sign-in through the provider did not succeed; the message is for the person."""


@dataclass(frozen=True)
class SsoAttempt:
    """What the browser carries (signed) between leaving for the provider and coming back."""

    state: str
    nonce: str
    code_verifier: str


@dataclass(frozen=True)
class SsoIdentity:
    issuer: str
    subject: str
    email: str
    name: str

    @property
    def key(self) -> str:
        return f"{self.issuer}|{self.subject}"


@dataclass
class _ProviderCache:
    metadata: dict[str, Any] = field(default_factory=dict)
    keys: KeySet | None = None
    fetched_at: float = 0.0


_cache: dict[str, _ProviderCache] = {}


async def _provider(settings: Settings, *, refresh: bool = False) -> _ProviderCache:
    cached = _cache.get(settings.oidc_issuer)
    if cached and not refresh and time.monotonic() - cached.fetched_at < METADATA_LIFETIME:
        return cached
    url = settings.oidc_issuer + "/.well-known/openid-configuration"
    try:
        async with httpx.AsyncClient(timeout=TIMEOUT) as client:
            metadata = (await client.get(url)).raise_for_status().json()
            keys = KeySet.import_key_set(
                (await client.get(metadata["jwks_uri"])).raise_for_status().json()
            )
    except (httpx.HTTPError, ValueError, KeyError, JoseError) as error:
        raise SsoRefused(
            f"The sign-in provider could not be reached ({type(error).__name__}); try again "
            "later or sign in with your password."
        ) from error
    if str(metadata.get("issuer", "")).rstrip("/") != settings.oidc_issuer:
        raise SsoRefused("The sign-in provider's configuration names another issuer.")
    fresh = _ProviderCache(metadata, keys, time.monotonic())
    _cache[settings.oidc_issuer] = fresh
    return fresh


def _client(settings: Settings, redirect_uri: str) -> AsyncOAuth2Client:
    return AsyncOAuth2Client(
        client_id=settings.oidc_client_id,
        client_secret=settings.oidc_client_secret or None,
        scope=settings.oidc_scopes,
        redirect_uri=redirect_uri,
        code_challenge_method="S256",
        timeout=TIMEOUT,
    )


async def begin(settings: Settings, redirect_uri: str) -> tuple[str, SsoAttempt]:
    """The provider's authorization URL to send the browser to, and what to remember."""
    provider = await _provider(settings)
    attempt = SsoAttempt(
        state=secrets.token_urlsafe(24),
        nonce=secrets.token_urlsafe(24),
        code_verifier=secrets.token_urlsafe(48),
    )
    async with _client(settings, redirect_uri) as client:
        url, _state = client.create_authorization_url(
            provider.metadata["authorization_endpoint"],
            state=attempt.state,
            nonce=attempt.nonce,
            code_verifier=attempt.code_verifier,
        )
    return url, attempt


async def complete(
    settings: Settings, redirect_uri: str, params: dict[str, str], attempt: SsoAttempt
) -> SsoIdentity:
    """Check the provider's answer and return who signed in, or raise SsoRefused."""
    if not secrets.compare_digest(params.get("state", ""), attempt.state):
        raise SsoRefused("This sign-in did not start here or has expired; please try again.")
    if "error" in params:
        raise SsoRefused(f"The sign-in provider refused: {params['error'][:100]}.")
    code = params.get("code", "")
    if not code:
        raise SsoRefused("The sign-in provider sent no authorization code; please try again.")
    provider = await _provider(settings)
    try:
        async with _client(settings, redirect_uri) as client:
            token = await client.fetch_token(
                provider.metadata["token_endpoint"],
                code=code,
                code_verifier=attempt.code_verifier,
            )
            claims = await _id_token_claims(settings, provider, token, attempt.nonce)
            if not claims.get("email"):
                claims = {**claims, **await _userinfo(client, provider, claims["sub"])}
    except SsoRefused:
        raise
    except Exception as error:
        raise SsoRefused(
            f"The sign-in provider's answer could not be used ({type(error).__name__})."
        ) from error
    if not claims.get("email"):
        raise SsoRefused("The sign-in provider did not share an email address.")
    if claims.get("email_verified") is not True:
        raise SsoRefused("The sign-in provider has not verified this email address.")
    if len(str(claims["email"])) > MAX_EMAIL:
        raise SsoRefused("The sign-in provider's email address is too long to be an account's.")
    name = str(claims.get("name") or "").strip()
    return SsoIdentity(settings.oidc_issuer, str(claims["sub"]), str(claims["email"]), name)


async def _id_token_claims(
    settings: Settings, provider: _ProviderCache, token: dict[str, Any], nonce: str
) -> dict[str, Any]:
    raw = token.get("id_token")
    if not raw:
        raise SsoRefused("The sign-in provider sent no ID token.")
    try:
        assert provider.keys is not None
        try:
            decoded = jwt.decode(raw, provider.keys, algorithms=ALGORITHMS)
        except JoseError:
            # A key the cached set lacks may be a rotated one: read the keys once more.
            provider = await _provider(settings, refresh=True)
            assert provider.keys is not None
            decoded = jwt.decode(raw, provider.keys, algorithms=ALGORITHMS)
        jwt.JWTClaimsRegistry(
            # The issuer exactly as discovery gave it (checked against the setting there): a
            # trailing slash, as Auth0's issuers have, is part of the `iss` claim.
            iss={"essential": True, "value": provider.metadata["issuer"]},
            aud={"essential": True, "value": settings.oidc_client_id},
            sub={"essential": True},
            exp={"essential": True},
            nonce={"essential": True, "value": nonce},
        ).validate(decoded.claims)
    except JoseError as error:
        reason = error.error or type(error).__name__
        raise SsoRefused(f"The sign-in provider's ID token was not valid ({reason}).") from error
    return dict(decoded.claims)


async def _userinfo(
    client: AsyncOAuth2Client, provider: _ProviderCache, subject: str
) -> dict[str, Any]:
    endpoint = provider.metadata.get("userinfo_endpoint")
    if not endpoint:
        return {}
    info: dict[str, Any] = (await client.get(endpoint)).raise_for_status().json()
    # OIDC Core §5.3.2: a userinfo answer for another subject must not be used.
    if str(info.get("sub")) != subject:
        raise SsoRefused("The sign-in provider's user information names someone else.")
    return info


def account_for(
    session: Session, project_id: str, identity: SsoIdentity, settings: Settings
) -> User:
    """The account this identity signs in as: the one it was matched to before, else the one
    with its verified email (remembering the match), else a new one when allowed."""
    user = session.scalars(select(User).where(User.sso_subject == identity.key)).first()
    if user is not None and user.project_id != project_id:
        user = None
    if user is None:
        user = find_account(session, project_id, identity.email)
        if user is not None and user.sso_subject not in (None, identity.key):
            raise SsoRefused(
                "This email's account is linked to another single sign-on identity; ask an "
                "administrator."
            )
    if user is None:
        if not settings.oidc_create_accounts:
            raise SsoRefused(
                f"No team account uses {identity.email}; ask an administrator to add you."
            )
        first, _, last = identity.name.partition(" ")
        user = workspaces.create_user(
            session,
            project_id,
            email=identity.email,
            first_name=(first or identity.email.split("@")[0])[:MAX_NAME_PART],
            last_name=last[:MAX_NAME_PART],
            role=int(Role.from_name(settings.oidc_default_role)),
        )
    if user.disabled_at is not None:
        raise SsoRefused("This account is disabled; ask an administrator.")
    user.sso_subject = identity.key
    session.flush()
    return user
