"""The api service on its own: one plain-text message and a liveness answer."""

from __future__ import annotations

from api.service import MESSAGE, create_app


def test_the_api_answers_its_message_as_plain_text() -> None:
    response = create_app().test_client().get("/")
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    assert response.get_data(as_text=True) == MESSAGE == "Hello from the API container!"


def test_the_api_has_a_liveness_answer() -> None:
    response = create_app().test_client().get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok"}
