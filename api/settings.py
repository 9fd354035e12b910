"""The one settings object of Shuxin, read from the environment (prefix SHUXIN_) once."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Everything an administrator may set; each field is also an environment variable."""

    model_config = SettingsConfigDict(env_prefix="SHUXIN_", env_file=".env", extra="ignore")

    home: Path = Field(
        default=Path(".shuxin"),
        description="Where the embedded PostGIS cluster, media and secrets live.",
    )
    database_url: str | None = Field(
        default=None,
        description="An external PostgreSQL+PostGIS server; unset to use the embedded cluster.",
    )
    database_name: str = Field(default="shuxin", description="Database of the embedded cluster.")

    place_name: str | None = Field(
        default=None,
        description="The name the pages give the whole area (e.g. 龙游县) when the active "
        "boundary set does not record it.",
    )

    host: str = "127.0.0.1"
    port: int = 8000
    timezone: str = "Asia/Shanghai"

    routing_tolerance_m: float = Field(
        default=50.0,
        ge=0,
        description="A point outside every grid but this close to one is routed to it (nearest).",
    )

    basemap: str = Field(
        default="none",
        description="none, osm, tianditu, or an XYZ tile URL such as http://tiles.intranet/{z}/{x}/{y}.png",
    )
    tianditu_key: str | None = Field(default=None, description="天地图 key (tk).")
    tianditu_style: Literal["vec", "img"] = "vec"

    secret_key: str | None = Field(
        default=None,
        description="Signs sign-in tokens; unset: a random key kept in $SHUXIN_HOME/secret_key.",
    )
    token_ttl_minutes: int = Field(
        default=30,
        ge=2,
        description="How long a sign-in token lasts; the pages renew theirs while open.",
    )
    session_max_hours: float = Field(
        default=12,
        gt=0,
        description="The longest a session may be renewed before the password is asked again.",
    )
    sign_in_max_failures: int = Field(
        default=5, ge=1, description="Failed sign-ins of one login before it is locked."
    )
    sign_in_max_failures_per_address: int = Field(
        default=20,
        ge=1,
        description="Failed sign-ins from one address (any login) before it is locked.",
    )
    sign_in_lock_minutes: float = Field(
        default=15, gt=0, description="How long a lock lasts; each further lock doubles it."
    )
    force_password_change: bool = Field(
        default=True,
        description="A generated or reset password must be changed at the first sign-in "
        "(`shuxin demo` turns it off for its demo users).",
    )
    https: bool = Field(
        default=False,
        description="Served over HTTPS (behind a proxy): cookies are Secure, HSTS is sent.",
    )

    working_hours: str = Field(
        default="08:30-12:00,13:30-17:30",
        description="Working periods of a working day (Asia/Shanghai).",
    )
    at_risk_ratio: float = Field(
        default=0.8,
        gt=0,
        lt=1,
        description="Share of the time limit after which a task is at risk.",
    )
    auto_assign: bool = Field(
        default=False, description="Assign accepted events to the default unit at once."
    )
    sweep_interval_s: int = Field(
        default=60, ge=0, description="In-app deadline sweep every N seconds; 0: off."
    )
    upload_max_bytes: int = Field(
        default=10 * 1024 * 1024, ge=1024, description="Largest photo accepted."
    )

    @property
    def resolved_home(self) -> Path:
        return self.home.expanduser().resolve()

    @property
    def media_dir(self) -> Path:
        return self.resolved_home / "media"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The settings, read once per process."""
    return Settings()
