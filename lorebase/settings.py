"""Typed settings read from LOREBASE_* environment variables, validated at start."""

from __future__ import annotations

import os
import secrets
import tempfile
from pathlib import Path
from typing import Literal

import limits
from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LOREBASE_", extra="ignore")

    data_dir: Path = Path("./data")
    # Empty means "an SQLite file inside data_dir": the one-command laptop setup.
    database_url: str = ""
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    workers: int = Field(default=2, ge=0, le=64)
    # Server processes sharing the port (`serve --processes`); 0 means one per CPU core.
    processes: int = Field(default=0, ge=0, le=256)
    # "text" for a terminal; "json": one JSON object per log line, with request ids and an
    # access line per request (what a log shipper wants).
    log_format: Literal["text", "json"] = "text"
    # A job's lease: a worker that stops renewing it (killed, cut off) loses the job to
    # another worker after this many seconds.
    job_lease_seconds: int = Field(default=60, ge=1, le=3600)
    # Request bodies larger than this are refused with a 400 before they are parsed.
    max_body_bytes: int = Field(default=10 * 1024 * 1024, ge=1024)
    # JSON nested deeper than this is refused: nothing Document360 accepts comes close.
    max_json_depth: int = Field(default=32, ge=4, le=1000)
    # Seconds a client may take to send a request's head, and between two pieces of its body;
    # slower clients get a 408 and lose the connection (slowloris).
    client_timeout: float = Field(default=30.0, gt=0, le=3600)
    # Base of the public article URLs the API reports (`url` fields); defaults to this server.
    public_base_url: str = ""
    # Where exports, imports and media go: "" = a folder inside data_dir, file:///path, or
    # s3://bucket/prefix (endpoint from LOREBASE_S3_ENDPOINT_URL / AWS_ENDPOINT_URL).
    storage_url: str = ""
    # Signs download and media URLs. Empty: a random key kept in data_dir/secret.key, which is
    # right for one machine; several nodes must share one value.
    secret_key: str = ""
    # Exports a project may start per UTC day (Document360 allows 2); 0 means unlimited.
    export_daily_limit: int = Field(default=2, ge=0)
    # Export ZIPs older than this are deleted when the project's next export completes;
    # 0 keeps them forever.
    export_retention_days: int = Field(default=7, ge=0)
    # How long a signed export download URL stays valid (v3 documents 30 minutes).
    download_url_ttl: int = Field(default=1800, ge=10)
    # How long a signed media URL stays valid (the spec's SAS example spans about 20 minutes).
    media_url_ttl: int = Field(default=1200, ge=10)
    # Import limits: the ZIP's size (Document360's cap is 1 GB), the total of its
    # uncompressed entries, and the compression ratio of any one entry.
    import_max_bytes: int = Field(default=1 << 30, ge=1024)
    import_max_uncompressed_bytes: int = Field(default=1 << 30, ge=1024)
    import_max_ratio: int = Field(default=200, ge=2)
    # Seconds a source_documentation_url download may take in all.
    import_download_timeout: float = Field(default=300.0, gt=0)
    # Allow source_documentation_url to name private, loopback and link-local addresses
    # (off by default: server-side request forgery).
    import_allow_private_urls: bool = False
    # Requests per token, in the `limits` notation ("100/minute", "5000/hour"); "off" disables.
    rate_limit: str = "100/minute"
    # Redis shared by API processes (the rate-limit budget, sign-in throttling), e.g.
    # redis://127.0.0.1:6379/0.
    redis_url: str = ""
    # Browser sessions end after this many idle minutes, and this many days after sign-in.
    session_idle_minutes: int = Field(default=12 * 60, ge=1)
    session_max_days: int = Field(default=14, ge=1, le=365)
    # Failed sign-ins allowed per account, and per client address, before more are refused.
    signin_attempts_per_account: str = "5/15 minutes"
    signin_attempts_per_address: str = "30/15 minutes"
    # The reader site's path below the host ("" or e.g. "/help"): articles at
    # <base>/docs/<slug>, as a Document360 site hosted on a subfolder.
    site_base_path: str = ""
    # "Was this article helpful?" answers accepted per client address.
    feedback_per_client: str = "20/hour"
    # Single sign-on (OpenID Connect). Set the issuer (its /.well-known/openid-configuration is
    # read), the client id and secret; the redirect URI to register at the provider is
    # <public_base_url>/account/signin/sso/callback.
    oidc_issuer: str = ""
    oidc_client_id: str = ""
    oidc_client_secret: str = ""
    oidc_scopes: str = "openid email profile"
    # The sign-in button's words: "Sign in with <name>".
    oidc_name: str = "single sign-on"
    # Whether a verified email the project does not know gets an account, and with which role.
    oidc_create_accounts: bool = True
    oidc_default_role: str = "reader"

    @field_validator("database_url")
    @classmethod
    def _known_engine(cls, value: str) -> str:
        if value and not value.startswith(("sqlite", "postgresql")):
            raise ValueError(
                "LOREBASE_DATABASE_URL must be an sqlite:/// or postgresql+psycopg:// URL"
            )
        return value

    @field_validator("rate_limit")
    @classmethod
    def _known_rate(cls, value: str) -> str:
        if value.strip().lower() == "off":
            return "off"
        try:
            limits.parse(value)
        except ValueError as exc:
            raise ValueError(
                f"LOREBASE_RATE_LIMIT {value!r} is not a rate such as '100/minute' or 'off'"
            ) from exc
        return value

    @field_validator("site_base_path")
    @classmethod
    def _path_below_host(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        if value and (
            not value.startswith("/")
            or value.startswith("//")
            or any(c in value for c in "?#\\ \t\r\n%")
        ):
            raise ValueError(
                f"LOREBASE_SITE_BASE_PATH {value!r} must be a path such as '/help' (or empty)"
            )
        return value

    @field_validator(
        "signin_attempts_per_account", "signin_attempts_per_address", "feedback_per_client"
    )
    @classmethod
    def _known_attempts(cls, value: str) -> str:
        try:
            limits.parse(value)
        except ValueError as exc:
            raise ValueError(f"{value!r} is not a rate such as '5/15 minutes'") from exc
        return value

    @field_validator("oidc_default_role")
    @classmethod
    def _known_role(cls, value: str) -> str:
        from lorebase.auth.roles import Role

        return Role.from_name(value).slug

    @model_validator(mode="after")
    def _complete_sso(self) -> Settings:
        given = [bool(self.oidc_issuer), bool(self.oidc_client_id)]
        if any(given) and not all(given):
            raise ValueError(
                "Single sign-on needs both LOREBASE_OIDC_ISSUER and LOREBASE_OIDC_CLIENT_ID"
            )
        self.oidc_issuer = self.oidc_issuer.rstrip("/")
        return self

    @property
    def sso_enabled(self) -> bool:
        return bool(self.oidc_issuer and self.oidc_client_id)

    @model_validator(mode="after")
    def _default_public_url(self) -> Settings:
        if not self.public_base_url:
            self.public_base_url = f"http://{self.host}:{self.port}"
        return self

    def resolved_secret(self) -> bytes:
        """The signing key: the setting, else one generated once and kept in the data folder."""
        if self.secret_key:
            return self.secret_key.encode()
        path = self.data_dir / "secret.key"
        try:
            return path.read_bytes().strip()
        except FileNotFoundError:
            pass
        self.data_dir.mkdir(parents=True, exist_ok=True)
        key = secrets.token_hex(32).encode()
        # Written whole under a name of its own, then linked into place: of processes starting
        # at once the first link wins and every other reads that key, never an empty file
        # another process has created and not yet written.
        fd, staged = tempfile.mkstemp(dir=self.data_dir, prefix=".secret.")
        try:
            with os.fdopen(fd, "wb") as staged_file:
                staged_file.write(key)
                staged_file.flush()
                os.fsync(staged_file.fileno())
            os.link(staged, path)
        except FileExistsError:
            return path.read_bytes().strip()
        finally:
            os.unlink(staged)
        return key

    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'lorebase.sqlite3').resolve()}"
