"""HTTP routes: the page, a JSON view of visits, liveness and readiness."""

from __future__ import annotations

import functools
import re
from datetime import datetime, tzinfo
from typing import Any

from flask import Blueprint, current_app, jsonify, render_template, request
from flask.typing import ResponseReturnValue
from sqlalchemy.exc import SQLAlchemyError

from app.api_client import ApiClient, ApiReply
from app.config import Settings
from app.schema import SchemaNotReadyError
from app.startup import describe_error
from app.visits import VisitPage, VisitStore

bp = Blueprint("webapp", __name__)

MAX_VISITS_LIMIT = 1000
# ASCII digits only: str.isdigit() also takes "²" and "٣", which int() then refuses.
_WHOLE_NUMBER = re.compile(r"[0-9]{1,4}")
# A request id as nginx's $request_id writes it (32 hex digits) or a UUID: anything else is ignored.
_REQUEST_ID = re.compile(r"[0-9a-fA-F]{32}|[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}")
# All a visitor learns of a database failure: its own error text names hosts, addresses and roles.
DATABASE_UNAVAILABLE = "database unavailable"
# The database answers, but the migrations have not brought it to this release's schema yet.
DATABASE_NOT_READY = "database not ready"


def _settings() -> Settings:
    settings: Settings = current_app.extensions["settings"]
    return settings


def _store() -> VisitStore:
    store: VisitStore = current_app.extensions["visit_store"]
    return store


def _api() -> ApiClient:
    client: ApiClient = current_app.extensions["api_client"]
    return client


def _api_message() -> ApiReply:
    """The api's message; when there is none, the log says why and where, for the operator
    (the page says only what is wrong, never the api's address)."""
    reply = _api().fetch_message()
    if not reply.ok:
        current_app.logger.warning("api unavailable: %s", reply.detail)
    return reply


def _unavailable(error: SQLAlchemyError) -> str:
    """Log what failed, for the operator; return what a visitor may be told."""
    current_app.logger.warning("database unavailable: %s", describe_error(error))
    return DATABASE_UNAVAILABLE


def _not_ready(error: SchemaNotReadyError) -> str:
    current_app.logger.warning("database not ready: %s", error)
    return DATABASE_NOT_READY


def _page_as_json(page: VisitPage) -> dict[str, Any]:
    return {
        "total": page.total,
        "visits": [{"id": v.id, "visited_at": v.visited_at.isoformat()} for v in page.latest],
    }


def readable_time(moment: datetime) -> str:
    """A visit's time as people read it, in the configured DISPLAY_TIMEZONE: 29 Nov 2026, 22:31:05 UTC."""
    return _readable_time(moment, _settings().display_timezone)


# Each page shows mostly the rows the page before it showed: their times are formatted once.
@functools.lru_cache(maxsize=4096)
def _readable_time(moment: datetime, zone: tzinfo) -> str:
    return moment.astimezone(zone).strftime("%d %b %Y, %H:%M:%S %Z")


@bp.get("/")
def index() -> ResponseReturnValue:
    """Records this visit, then shows the api's message and the newest visits."""
    api_reply = _api_message()
    page: VisitPage | None = None
    db_error: str | None = None
    try:
        page = _store().record_visit(_settings().visits_page_size, _request_id())
    except SQLAlchemyError as error:
        db_error = _unavailable(error)
    except SchemaNotReadyError as error:
        db_error = _not_ready(error)
    html = render_template("index.html", api=api_reply, page=page, db_error=db_error)
    return html, 200 if db_error is None else 503


def _request_id() -> str | None:
    """The id a proxy gave this request (X-Request-Id), the same on each of its tries: a
    request sent again after a replica died before answering is recorded once."""
    given = request.headers.get("X-Request-Id", "")
    return given if _REQUEST_ID.fullmatch(given) else None


@bp.get("/visits.json")
def visits_json() -> ResponseReturnValue:
    raw_limit = request.args.get("limit", str(_settings().visits_page_size))
    if not _WHOLE_NUMBER.fullmatch(raw_limit) or not 1 <= int(raw_limit) <= MAX_VISITS_LIMIT:
        return jsonify(error=f"limit must be a whole number from 1 to {MAX_VISITS_LIMIT}"), 400
    try:
        page = _store().latest(int(raw_limit))
    except SQLAlchemyError as error:
        return jsonify(error=_unavailable(error)), 503
    except SchemaNotReadyError as error:
        return jsonify(error=_not_ready(error)), 503
    return jsonify(_page_as_json(page))


@bp.get("/healthz")
def healthz() -> ResponseReturnValue:
    """Liveness: the process answers. No I/O, so a slow database never fails it."""
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz() -> ResponseReturnValue:
    """Readiness: the database answers, at this release's schema (the migrations' head)."""
    try:
        _store().check_schema()
        _store().ping()
    except SQLAlchemyError as error:
        return jsonify(status="unavailable", reason=_unavailable(error)), 503
    except SchemaNotReadyError as error:
        return jsonify(status="unavailable", reason=f"{_not_ready(error)}: {error}"), 503
    return jsonify(status="ready")
