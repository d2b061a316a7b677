"""All configuration, from environment variables prefixed ``HIPFLEX_``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HIPFLEX_", extra="ignore")

    database_url: str = Field(
        default="sqlite:///hipflex.db",
        description="SQLAlchemy URL. SQLite file (default) or postgresql+psycopg://user@host/db.",
    )
    host: str = Field(default="127.0.0.1", description="Address `hipflex serve` binds to.")
    port: int = Field(default=8000, ge=1, le=65535, description="Port `hipflex serve` listens on.")
    workers: int = Field(default=1, ge=1, le=64, description="uvicorn worker processes.")
    log_level: Literal["debug", "info", "warning", "error"] = Field(default="info", description="Log level.")
    access_log: bool = Field(default=True, description="Write one JSON access-log line per request.")
    otel: bool = Field(
        default=False,
        description="FastAPI's built-in OpenTelemetry spans, metrics and logs (for an OpenTelemetry SDK "
        "configured in the process; /metrics and the access log do not need it).",
    )
    cors_origins: Annotated[list[str], NoDecode] = Field(
        default=[], description="Comma-separated origins allowed by CORS; empty turns CORS off."
    )
    catalogue_path: Path | None = Field(
        default=None, description="An extra catalogue file (same schema) that extends or replaces the built-in one."
    )
    catalogue_mode: Literal["extend", "replace"] = Field(
        default="extend", description="Whether `catalogue_path` adds to the built-in catalogue or replaces it."
    )
    auto_migrate: bool = Field(
        default=True,
        description="Migrate a SQLite database to the latest schema at start (Postgres: run `hipflex migrate`).",
    )
    db_pool_size: int = Field(default=10, ge=1, le=200, description="Postgres connection pool size.")
    db_max_overflow: int = Field(default=10, ge=0, le=200, description="Extra Postgres connections beyond the pool.")
    db_connect_timeout_s: int = Field(
        default=2, ge=2, le=60, description="Postgres connect timeout (libpq `connect_timeout`; 2 s is its minimum)."
    )
    db_statement_timeout_ms: int = Field(
        default=2000, ge=100, le=600_000, description="Postgres cancels a statement running longer (statement_timeout)."
    )
    db_stall_timeout_ms: int = Field(
        default=2000,
        ge=200,
        le=600_000,
        description="Client side: a Postgres call with no answer for this long has its connection closed "
        "(a frozen server answers nothing, so server-side timeouts cannot fire); for the next second, new "
        "connections fail at once. Keep it above the slowest real statement or commit.",
    )
    db_pool_timeout_s: float = Field(
        default=2.0, ge=0.1, le=60, description="How long a request waits for a free connection from the pool."
    )
    db_tcp_keepalive_s: int = Field(
        default=10, ge=1, le=3600, description="Postgres TCP keepalive idle seconds; also sets TCP_USER_TIMEOUT (2x)."
    )
    db_write_timeout_ms: int = Field(
        default=2500,
        ge=100,
        le=600_000,
        description="A log write the writer has not started within this long is dropped and answered 503.",
    )
    db_write_queue: int = Field(
        default=1024, ge=1, le=100_000, description="Log writes that may wait for the writer; more are answered 503."
    )
    readyz_timeout_ms: int = Field(
        default=1500, ge=100, le=60_000, description="`/readyz` answers 503 if the database takes longer than this."
    )
    max_header_bytes: int = Field(
        default=16 * 1024, ge=1024, le=1024 * 1024, description="Largest request head (request line, headers): 431."
    )
    max_header_count: int = Field(default=100, ge=10, le=1000, description="Most headers a request may have: else 431.")
    client_timeout_s: float = Field(
        default=10.0,
        ge=0.5,
        le=600,
        description="A client that has not sent its whole request head, or the next part of its body, "
        "within this long is disconnected (slow-loris).",
    )
    send_timeout_s: float = Field(
        default=30.0,
        ge=0.5,
        le=3600,
        description="A client that reads none of its answer for this long (our send buffer full) is "
        "disconnected: an export nobody reads holds its memory no longer than this.",
    )
    export_streams: int = Field(
        default=16,
        ge=1,
        le=1000,
        description="Exports (`GET /users/{id}/export`) that may stream at once from one worker process; "
        "one more is answered 503 with Retry-After at once. Each holds a page of logs (~3 MiB at the "
        "body cap) until its client has read it, so this bounds their memory in total.",
    )
    sqlite_busy_timeout_ms: int = Field(
        default=5000, ge=0, le=600_000, description="How long a SQLite writer waits for the lock."
    )
    idempotency_ttl_hours: int = Field(
        default=48, ge=24, le=24 * 30, description="How long Idempotency-Key records are kept."
    )
    fast_path: bool = Field(
        default=True,
        description="Serve the routes marked `@fast` (the hot public reads, the person-aware reads, the outcome "
        "report, log writes) without FastAPI's routing (same validation, same bodies; anything else falls "
        "through to the routes).",
    )
    gzip_min_bytes: int = Field(
        default=1024, ge=0, le=1024 * 1024,
        description="gzip JSON/text bodies of at least this many bytes when the client accepts it; "
        "0 turns gzip off (e.g. behind a proxy that compresses).",
    )
    public_url: str | None = Field(
        default=None,
        pattern=r"^https?://[^/?#\s]+(/[^?#\s]*)?$",
        max_length=512,
        description="The service's public base URL (e.g. https://api.example.com/hipflex), used for absolute "
        "`next` links. Unset: the request's own scheme and Host. Forwarded headers are never read here "
        "(uvicorn's --proxy-headers decides the scheme).",
    )
    answer_cache_bytes: int = Field(
        default=32 * 1024 * 1024,
        ge=0,
        le=4 * 1024 * 1024 * 1024,
        description="Memory for `/users/{id}/records` and `/progress` answers kept until the user's data "
        "changes (per worker process; least recently used go first; 0 keeps none). `/workouts/next` keeps its "
        "answers here too, and half as much again for what they are computed from (a quarter each: the user's "
        "data read for the day, and answers by the seed's shape).",
    )
    metrics_token: str | None = Field(
        default=None,
        min_length=16,
        max_length=256,
        description="If set, GET /metrics answers only `Authorization: Bearer <this token>` (404 otherwise): "
        "metrics name routes and their traffic. Unset, /metrics is public, as before.",
    )
    rate_limits: bool = Field(default=True, description="Rate limits per tenant and per client address (see below).")
    rate_limit_storage_url: str = Field(
        default="memory://",
        max_length=1024,
        description="Where rate limits are counted: `memory://` (each process alone) or a Redis URL "
        "(`redis://127.0.0.1:6379/0`), shared by every worker and instance. An unreachable store lets "
        "requests through (logged).",
    )
    rate_limit_tenant: str = Field(
        default="500/second;15000/minute",
        max_length=200,
        description="A tenant's quota on routes that need a key, and on public computing routes called with "
        "its key (`limits` notation: amounts per second, minute, hour or day, `;` between them).",
    )
    rate_limit_client: str = Field(
        default="20/second;600/minute",
        max_length=200,
        description="A client address's quota on the public computing routes (`POST /workouts/adapt`, "
        "`/workouts` without a seed) when it sends no valid key, and for keyed routes with an invalid key.",
    )
    rate_limit_body_unit_bytes: int = Field(
        default=16 * 1024, ge=1024, le=16 * 1024 * 1024,
        description="A request costs 1 plus 1 per this many bytes of body: a 256 KiB body costs 17.",
    )
    erasure_vacuum: Literal["plain", "full"] = Field(
        default="plain",
        description="After a user is erased. SQLite, either mode: the rows overwritten (secure_delete) and the WAL "
        "truncated before the answer, then the file rewritten (VACUUM) in the background, which clears the stale "
        "copies page splits leave: no byte left. Postgres: `plain` VACUUMs the touched tables (a removed row's "
        "bytes can stay in a page's free space until it is reused); `full` rewrites them (VACUUM FULL): no byte "
        "left, at the price of locking each table meanwhile.",
    )
    erasure_vacuum_interval_s: float = Field(
        default=60.0, ge=0, le=86_400,
        description="At most one background VACUUM after erasures per this many seconds (erasures in between "
        "share it); never on the request.",
    )
    outcomes_min_cohort: int = Field(
        default=10,
        ge=5,
        le=1000,
        description="The smallest cohort GET /outcomes gives figures for (and the smallest denominator of any of "
        "its figures): below it one person is over a tenth of every share. Never below 5.",
    )
    max_body_bytes: int = Field(
        default=256 * 1024, ge=1024, le=16 * 1024 * 1024, description="Largest request body accepted."
    )

    @field_validator("rate_limit_tenant", "rate_limit_client")
    @classmethod
    def _limits(cls, value: str) -> str:
        from limits import parse_many

        parse_many(value)  # (a ValueError names what is wrong)
        return value

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")
