"""`python -m app.serve`: the container's command. Validates the settings, then runs gunicorn.

gunicorn reads WEB_CONCURRENCY itself, unvalidated, as soon as it is imported, and a bad
value ends in a traceback that does not name it. So the settings are checked first, with
one line naming the bad one, before gunicorn is imported.
"""

from __future__ import annotations

import os
import sys

from app.config import ConfigError, load_settings


def main() -> None:
    try:
        settings = load_settings()
    except ConfigError as error:
        print(f"configuration error: {error}", file=sys.stderr, flush=True)
        raise SystemExit(2) from None
    # One line of what the process runs with, defaults included (the database's password left out).
    print("settings: " + " ".join(f"{k}={v}" for k, v in settings.resolved().items()), file=sys.stderr, flush=True)
    # What gunicorn reads at import is now a value known to be good (as given, or the default).
    os.environ["WEB_CONCURRENCY"] = str(settings.web_concurrency)
    from gunicorn.app.wsgiapp import run  # type: ignore[import-untyped]  # gunicorn ships no types

    sys.argv = ["gunicorn", "--config", "python:app.gunicorn_conf", "app:create_app()", *sys.argv[1:]]
    run()


if __name__ == "__main__":
    main()
