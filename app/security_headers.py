"""Headers that tell a browser what the webapp's answers may do: the page needs no script, no
frame and no referrer, so none is allowed. Its one inline style is allowed by its hash,
computed from the template at start, so the policy cannot drift from the page."""

from __future__ import annotations

import base64
import hashlib

from flask import Flask, Response

PAGE_TEMPLATE = "index.html"


def _inline_style_hash(app: Flask) -> str:
    """CSP's source expression for the page's <style> element, as the browser hashes it: the
    element's text exactly (the template puts no Jinja inside it)."""
    loader = app.jinja_env.loader
    assert loader is not None
    source = loader.get_source(app.jinja_env, PAGE_TEMPLATE)[0]
    style = source.split("<style>", 1)[1].split("</style>", 1)[0]
    digest = hashlib.sha256(style.encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode('ascii')}'"


def add_security_headers(app: Flask) -> None:
    headers = {
        "Content-Security-Policy": (
            f"default-src 'none'; style-src {_inline_style_hash(app)}; img-src 'self'; "
            "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
        ),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
    }

    @app.after_request
    def _secure(response: Response) -> Response:
        response.headers.update(headers)
        return response
