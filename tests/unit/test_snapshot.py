"""The migrated database's snapshot is made anew whenever what it is made of changes."""

from __future__ import annotations

import ast
import shutil
from pathlib import Path

import pytest

from tests.support.environment import ROOT
from tests.support.snapshot import MIGRATION_SOURCES, RECIPE, snapshot_tag

CREDENTIALS = ("webapp", "webapp-secret", "visits")
PACKAGE_INIT = ROOT / "app" / "__init__.py"


def _app_modules_imported_by(path: Path) -> set[Path]:
    """The project's own modules (under app/) that `path` imports, and theirs, transitively; not
    the package's __init__.py (the application factory, whose imports make no schema)."""
    found: set[Path] = set()
    pending = [path]
    while pending:
        tree = ast.parse(pending.pop().read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "app":
                names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names if alias.name.split(".")[0] == "app"]
            for name in names:
                for candidate in (ROOT / f"{name.replace('.', '/')}.py", ROOT / name.replace(".", "/") / "__init__.py"):
                    if candidate.is_file() and candidate != PACKAGE_INIT and candidate not in found:
                        found.add(candidate)
                        pending.append(candidate)
    return found


def _covered(path: Path) -> bool:
    relative = path.relative_to(ROOT).as_posix()
    return any(relative == source or relative.startswith(source + "/") for source in MIGRATION_SOURCES)


def test_every_module_the_migrations_run_is_part_of_the_snapshots_name() -> None:
    """What `python -m app.migrate` and the migrations' environment import from the project
    is in MIGRATION_SOURCES."""
    roots = [ROOT / "app" / "migrate.py", ROOT / "app" / "migrations" / "env.py"]
    roots += sorted((ROOT / "app" / "migrations" / "versions").glob("*.py"))
    imported = set().union(*(_app_modules_imported_by(p) for p in roots))

    assert imported, "found no import of the project's modules: the walk is broken"
    assert [p.relative_to(ROOT).as_posix() for p in sorted(imported) if not _covered(p)] == []


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    for source in (*MIGRATION_SOURCES, *RECIPE):
        origin = ROOT / source
        target = tmp_path / source
        target.parent.mkdir(parents=True, exist_ok=True)
        if origin.is_dir():
            shutil.copytree(origin, target, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(origin, target)
    return tmp_path


def test_the_name_is_the_same_for_the_same_sources_and_changes_with_any_of_them(tree: Path) -> None:
    before = snapshot_tag("sha256:1", CREDENTIALS, tree)
    assert snapshot_tag("sha256:1", CREDENTIALS, tree) == before
    assert snapshot_tag("sha256:1", CREDENTIALS, tree) == snapshot_tag("sha256:1", CREDENTIALS, ROOT)

    assert snapshot_tag("sha256:2", CREDENTIALS, tree) != before  # another postgres image
    assert snapshot_tag("sha256:1", ("webapp", "other", "visits"), tree) != before
    migration = sorted((tree / "app" / "migrations" / "versions").glob("*.py"))[-1]
    migration.write_text(migration.read_text(encoding="utf-8") + "\n# changed\n", encoding="utf-8")
    after_migration = snapshot_tag("sha256:1", CREDENTIALS, tree)
    assert after_migration != before
    lock = tree / "requirements.txt"  # another Alembic or SQLAlchemy runs them
    lock.write_text(lock.read_text(encoding="utf-8") + "\n# changed\n", encoding="utf-8")
    assert snapshot_tag("sha256:1", CREDENTIALS, tree) != after_migration
