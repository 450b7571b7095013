"""Process settings from the environment (and a `.env` file): built once by the CLI and passed down."""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, PrivateAttr, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.errors import ConfigError
from bot.records.crypto import DEMO_CHOICE_ID_SECRET, DEMO_CONVERSATION_KEY, DEMO_ENCRYPTION_KEY
from od_adapter import ConfigError as OdConfigError
from od_adapter import OpenDentalConnection
from od_adapter.sandbox import DEVELOPER_KEY

DEMO_APP_SECRET = "sandbox-secret"
DEMO_VERIFY_TOKEN = "sandbox-verify"
DEMO_WHATSAPP_TOKEN = "sandbox-token"
DEMO_CONSOLE_SECRET = "demo-console-secret"
DEMO_OD_EVENTS_SECRET = "demo-od-events-secret"
DEMO_OD_KEYS = {"DEMO_OD_DEVELOPER_KEY": DEVELOPER_KEY, "DEMO_OD_CUSTOMER_KEY": "sandbox-customer"}
"""The demo practice's Open Dental keys (the sandbox's), used where the environment sets none."""


def demo_practices_file() -> Path:
    return Path(str(resources.files("od_adapter.sandbox") / "data" / "demo_practices.toml"))


def env(name: str) -> AliasChoices:
    return AliasChoices(name, name.lower())


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    practices_file: Path = Field(default_factory=demo_practices_file, validation_alias=env("PRACTICES_FILE"))
    redis_url: str | None = Field(default=None, validation_alias=env("REDIS_URL"))
    redis_max_connections: int = Field(default=200, ge=4, validation_alias=env("REDIS_MAX_CONNECTIONS"))
    """Connections per process (redis-py's default is 100, which 40 busy conversations per practice exhausted)."""
    turn_max_attempts: int = Field(default=3, ge=1, le=20, validation_alias=env("TURN_MAX_ATTEMPTS"))
    """Times a turn may raise before its messages go to the conversation's dead letters."""
    redis_durability: Literal["enforce", "assume-durable", "off"] = Field(
        default="enforce", validation_alias=env("REDIS_DURABILITY")
    )
    """`enforce`: refuse a Redis without AOF; `assume-durable`: accept one that cannot tell; `off`: never check."""
    log_level: str = Field(default="INFO", validation_alias=env("LOG_LEVEL"))
    log_format: str = Field(default="auto", pattern="^(auto|json|text)$", validation_alias=env("LOG_FORMAT"))
    whatsapp_app_secret: SecretStr | None = Field(default=None, validation_alias=env("WHATSAPP_APP_SECRET"))
    whatsapp_verify_token: SecretStr | None = Field(
        default=None, validation_alias=env("WHATSAPP_VERIFY_TOKEN")
    )
    whatsapp_token: SecretStr | None = Field(default=None, validation_alias=env("WHATSAPP_TOKEN"))
    graph_api_version: str = Field(default="v25.0", validation_alias=env("GRAPH_API_VERSION"))
    graph_api_base_url: str = Field(
        default="https://graph.facebook.com", validation_alias=env("GRAPH_API_BASE_URL")
    )
    data_encryption_keys: SecretStr | None = Field(default=None, validation_alias=env("DATA_ENCRYPTION_KEYS"))
    """Comma-separated Fernet keys; the first encrypts, all decrypt (rotation)."""
    conversation_key: SecretStr | None = Field(default=None, validation_alias=env("CONVERSATION_KEY"))
    """HMAC key for conversation ids (and the family cache's keys); changing it starts every conversation afresh."""
    choice_id_secret: SecretStr | None = Field(default=None, validation_alias=env("CHOICE_ID_SECRET"))
    """Signs the ids of the choices offered to patients (option ids), so nobody can make one up."""
    choice_id_secret_previous: SecretStr | None = Field(
        default=None, validation_alias=env("CHOICE_ID_SECRET_PREVIOUS")
    )
    """Comma-separated keys that signed ids before the current one: still accepted while a rotation runs."""
    debounce_seconds: float = Field(default=1.5, ge=0, validation_alias=env("INBOUND_DEBOUNCE_SECONDS"))
    claim_idle_seconds: float = Field(default=30.0, gt=0, validation_alias=env("CLAIM_IDLE_SECONDS"))
    lock_ttl_seconds: float = Field(default=30.0, gt=0, validation_alias=env("CONVERSATION_LOCK_SECONDS"))
    book_fresh_seconds: float = Field(default=30.0, ge=0, validation_alias=env("BOOK_FRESH_SECONDS"))
    book_sync_seconds: float = Field(default=5.0, gt=0, validation_alias=env("BOOK_SYNC_SECONDS"))
    book_stale_limit_seconds: float = Field(
        default=900.0, ge=0, validation_alias=env("BOOK_STALE_LIMIT_SECONDS")
    )
    book_loader: bool = Field(default=True, validation_alias=env("BOOK_LOADER"))
    patient_cache_hours: float = Field(default=24.0, ge=0, validation_alias=env("PATIENT_CACHE_HOURS"))
    patient_sync_seconds: float = Field(default=60.0, gt=0, validation_alias=env("PATIENT_SYNC_SECONDS"))
    """How often the loader reads the charts changed in Open Dental (the directory reminders read)."""
    reminders: bool = Field(default=True, validation_alias=env("REMINDERS"))
    """Run the reminder schedulers of the practices that enable reminders, in each worker process."""
    reminder_tick_seconds: float = Field(default=5.0, gt=0, validation_alias=env("REMINDER_TICK_SECONDS"))
    reminder_sweep_seconds: float = Field(default=30.0, gt=0, validation_alias=env("REMINDER_SWEEP_SECONDS"))
    typing_after_seconds: float = Field(default=1.0, ge=0, validation_alias=env("TYPING_AFTER_SECONDS"))
    """A turn that has not replied after this long shows the patient "typing…" (it is marked read at once)."""
    typing_every_seconds: float = Field(
        default=20.0, gt=0, lt=25, validation_alias=env("TYPING_EVERY_SECONDS")
    )
    """Re-send of the indicator on a long turn: under the 25 s after which WhatsApp hides it."""
    openai_api_key: SecretStr | None = Field(default=None, validation_alias=env("OPENAI_API_KEY"))
    """With a key, an OpenAI-compatible model reads patients' messages; without, the offline rules do."""
    openai_base_url: str | None = Field(default=None, validation_alias=env("OPENAI_BASE_URL"))
    openai_model: str = Field(default="gpt-4o-mini", validation_alias=env("OPENAI_MODEL"))
    llm_timeout_seconds: float = Field(default=4.0, gt=0, validation_alias=env("LLM_TIMEOUT_SECONDS"))
    transcript_retention_days: float = Field(
        default=30, gt=0, le=3650, validation_alias=env("TRANSCRIPT_RETENTION_DAYS")
    )
    console_secret: SecretStr | None = Field(default=None, validation_alias=env("CONSOLE_SECRET"))
    """Signs and encrypts the operator console's session cookies (any long random string)."""
    console_secure_cookies: bool = Field(default=True, validation_alias=env("CONSOLE_SECURE_COOKIES"))
    """Mark session cookies Secure (HTTPS only); the demo on plain HTTP turns it off."""
    console_session_hours: float = Field(
        default=8, gt=0, le=72, validation_alias=env("CONSOLE_SESSION_HOURS")
    )
    console_hsts_seconds: int = Field(default=31536000, ge=0, validation_alias=env("CONSOLE_HSTS_SECONDS"))
    """The console's Strict-Transport-Security max-age; 0 sends no header."""
    console_client_ip_header: str | None = Field(
        default=None, validation_alias=env("CONSOLE_CLIENT_IP_HEADER")
    )
    """The header a trusted proxy puts the client's address in (e.g. X-Forwarded-For; its last entry counts).
    Unset: the socket's peer address. Set it only when every request comes through that proxy."""
    console_device_days: float = Field(default=90, gt=0, le=400, validation_alias=env("CONSOLE_DEVICE_DAYS"))
    """How long the device cookie of a browser that signed in lasts."""
    password_hash_queue: int = Field(default=8, ge=1, le=1000, validation_alias=env("PASSWORD_HASH_QUEUE"))
    """Password checks waiting for the hashing thread; a sign-in beyond them is answered 429."""
    metrics_address: str = Field(
        default="127.0.0.1:9464", pattern=r"^(off|\S*:\d{1,5})?$", validation_alias=env("METRICS_ADDRESS")
    )
    """host:port of the separate /metrics listener (port 0: any free port); `off` or empty serves none."""
    metrics_token: SecretStr | None = Field(default=None, validation_alias=env("METRICS_TOKEN"))
    """When set, /metrics needs `Authorization: Bearer <token>`."""

    od_events_secret: SecretStr | None = Field(default=None, validation_alias=env("OD_EVENTS_SECRET"))
    """Derives each practice's secret path token for Open Dental's API Events (`/od/events/<token>`); unset,
    the endpoint answers 404 to everything."""
    od_events_base_url: str | None = Field(default=None, validation_alias=env("OD_EVENTS_BASE_URL"))
    """This deployment's public base URL, as Open Dental reaches it: `od-subscribe` subscribes `<it>/od/events/...`."""
    od_events_dedupe_seconds: float = Field(
        default=86400.0, gt=0, validation_alias=env("OD_EVENTS_DEDUPE_SECONDS")
    )
    """An API Event identical to one received this recently (its table and body) is a duplicate: a no-op."""

    _key_defaults: dict[str, str] = PrivateAttr(default_factory=dict)

    def open_dental_keys(self, connection: OpenDentalConnection) -> tuple[SecretStr, SecretStr]:
        """A practice's keys from the environment variables it names (the demo's sandbox keys where unset)."""
        set_here = {name: value for name, value in os.environ.items() if value.strip()}
        try:
            return connection.keys({**self._key_defaults, **set_here})
        except OdConfigError as exc:
            raise ConfigError(str(exc)) from exc

    @property
    def encryption_keys(self) -> list[str]:
        raw = self.data_encryption_keys.get_secret_value() if self.data_encryption_keys else ""
        return [key.strip() for key in raw.split(",") if key.strip()]

    @property
    def choice_keys(self) -> list[bytes]:
        """The keys of choice ids: the current one first (it signs), then the previous ones (still accepted)."""
        current = self.choice_id_secret.get_secret_value().strip() if self.choice_id_secret else ""
        previous = self.choice_id_secret_previous.get_secret_value() if self.choice_id_secret_previous else ""
        keys = [current, *(k.strip() for k in previous.split(","))]
        return [key.encode() for key in keys if key]

    def require_secrets(self) -> None:
        """Outside the demo the process refuses to start without its secrets, naming every missing one."""
        missing = [
            name
            for name, value in (
                ("WHATSAPP_APP_SECRET", self.whatsapp_app_secret),
                ("WHATSAPP_VERIFY_TOKEN", self.whatsapp_verify_token),
                ("WHATSAPP_TOKEN", self.whatsapp_token),
                ("DATA_ENCRYPTION_KEYS", self.data_encryption_keys),
                ("CONVERSATION_KEY", self.conversation_key),
                ("CHOICE_ID_SECRET", self.choice_id_secret),
                ("CONSOLE_SECRET", self.console_secret),
            )
            if value is None or not value.get_secret_value().strip()
        ]
        if missing:
            raise ConfigError("missing environment variables: " + ", ".join(missing))

    def with_demo_defaults(self, base_url: str) -> Settings:
        """The embedded demo: sandbox secrets where none are set, and the WhatsApp sandbox as the Graph API."""
        defaults = {
            "whatsapp_app_secret": SecretStr(DEMO_APP_SECRET),
            "whatsapp_verify_token": SecretStr(DEMO_VERIFY_TOKEN),
            "whatsapp_token": SecretStr(DEMO_WHATSAPP_TOKEN),
            "data_encryption_keys": SecretStr(DEMO_ENCRYPTION_KEY),
            "conversation_key": SecretStr(DEMO_CONVERSATION_KEY),
            "choice_id_secret": SecretStr(DEMO_CHOICE_ID_SECRET),
            "console_secret": SecretStr(DEMO_CONSOLE_SECRET),
            "od_events_secret": SecretStr(DEMO_OD_EVENTS_SECRET),
        }
        update: dict[str, object] = {
            name: value for name, value in defaults.items() if getattr(self, name) is None
        }
        if "console_secure_cookies" not in self.model_fields_set:
            update["console_secure_cookies"] = False  # the demo serves plain HTTP on the loopback
        update["graph_api_base_url"] = f"{base_url}/sandbox/graph"
        if self.od_events_base_url is None:
            update["od_events_base_url"] = base_url
        demo = self.model_copy(update=update)
        demo._key_defaults = dict(DEMO_OD_KEYS)
        return demo
