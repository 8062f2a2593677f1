"""Typed settings read from LOREBASE_* environment variables, validated at start."""

from __future__ import annotations

from pathlib import Path

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
    # Request bodies larger than this are refused with a 400 before they are parsed.
    max_body_bytes: int = Field(default=10 * 1024 * 1024, ge=1024)
    # JSON nested deeper than this is refused: nothing Document360 accepts comes close.
    max_json_depth: int = Field(default=32, ge=4, le=1000)
    # Base of the public article URLs the API reports (`url` fields); defaults to this server.
    public_base_url: str = ""

    @field_validator("database_url")
    @classmethod
    def _known_engine(cls, value: str) -> str:
        if value and not value.startswith(("sqlite", "postgresql")):
            raise ValueError(
                "LOREBASE_DATABASE_URL must be an sqlite:/// or postgresql+psycopg:// URL"
            )
        return value

    @model_validator(mode="after")
    def _default_public_url(self) -> Settings:
        if not self.public_base_url:
            self.public_base_url = f"http://{self.host}:{self.port}"
        return self

    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'lorebase.sqlite3').resolve()}"
