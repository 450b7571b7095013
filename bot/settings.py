"""Process settings from the environment (and a `.env` file): built once by the CLI and passed down."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


def demo_practices_file() -> Path:
    return Path(str(resources.files("od_adapter.sandbox") / "data" / "demo_practices.toml"))


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    practices_file: Path = Field(
        default_factory=demo_practices_file, validation_alias=AliasChoices("PRACTICES_FILE", "practices_file")
    )
    """The practices file (TOML); the demo practice's file by default."""
    redis_url: str | None = Field(default=None, validation_alias=AliasChoices("REDIS_URL", "redis_url"))
    """Redis for the shared Open Dental limiter (and, later, queues and state); memory when unset."""
    log_level: str = Field(default="INFO", validation_alias=AliasChoices("LOG_LEVEL", "log_level"))
