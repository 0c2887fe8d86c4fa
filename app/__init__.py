"""The webapp: a page with the api's message and the visits recorded in PostgreSQL."""

from __future__ import annotations

import logging

from flask import Flask

from app.access_log import AccessLog
from app.api_client import ApiClient
from app.config import Settings, load_settings
from app.security_headers import add_security_headers
from app.startup import wait_in_background
from app.views import bp, readable_time
from app.visits import VisitStore, create_db_engine


def create_app(settings: Settings | None = None, *, wait_for_database: bool = True) -> Flask:
    """Build the Flask application (the application-factory pattern).

    The database wait runs in the background so that /healthz answers at once; requests that
    need the database answer "database unavailable" until it answers, and "database not ready"
    until the migrate service has brought its schema to this release's head.
    """
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s [%(process)d] %(levelname)s %(name)s: %(message)s")
    settings = settings or load_settings()
    app = Flask(__name__)
    store = VisitStore(create_db_engine(settings))
    app.extensions["settings"] = settings
    app.extensions["visit_store"] = store
    app.extensions["api_client"] = ApiClient(settings)
    app.register_blueprint(bp)
    app.add_template_filter(readable_time)
    add_security_headers(app)
    # Outermost, so the line has the status and size the client got.
    app.wsgi_app = AccessLog(app.wsgi_app)  # type: ignore[method-assign]
    if wait_for_database:
        wait_in_background(store.check_schema, settings)
    return app
