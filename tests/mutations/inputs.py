"""What a verdict depends on, read off the working tree and the machine: each input a name and a digest.

The names say what changed when a stored verdict no longer applies ("file:app/views.py",
"image:POSTGRES_IMAGE", "tool:engine"), so the report can tell a user why a mistake ran again.
"""

from __future__ import annotations

import ast
import functools
import hashlib
import importlib.metadata
import os
import platform
import subprocess
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path, PurePosixPath

import docker
from docker.errors import DockerException, ImageNotFound
from docker.utils.build import exclude_paths
from dotenv import dotenv_values

# Never part of the project, even where an ignore file forgets them.
NEVER_COPIED = (".git", ".venv")
# Words for people only: no program reads them unless a file of code names them (see prose_read_by_code).
PROSE_SUFFIXES = (".md", ".png", ".svg")
PROSE_NAMES = ("LICENSE",)
# The Python packages whose versions shape a run of the suite (the lock files pin the rest).
TOOL_DISTRIBUTIONS = ("pytest", "testcontainers", "docker", "pytest-xdist", "pytest-timeout", "SQLAlchemy")
ENGINE_VERSION = ["docker", "version", "--format", "{{.Server.Version}}"]
# Image variables whose images a run may start or build on (their IDs, not their names, are digested).
IMAGE_VARIABLES = ("PYTHON_IMAGE", "POSTGRES_IMAGE", "NGINX_IMAGE", "DEBIAN_IMAGE")


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def digest_of(parts: Mapping[str, str]) -> str:
    """One digest of named digests, independent of their order."""
    return digest("".join(f"{name}\0{value}\n" for name, value in sorted(parts.items())).encode())


def project_files(root: Path) -> list[str]:
    """Tracked and untracked, not ignored, files (uncommitted work included), and .env: it names the base images."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=root,
        capture_output=True,
        check=True,
    ).stdout.decode()
    files = sorted({f for f in listed.split("\0") if f} | ({".env"} if (root / ".env").exists() else set()))
    # --cached lists tracked files deleted in the working tree too.
    return [f for f in files if f.split("/")[0] not in NEVER_COPIED and (root / f).is_file()]


def file_digests(root: Path, files: Iterable[str]) -> dict[str, str]:
    return {name: digest((root / name).read_bytes()) for name in files}


# Written by the set-up as it runs (the base images' names: their IDs are keyed apart), so not
# part of which tree a report was written on: the Swarm chapters add to it mid-session.
NOT_SOURCE = (".env",)


def source_tree_digest(files: Mapping[str, str]) -> str:
    """One digest of the tree's sources (file -> digest), names and contents."""
    return digest_of({name: value for name, value in files.items() if name not in NOT_SOURCE})


def tree_digest(root: Path) -> str:
    """Which tree a JUnit report was written on (the root conftest writes it beside the report)."""
    return source_tree_digest(file_digests(root, project_files(root)))


def is_prose(name: str) -> bool:
    path = PurePosixPath(name)
    return path.suffix in PROSE_SUFFIXES or path.name in PROSE_NAMES


def build_context_files(root: Path, files: Iterable[str]) -> set[str]:
    """The files each Dockerfile's folder sends to the engine, after its .dockerignore (the
    engine's own matching, as docker-py implements it): what an image can be built from."""
    files = list(files)
    folders = {str(PurePosixPath(f).parent) for f in files if PurePosixPath(f).name.endswith("Dockerfile")}
    sent: set[str] = set()
    for folder in folders:
        context = root / folder
        ignore = context / ".dockerignore"
        patterns = [
            line.strip() for line in (ignore.read_text().splitlines() if ignore.exists() else []) if line.strip()
        ]
        patterns = [p for p in patterns if not p.startswith("#")]
        kept = set(exclude_paths(str(context), patterns))
        prefix = "" if folder == "." else folder + "/"
        sent |= {f for f in files if f.startswith(prefix) and f[len(prefix) :] in kept}
    return sent


def system_files(root: Path, files: Iterable[str]) -> set[str]:
    """What another program (Compose, a script, the engine building an image) may read: every file
    outside tests/ but prose, and any prose a build context sends."""
    files = list(files)
    own = {f for f in files if not f.startswith("tests/") and not is_prose(f)}
    return own | {f for f in build_context_files(root, files) if is_prose(f)}


def prose_read_by_code(root: Path, files: Iterable[str]) -> set[str]:
    """Prose that a file of code names (its path, or its name where it is unique): a program may read it."""
    files = list(files)
    prose = [f for f in files if is_prose(f)]
    code = "\n".join((root / f).read_text(errors="replace") for f in files if not is_prose(f))
    names = [PurePosixPath(f).name for f in prose]
    return {
        f for f in prose if f in code or (names.count(PurePosixPath(f).name) == 1 and PurePosixPath(f).name in code)
    }


# --- Python: which project modules a test file imports ---------------------------------------------


def module_file(module: str, files: set[str]) -> str | None:
    base = module.replace(".", "/")
    for candidate in (f"{base}.py", f"{base}/__init__.py"):
        if candidate in files:
            return candidate
    return None


# Bodies that run only when called, not when their module is imported.
RUN_WHEN_CALLED = (ast.FunctionDef, ast.AsyncFunctionDef)


def run_at_import(tree: ast.AST) -> Iterator[ast.AST]:
    """The nodes of a module that run when it is imported: all but functions' bodies (a class's
    body runs, and so do the blocks of a top-level `if`, `try` or `with`)."""
    todo = [tree]
    while todo:
        node = todo.pop()
        yield node
        todo += [c for c in ast.iter_child_nodes(node) if not isinstance(c, RUN_WHEN_CALLED)]


@functools.lru_cache(maxsize=4096)
def imported_modules(source: str, name: str) -> frozenset[str]:
    """Dotted names the module imports when it is imported, each with its parents (`from a.b
    import c` gives a, a.b, a.b.c). An import inside a function is left out: it happens only if
    the function runs, and then the run opened the module's file, which the audit hook records
    (tests/mutations/reads.py) and the key holds (keys.observed_inputs)."""
    package = name.rsplit("/", 1)[0].replace("/", ".") if "/" in name else ""
    found: set[str] = set()
    for node in run_at_import(ast.parse(source, filename=name)):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".") if package else []
                parts = parts[: len(parts) - node.level + 1] if node.level > 1 else parts
                base = ".".join([*parts, *([base] if base else [])])
            found.add(base)
            found |= {f"{base}.{alias.name}" for alias in node.names}
    # pytest_plugins = ["..."] in a conftest imports those too.
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "pytest_plugins" for t in node.targets
        ):
            found |= {e.value for e in ast.walk(node.value) if isinstance(e, ast.Constant) and isinstance(e.value, str)}
    with_parents = set()
    for dotted in found:
        parts = dotted.split(".")
        with_parents |= {".".join(parts[: i + 1]) for i in range(len(parts))}
    return frozenset(with_parents)


def conftests_of(test_file: str, files: set[str]) -> list[str]:
    """The conftest.py files pytest loads for `test_file`: the root's and every folder's above it."""
    parts = PurePosixPath(test_file).parts[:-1]
    candidates = ["conftest.py"] + ["/".join(parts[: i + 1]) + "/conftest.py" for i in range(len(parts))]
    return [c for c in candidates if c in files]


def python_closure(root: Path, start: Iterable[str], files: Iterable[str]) -> set[str]:
    """The project's Python files `start` (test files) import, directly or not, their conftests and
    packages' __init__ files included; pytest's configuration too."""
    files = set(files)
    todo = [f for f in start if f in files]
    for test_file in list(todo):
        todo += conftests_of(test_file, files)
    seen: set[str] = {f for f in ("pyproject.toml",) if f in files}
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        if not current.endswith(".py"):
            continue
        package_init = str(PurePosixPath(current).parent / "__init__.py")
        if package_init in files:
            todo.append(package_init)
        for module in imported_modules((root / current).read_text(encoding="utf-8"), current):
            found = module_file(module, files)
            if found is not None:
                todo.append(found)
    return seen


# --- the machine ----------------------------------------------------------------------------------


def tool_versions() -> dict[str, str]:
    """Python's, the test tools', the engine's and Compose's versions: "tool:<name>" -> version."""
    versions = {"tool:python": platform.python_version(), "tool:platform": platform.machine()}
    for distribution in TOOL_DISTRIBUTIONS:
        try:
            versions[f"tool:{distribution}"] = importlib.metadata.version(distribution)
        except importlib.metadata.PackageNotFoundError:
            versions[f"tool:{distribution}"] = "absent"
    versions["tool:engine"] = _command_output(ENGINE_VERSION)
    versions["tool:compose"] = _command_output(["docker", "compose", "version", "--short"])
    return versions


def _command_output(command: list[str]) -> str:
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    except (OSError, subprocess.TimeoutExpired) as error:
        return f"unavailable: {error}"
    return done.stdout.strip() if done.returncode == 0 else f"unavailable: exit {done.returncode}"


def base_image_ids(root: Path, environ: Mapping[str, str] = os.environ) -> dict[str, str]:
    """The ID ("image:<variable>") of of the base image a run would use (its name from the
    environment, else .env, else images.env's official name): a stand-in rebuilt under the same
    name is a new input."""
    dotenv = {k: v for k, v in dotenv_values(root / ".env").items() if v} if (root / ".env").exists() else {}
    official = {k: v for k, v in dotenv_values(root / "images.env").items() if v}
    ids: dict[str, str] = {}
    try:
        client = docker.from_env()
    except DockerException as error:
        return {f"image:{v}": f"no engine: {error}" for v in IMAGE_VARIABLES}
    try:
        for variable in IMAGE_VARIABLES:
            name = environ.get(variable) or dotenv.get(variable) or official.get(f"OFFICIAL_{variable}", "")
            try:
                ids[f"image:{variable}"] = f"{name} {client.images.get(name).id}"
            except (ImageNotFound, DockerException):
                ids[f"image:{variable}"] = f"{name} absent"
    finally:
        client.close()
    return ids
