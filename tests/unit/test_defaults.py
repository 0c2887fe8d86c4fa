"""Defaults are claims: docs/configuration.md states what a user gets by setting nothing, and
these tests hold it to the code. A default in backticks is set, as written, on top of an empty
environment and must change nothing; every variable read has its row, and every row is read."""

from __future__ import annotations

import re
import runpy

import pytest

from app.config import ConfigError, load_migration_settings, load_settings
from tests.mutations.catalogue import MISTAKES
from tests.support.defaults import API_DEFAULTS, COMPOSE_DEFAULTS, WEBAPP_DEFAULTS
from tests.support.environment import ROOT

WEBAPP_SETTINGS = ROOT / "app" / "config.py"
API_SETTINGS = ROOT / "api" / "gunicorn_conf.py"
COMPOSE_FILES = [ROOT / "docker-compose.yml", ROOT / "compose.volume.yml", ROOT / "swarm" / "stack.yml"]
# The one setting with no default; anything else may be left unset.
REQUIRED = {"POSTGRES_PASSWORD": "a password"}


def test_every_setting_the_webapp_reads_has_its_row_and_every_row_is_read() -> None:
    read = set(re.findall(r'read\.(?:text|number|integer)\(\s*"([A-Z_]+)"', WEBAPP_SETTINGS.read_text()))
    assert set(WEBAPP_DEFAULTS) == read


@pytest.mark.parametrize("variable", [v for v, default in WEBAPP_DEFAULTS.items() if default is not None])
def test_the_webapps_documented_default_is_its_default(variable: str) -> None:
    """Setting the documented value changes nothing: it is what a user who sets nothing gets."""
    default = WEBAPP_DEFAULTS[variable]
    assert default is not None
    assert load_settings({**REQUIRED, variable: default}) == load_settings(REQUIRED)


def test_the_migrate_commands_documented_defaults_are_its_defaults() -> None:
    """The migrate command reads the same table: its role for the webapp and its wait."""
    read_by_migrate = ("WEBAPP_DB_USER", "DB_STARTUP_DEADLINE", "DB_CONNECT_TIMEOUT", "DB_RETRY_INITIAL_DELAY")
    for variable in read_by_migrate:
        default = WEBAPP_DEFAULTS[variable]
        assert default is not None
        assert load_migration_settings({**REQUIRED, variable: default}) == load_migration_settings(REQUIRED)
    assert load_migration_settings(REQUIRED).webapp_role == "webapp"


def test_the_webapp_needs_nothing_but_a_password_and_its_database_is_named_after_its_user() -> None:
    """Where the page says the default in words: no DATABASE_URL (the parts are used), a
    password that must be given, and a database named after the user, as the postgres image
    names it."""
    in_words = [variable for variable, default in WEBAPP_DEFAULTS.items() if default is None]
    assert in_words == ["DATABASE_URL", "POSTGRES_PASSWORD", "POSTGRES_DB"]
    with pytest.raises(ConfigError, match="POSTGRES_PASSWORD is not set"):
        load_settings({})
    assert load_settings(REQUIRED).database_url.database == "postgres"
    assert load_settings({**REQUIRED, "POSTGRES_USER": "someone"}).database_url.database == "someone"


def test_the_apis_documented_defaults_are_its_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    """The api's gunicorn settings, read with none of its variables set."""
    for variable in API_DEFAULTS:
        monkeypatch.delenv(variable, raising=False)
    settings = runpy.run_path(str(API_SETTINGS))
    assert set(re.findall(r'environ\.get\("([A-Z_]+)"', API_SETTINGS.read_text())) == set(API_DEFAULTS)
    assert str(settings["workers"]) == API_DEFAULTS["WEB_CONCURRENCY"]


def compose_defaults() -> dict[str, set[str]]:
    """variable -> every default the Compose files give it (`${NAME:-default}`)."""
    found: dict[str, set[str]] = {}
    for path in COMPOSE_FILES:
        for name, default in re.findall(r"\$\{([A-Z_]+):-([^}]*)\}", path.read_text(encoding="utf-8")):
            found.setdefault(name, set()).add(default)
    return found


def test_every_compose_default_is_the_documented_one_wherever_it_is_written() -> None:
    """A variable the Compose files use in several places has one default in all of them, the
    documented one; every variable they read with a default has its row, and every row is read."""
    assert compose_defaults() == {variable: {default} for variable, default in COMPOSE_DEFAULTS.items()}


@pytest.mark.parametrize(
    ("files", "table", "setting"),
    [
        (("app/config.py",), WEBAPP_DEFAULTS, '("{}"'),
        (("api/gunicorn_conf.py",), API_DEFAULTS, '("{}"'),
        (tuple(str(path.relative_to(ROOT)) for path in COMPOSE_FILES), COMPOSE_DEFAULTS, "${{{}:-"),
    ],
    ids=["webapp", "api", "compose"],
)
def test_every_documented_default_has_a_planted_mistake(
    files: tuple[str, ...], table: dict[str, str | None], setting: str
) -> None:
    """A default is a claim: each row has a mistake in the catalogue that changes the line
    where the variable is read with its default, and names scenarios that must kill it."""
    planted = {
        variable
        for m in MISTAKES
        if m.file in files and m.killers
        for variable in table
        if setting.format(variable) in m.find
    }
    assert set(table) - planted == set()
