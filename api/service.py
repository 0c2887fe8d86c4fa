"""The api service: one plain-text message, reachable by its Compose service name."""

from __future__ import annotations

from flask import Flask, Response, jsonify

MESSAGE = "Hello from the API container!"


def create_app() -> Flask:
    app = Flask(__name__)

    @app.get("/")
    def message() -> Response:
        return Response(MESSAGE, mimetype="text/plain")

    @app.get("/healthz")
    def healthz() -> Response:
        return jsonify(status="ok")

    return app


if __name__ == "__main__":
    create_app().run(host="0.0.0.0", port=5001)
