"""The defaults the documentation promises (docs/configuration.md), read from its tables:
the unit tests hold them to the code, the scenarios of chapter 13 to running containers."""

from __future__ import annotations

import re

from tests.support.environment import ROOT

CONFIGURATION = ROOT / "docs" / "configuration.md"
_ROW = re.compile(r"^\| `([A-Z_]+)` \| (.+?) \| .+ \|$")


def documented(section: str) -> dict[str, str | None]:
    """variable -> its default in `section` of the page, as written in backticks (None where the
    default is said in words, such as "required")."""
    text = CONFIGURATION.read_text(encoding="utf-8")
    body = text.split(f"\n## {section}", 1)[1].split("\n## ", 1)[0]
    rows: dict[str, str | None] = {}
    for line in body.splitlines():
        if match := _ROW.match(line):
            literal = re.fullmatch(r"`([^`]*)`", match.group(2))
            rows[match.group(1)] = literal.group(1) if literal else None
    return rows


WEBAPP_DEFAULTS = documented("The webapp")
API_DEFAULTS = documented("The api")
COMPOSE_DEFAULTS = documented("The Compose files")
