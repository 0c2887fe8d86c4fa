"""Configuration: every setting comes from the environment, and a bad one is named."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from app.config import ConfigError, load_settings
from tests.support.environment import ROOT
from tests.support.waiting import wait_until

BASE = {"POSTGRES_PASSWORD": "secret"}


def test_defaults_follow_the_tutorial() -> None:
    settings = load_settings(BASE)
    assert settings.database_url.host == "db"
    assert settings.database_url.username == "postgres"
    assert settings.database_url.database == "postgres"
    assert settings.api_url == "http://api:5001"


def test_the_tutorial_variables_build_the_database_url() -> None:
    settings = load_settings(
        {"POSTGRES_USER": "app", "POSTGRES_PASSWORD": "pw", "POSTGRES_DB": "visits", "POSTGRES_HOST": "pg"}
    )
    assert settings.database_url.render_as_string(hide_password=False) == "postgresql+psycopg2://app:pw@pg:5432/visits"


def test_database_url_wins_and_keeps_its_password_out_of_descriptions() -> None:
    settings = load_settings({"DATABASE_URL": "postgresql://u:hunter2@h:6543/d"})
    assert settings.database_url.port == 6543
    assert "hunter2" not in settings.database_description


def test_a_password_in_the_database_urls_query_is_kept_out_of_descriptions() -> None:
    """libpq takes a password (and other secrets) as a query option too, `?password=`: the
    settings line shows every option's name, and the values of those that hold no secret only."""
    url = "postgresql://u@h/d?password=hunter2&sslpassword=hunter3&sslmode=require&passfile=/run/p&x=a&x=hunter4"
    settings = load_settings({"DATABASE_URL": url})

    shown = settings.resolved()["DATABASE"]

    assert settings.database_url.query["password"] == "hunter2"  # still connects with it
    assert not re.search(r"hunter|/run/p", shown), shown
    assert "sslmode=require" in shown
    assert "password=hidden" in shown


@pytest.mark.parametrize(
    "url",
    [
        "http://webapp:s3cr3t-t0ken@api:5001",
        "https://s3cr3t-t0ken@api:5001/",
        "webapp:s3cr3t-t0ken@api:5001",
        "http://api:5001/?token=s3cr3t-t0ken",
        "http://api:5001/#s3cr3t-t0ken",
    ],
    ids=["user and password", "token as the user", "no scheme", "token in the query", "token in the fragment"],
)
def test_an_api_url_with_credentials_is_refused_without_echoing_them(url: str) -> None:
    """API_URL is printed (the settings line at start, the log of a failed call to the api),
    so it must not carry a password or token (user:password@, ?token=, #…): such a URL stops
    the webapp at start with a message that names API_URL and never repeats the secret."""
    with pytest.raises(ConfigError, match="API_URL") as refused:
        load_settings({**BASE, "API_URL": url})
    assert "s3cr3t-t0ken" not in str(refused.value)
    assert load_settings({**BASE, "API_URL": "http://api:5001/"}).resolved()["API_URL"] == "http://api:5001/"


def test_secrets_can_come_from_files(tmp_path: Path) -> None:
    secret = tmp_path / "password"
    secret.write_text("from-a-file\n")
    settings = load_settings({"POSTGRES_PASSWORD_FILE": str(secret)})
    assert settings.database_url.password == "from-a-file"


@pytest.mark.parametrize(
    ("environ", "named"),
    [
        ({}, "POSTGRES_PASSWORD"),
        ({**BASE, "POSTGRES_PASSWORD_FILE": "/nonexistent"}, "POSTGRES_PASSWORD"),
        ({"POSTGRES_PASSWORD_FILE": "/nonexistent/secret"}, "POSTGRES_PASSWORD_FILE"),
        ({"DATABASE_URL": "mysql://u:p@h/d"}, "DATABASE_URL"),
        ({"DATABASE_URL": "not a url"}, "DATABASE_URL"),
        ({**BASE, "POSTGRES_PORT": "99999"}, "POSTGRES_PORT"),
        ({**BASE, "API_URL": "api:5001"}, "API_URL"),
        ({**BASE, "API_CONNECT_TIMEOUT": "soon"}, "API_CONNECT_TIMEOUT"),
        ({**BASE, "API_READ_TIMEOUT": "-1"}, "API_READ_TIMEOUT"),
        ({**BASE, "DB_CONNECT_TIMEOUT": "1.5"}, "DB_CONNECT_TIMEOUT"),
        ({**BASE, "DB_STARTUP_DEADLINE": "forever"}, "DB_STARTUP_DEADLINE"),
        ({**BASE, "DB_RETRY_INITIAL_DELAY": "5", "DB_RETRY_MAX_DELAY": "1"}, "DB_RETRY_MAX_DELAY"),
        ({**BASE, "VISITS_PAGE_SIZE": "0"}, "VISITS_PAGE_SIZE"),
        ({**BASE, "WEB_CONCURRENCY": "many"}, "WEB_CONCURRENCY"),
        ({**BASE, "WEB_CONCURRENCY": "0"}, "WEB_CONCURRENCY"),
        ({**BASE, "WEB_THREADS": "1.5"}, "WEB_THREADS"),
        ({**BASE, "DB_STATEMENT_TIMEOUT": "-1"}, "DB_STATEMENT_TIMEOUT"),
    ],
)
def test_a_bad_setting_is_named(environ: dict[str, str], named: str) -> None:
    with pytest.raises(ConfigError, match=named):
        load_settings(environ)


def test_workers_and_threads_must_fit_the_database_connections() -> None:
    """Each worker pools one connection per thread plus one for its startup wait: settings
    that would ask PostgreSQL for more than DB_MAX_CONNECTIONS are refused, naming them."""
    assert load_settings({**BASE, "WEB_CONCURRENCY": "3", "WEB_THREADS": "4"}).pool_size == 5
    with pytest.raises(ConfigError, match="WEB_CONCURRENCY=20 workers with WEB_THREADS=4 threads need 100"):
        load_settings({**BASE, "WEB_CONCURRENCY": "20", "WEB_THREADS": "4"})
    assert load_settings({**BASE, "WEB_CONCURRENCY": "20", "DB_MAX_CONNECTIONS": "100"}).web_concurrency == 20


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("API_CONNECT_TIMEOUT", "soon", "API_CONNECT_TIMEOUT='soon' is not a number"),
        ("WEB_CONCURRENCY", "many", "WEB_CONCURRENCY='many' is not a number"),
    ],
)
def test_the_server_refuses_to_start_with_a_bad_setting_and_names_it(variable: str, value: str, message: str) -> None:
    """The server stops at start, before serving anything, with the variable in its message."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("POSTGRES_", "DATABASE_URL"))}
    environ.update({"POSTGRES_PASSWORD": "x", variable: value})
    result = subprocess.run(
        [sys.executable, "-m", "app.serve", "--bind", "127.0.0.1:0"],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2
    assert result.stderr.strip() == f"configuration error: {message}"


def test_visit_times_are_shown_in_the_display_timezone() -> None:
    """DISPLAY_TIMEZONE (default UTC) names the zone the page shows visit times in."""
    from datetime import datetime, timezone

    from app import create_app

    visit = datetime(2026, 11, 29, 22, 31, 5, tzinfo=timezone.utc)
    for zone, shown in (("UTC", "29 Nov 2026, 22:31:05 UTC"), ("Europe/Berlin", "29 Nov 2026, 23:31:05 CET")):
        app = create_app(load_settings({**BASE, "DISPLAY_TIMEZONE": zone}), wait_for_database=False)
        with app.app_context():
            assert app.jinja_env.filters["readable_time"](visit) == shown


@pytest.mark.parametrize("zone", ["Mars/Olympus", "Europe", "../etc/passwd"])
def test_an_unknown_display_timezone_is_named(zone: str) -> None:
    with pytest.raises(ConfigError, match=f"DISPLAY_TIMEZONE='{re.escape(zone)}' is not a time zone"):
        load_settings({**BASE, "DISPLAY_TIMEZONE": zone})


def test_the_server_runs_as_many_workers_as_web_concurrency_says() -> None:
    """WEB_CONCURRENCY=3, validated by app.serve and then given to granian: three workers start."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("POSTGRES_", "DATABASE_URL"))}
    environ.update(POSTGRES_PASSWORD="x", POSTGRES_HOST="127.0.0.1", WEB_CONCURRENCY="3", WEB_THREADS="1")
    server = subprocess.Popen(
        [sys.executable, "-m", "app.serve", "--bind", "127.0.0.1:0"],
        cwd=ROOT,
        env=environ,
        stdout=subprocess.PIPE,  # granian's own log
        stderr=subprocess.DEVNULL,
        text=True,
    )
    lines: list[str] = []
    assert server.stdout is not None
    reader = threading.Thread(target=lambda: lines.extend(server.stdout or ()), daemon=True)
    reader.start()
    try:
        wait_until(lambda: sum("Started worker-" in line for line in lines) >= 3, timeout=20, what="3 workers")
        assert sum("Started worker-" in line for line in lines) == 3
    finally:
        server.terminate()
        server.wait(timeout=30)
