"""The release before the migrations, as chapter 14 builds and runs it, is kept in the repository
(tests/fixtures/release-c738d7f/): `make test` needs no git history. These prove the copy is
that release's own files, byte for byte and mode for mode, against the manifest of their git
blob ids; and, where the history is there, the manifest against the release's tree."""

from __future__ import annotations

import hashlib
import os
import subprocess

from tests.support.environment import ROOT

RELEASE = "c738d7f"
FILES = ROOT / "tests" / "fixtures" / f"release-{RELEASE}"
MANIFEST = ROOT / "tests" / "fixtures" / f"release-{RELEASE}.manifest"


def _manifest() -> dict[str, tuple[str, str]]:
    """path -> (git mode, blob id), as `git ls-tree -r` lists them."""
    entries = {}
    for line in MANIFEST.read_text(encoding="utf-8").splitlines():
        mode, blob, path = line.split(" ", 2)
        entries[path] = (mode, blob)
    return entries


def _blob_id(data: bytes) -> str:
    """The id git gives a file's contents."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data, usedforsecurity=False).hexdigest()


def test_the_kept_release_is_byte_for_byte_the_files_of_its_manifest() -> None:
    kept = {
        path.relative_to(FILES).as_posix(): (
            "100755" if os.access(path, os.X_OK) else "100644",
            _blob_id(path.read_bytes()),
        )
        for path in FILES.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }

    assert kept == _manifest()


def test_the_manifest_is_the_release_s_tree_where_the_history_is_there() -> None:
    """In a clone with history (CI's), the manifest is checked against the release itself; in a
    shallow clone or an archive only the test above can run, and it still holds."""
    has_history = (
        subprocess.run(["git", "cat-file", "-e", f"{RELEASE}^{{commit}}"], cwd=ROOT, capture_output=True).returncode
        == 0
    )
    if has_history:
        listed = subprocess.run(
            ["git", "ls-tree", "-r", RELEASE, "--", *sorted(_manifest())],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        tree = {path: (mode, blob) for mode, _, blob, path in (line.split(maxsplit=3) for line in listed.splitlines())}
        assert tree == _manifest()
    else:
        assert _manifest()
