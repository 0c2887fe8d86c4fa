"""`python -m app`: Flask's development server, for local work only."""

import os

from app import create_app

if __name__ == "__main__":
    # 0.0.0.0, not 127.0.0.1: inside a container only that is reachable through a published port.
    create_app().run(host="0.0.0.0", port=int(os.environ.get("PORT", "5000")))
