"""The webapp's settings: read from the environment, validated, in one place.

A bad value raises ConfigError naming the variable, so the process stops at
start with a message a person can act on instead of failing on a later request.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timezone, tzinfo
from pathlib import Path
from typing import TypedDict
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError


class ConfigError(ValueError):
    """A setting is missing or malformed; the message names the variable."""


@dataclass(frozen=True)
class Settings:
    database_url: URL
    api_url: str
    api_connect_timeout: float
    api_read_timeout: float
    db_connect_timeout: int
    db_startup_deadline: float
    db_retry_initial_delay: float
    db_retry_max_delay: float
    visits_page_size: int
    display_timezone: tzinfo
    web_concurrency: int
    web_threads: int
    db_statement_timeout: float
    db_max_connections: int

    @property
    def pool_size(self) -> int:
        """Connections a worker may hold: one per request thread, one for the startup wait."""
        return self.web_threads + 1

    def resolved(self) -> dict[str, str]:
        """Each setting under its variable's name, as this process resolved it (given or the
        default; the database without its password): logged at start, so what a container
        runs with can be read, defaults included."""
        return {
            "DATABASE": self.database_description,
            "API_URL": self.api_url,
            "API_CONNECT_TIMEOUT": f"{self.api_connect_timeout:g}",
            "API_READ_TIMEOUT": f"{self.api_read_timeout:g}",
            "DB_CONNECT_TIMEOUT": str(self.db_connect_timeout),
            "DB_STARTUP_DEADLINE": f"{self.db_startup_deadline:g}",
            "DB_RETRY_INITIAL_DELAY": f"{self.db_retry_initial_delay:g}",
            "DB_RETRY_MAX_DELAY": f"{self.db_retry_max_delay:g}",
            "VISITS_PAGE_SIZE": str(self.visits_page_size),
            "DISPLAY_TIMEZONE": str(self.display_timezone),
            "DB_STATEMENT_TIMEOUT": f"{self.db_statement_timeout:g}",
            "WEB_CONCURRENCY": str(self.web_concurrency),
            "WEB_THREADS": str(self.web_threads),
            "DB_MAX_CONNECTIONS": str(self.db_max_connections),
        }

    @property
    def database_description(self) -> str:
        """Where the database is, without the password: safe for logs and pages."""
        return describe_database(self.database_url)


# libpq's connection options that hold no secret: their values are shown. Any other option in a
# DATABASE_URL's query (password, sslpassword, passfile, one unknown to this list) shows as "hidden".
_SHOWN_OPTIONS = frozenset(
    {"sslmode", "connect_timeout", "application_name", "target_session_attrs", "gssencmode", "channel_binding"}
)


def describe_database(url: URL) -> str:
    """The URL without its password, in the user info or in the query (`?password=`)."""
    query = {
        key: value
        if key in _SHOWN_OPTIONS
        else ("hidden" if isinstance(value, str) else tuple("hidden" for _ in value))
        for key, value in url.query.items()
    }
    return url.set(query=query).render_as_string(hide_password=True)


class _Reader:
    """Typed access to an environment mapping; every error names its variable."""

    def __init__(self, environ: Mapping[str, str]) -> None:
        self.environ = environ

    def text(self, name: str, default: str | None = None) -> str:
        """NAME, or the contents of the file named by NAME_FILE (Docker secrets)."""
        value = self.environ.get(name)
        file_name = self.environ.get(f"{name}_FILE")
        if value and file_name:
            raise ConfigError(f"{name} and {name}_FILE are both set; set only one")
        if file_name:
            try:
                return Path(file_name).read_text(encoding="utf-8").rstrip("\r\n")
            except OSError as error:
                raise ConfigError(f"{name}_FILE={file_name} cannot be read: {error.strerror}") from error
        if value:
            return value
        if default is None:
            raise ConfigError(f"{name} is not set")
        return default

    def number(self, name: str, default: float, *, minimum: float, maximum: float) -> float:
        raw = self.environ.get(name, "").strip()
        if not raw:
            return default
        try:
            value = float(raw)
        except ValueError:
            raise ConfigError(f"{name}={raw!r} is not a number") from None
        if not minimum <= value <= maximum:
            raise ConfigError(f"{name}={raw!r} is out of range: expected {minimum:g} to {maximum:g}")
        return value

    def integer(self, name: str, default: int, *, minimum: int, maximum: int) -> int:
        value = self.number(name, default, minimum=minimum, maximum=maximum)
        if value != int(value):
            raise ConfigError(f"{name}={self.environ[name]!r} is not a whole number")
        return int(value)


def _database_url(read: _Reader) -> URL:
    if read.environ.get("DATABASE_URL") or read.environ.get("DATABASE_URL_FILE"):
        raw = read.text("DATABASE_URL")
        try:
            url = make_url(raw)
        except ArgumentError:
            raise ConfigError(
                "DATABASE_URL is not a database URL (expected postgresql://user:password@host/db)"
            ) from None
        if url.get_backend_name() != "postgresql":
            raise ConfigError(f"DATABASE_URL must use postgresql://, not {url.drivername}://")
        return url.set(drivername="postgresql+psycopg2")
    # The tutorial's form: the postgres image's variables plus a host.
    return URL.create(
        "postgresql+psycopg2",
        username=read.text("POSTGRES_USER", "postgres"),
        password=read.text("POSTGRES_PASSWORD"),
        host=read.text("POSTGRES_HOST", "db"),
        port=read.integer("POSTGRES_PORT", 5432, minimum=1, maximum=65535),
        database=read.text("POSTGRES_DB", read.text("POSTGRES_USER", "postgres")),
    )


# A plain role name, as db/initdb.d/10-webapp-role.sh takes it: written into GRANT statements.
_ROLE_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")


@dataclass(frozen=True)
class MigrationSettings:
    """What `python -m app.migrate` needs: the database as the schema's owner, and the role the
    webapp connects as (given what a page needs and nothing more)."""

    database_url: URL
    webapp_role: str
    db_connect_timeout: int
    db_startup_deadline: float
    db_retry_initial_delay: float
    db_retry_max_delay: float

    @property
    def database_description(self) -> str:
        return describe_database(self.database_url)


def load_migration_settings(environ: Mapping[str, str] | None = None) -> MigrationSettings:
    """The migrate service's settings (the database's owner in POSTGRES_USER / _PASSWORD(_FILE)
    or DATABASE_URL, the webapp's role in WEBAPP_DB_USER); raise ConfigError on a bad one."""
    read = _Reader(os.environ if environ is None else environ)
    role = read.text("WEBAPP_DB_USER", "webapp")
    if not _ROLE_NAME.fullmatch(role):
        raise ConfigError(f"WEBAPP_DB_USER={role!r} is not a plain role name (lower-case letters, digits and _)")
    return MigrationSettings(database_url=_database_url(read), webapp_role=role, **_database_wait(read))


class _DatabaseWait(TypedDict):
    db_connect_timeout: int
    db_startup_deadline: float
    db_retry_initial_delay: float
    db_retry_max_delay: float


def _database_wait(read: _Reader) -> _DatabaseWait:
    """How long to wait for the database, the same for the webapp and the migrate command."""
    initial_delay = read.number("DB_RETRY_INITIAL_DELAY", 0.1, minimum=0.01, maximum=60)
    max_delay = read.number("DB_RETRY_MAX_DELAY", 2.0, minimum=0.01, maximum=300)
    if max_delay < initial_delay:
        raise ConfigError(f"DB_RETRY_MAX_DELAY={max_delay:g} is below DB_RETRY_INITIAL_DELAY={initial_delay:g}")
    return _DatabaseWait(
        db_connect_timeout=read.integer("DB_CONNECT_TIMEOUT", 2, minimum=1, maximum=60),
        db_startup_deadline=read.number("DB_STARTUP_DEADLINE", 30.0, minimum=0, maximum=3600),
        db_retry_initial_delay=initial_delay,
        db_retry_max_delay=max_delay,
    )


def _api_url(read: _Reader) -> str:
    url = read.text("API_URL", "http://api:5001")
    try:
        parts = urlsplit(url)
    except ValueError:  # e.g. an unclosed [ of an IPv6 address
        parts = urlsplit("")
    # The URL is printed (the settings line at start, the log of a failed call to the api):
    # user info in it, a password or a token, would be too; so would a query (?token=) or a
    # fragment. The api's address needs neither.
    if "@" in parts.netloc:
        raise ConfigError("API_URL must not carry credentials (user:password@): give the api's address only")
    if parts.query or parts.fragment or "?" in url or "#" in url:
        raise ConfigError("API_URL must not carry a query or a fragment (?…, #…): give the api's address only")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        # Echoed to help, unless it might hold a secret all the same ("user:token@api:5001").
        shown = "API_URL" if "@" in url else f"API_URL={url!r}"
        raise ConfigError(f"{shown} is not an http(s) URL with a host")
    return url


def _display_timezone(read: _Reader) -> tzinfo:
    name = read.text("DISPLAY_TIMEZONE", "UTC")
    if name == "UTC":
        return timezone.utc
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a folder of zones, e.g. "Europe"
        raise ConfigError(f"DISPLAY_TIMEZONE={name!r} is not a time zone (e.g. UTC, Europe/Berlin)") from None


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Read and validate every setting; raise ConfigError on the first bad one."""
    read = _Reader(os.environ if environ is None else environ)
    wait = _database_wait(read)
    web_concurrency = read.integer("WEB_CONCURRENCY", 2, minimum=1, maximum=64)
    web_threads = read.integer("WEB_THREADS", 4, minimum=1, maximum=64)
    budget = read.integer("DB_MAX_CONNECTIONS", 90, minimum=2, maximum=10000)
    if web_concurrency * (web_threads + 1) > budget:
        raise ConfigError(
            f"WEB_CONCURRENCY={web_concurrency} workers with WEB_THREADS={web_threads} threads need "
            f"{web_concurrency * (web_threads + 1)} database connections; DB_MAX_CONNECTIONS allows {budget}"
        )
    return Settings(
        database_url=_database_url(read),
        api_url=_api_url(read),
        api_connect_timeout=read.number("API_CONNECT_TIMEOUT", 1.0, minimum=0.01, maximum=60),
        api_read_timeout=read.number("API_READ_TIMEOUT", 2.0, minimum=0.01, maximum=300),
        **wait,
        visits_page_size=read.integer("VISITS_PAGE_SIZE", 20, minimum=1, maximum=1000),
        display_timezone=_display_timezone(read),
        web_concurrency=web_concurrency,
        web_threads=web_threads,
        db_statement_timeout=read.number("DB_STATEMENT_TIMEOUT", 5.0, minimum=0.1, maximum=600),
        db_max_connections=budget,
    )
