"""The webapp's answers when its dependencies are missing, bad or hostile (no engine needed)."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from flask.testing import FlaskClient

from app import create_app
from app.config import load_settings


def _client(db_port: int, api_url: str) -> FlaskClient:
    settings = load_settings(
        {
            "DATABASE_URL": f"postgresql://u:p@127.0.0.1:{db_port}/d",
            "API_URL": api_url,
            "API_CONNECT_TIMEOUT": "0.5",
            "API_READ_TIMEOUT": "0.5",
        }
    )
    return create_app(settings, wait_for_database=False).test_client()


@pytest.fixture
def client(closed_port: int, http_server: Callable[..., str]) -> FlaskClient:
    return _client(closed_port, http_server(200, "Hello from the API container!"))


def test_healthz_answers_without_touching_the_database(client: FlaskClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok"}


def test_readyz_says_why_the_database_is_unavailable(client: FlaskClient) -> None:
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json is not None
    assert response.json["status"] == "unavailable"
    assert response.json["reason"].startswith("database unavailable: OperationalError")
    assert "Connection refused" in response.json["reason"]


def test_the_page_renders_with_the_database_down(client: FlaskClient) -> None:
    response = client.get("/")
    assert response.status_code == 503
    page = response.get_data(as_text=True)
    assert "<h1>" in page
    assert "Hello from the API container!" in page
    assert "Database unavailable." in page


def test_visits_json_reports_the_outage_as_json(client: FlaskClient) -> None:
    response = client.get("/visits.json")
    assert response.status_code == 503
    assert response.json is not None
    assert "database unavailable" in response.json["error"]


@pytest.mark.parametrize("limit", ["0", "abc", "-1", "1001"])
def test_visits_json_rejects_a_bad_limit(client: FlaskClient, limit: str) -> None:
    response = client.get(f"/visits.json?limit={limit}")
    assert response.status_code == 400
    assert response.json is not None
    assert "limit" in response.json["error"]


def test_an_unreachable_api_is_said_plainly(closed_port: int) -> None:
    page = _client(closed_port, f"http://127.0.0.1:{closed_port}").get("/").get_data(as_text=True)
    assert f"API unavailable: the api at http://127.0.0.1:{closed_port} is unreachable" in page


def test_an_api_error_status_is_said_plainly(closed_port: int, http_server: Callable[..., str]) -> None:
    page = _client(closed_port, http_server(500, "boom")).get("/").get_data(as_text=True)
    assert "answered 500" in page


def test_the_api_message_is_html_escaped(closed_port: int, http_server: Callable[..., str]) -> None:
    page = _client(closed_port, http_server(200, "<script>alert(1)</script>")).get("/").get_data(as_text=True)
    assert "<script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_a_slow_api_is_said_plainly_within_the_read_timeout(closed_port: int, http_server: Callable[..., str]) -> None:
    """The api accepts the connection but never answers: after API_READ_TIMEOUT the page
    renders anyway and says the api did not answer in time."""
    client = _client(closed_port, http_server(200, "too late", hang=True))
    started = time.monotonic()
    page = client.get("/").get_data(as_text=True)
    elapsed = time.monotonic() - started

    assert "did not answer within 0.5s/0.5s" in page
    assert "too late" not in page
    assert 0.5 <= elapsed < 2
