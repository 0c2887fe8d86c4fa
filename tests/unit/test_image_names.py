"""Every image name has one source, images.env: where a tool cannot read it (Compose's
defaults, a Dockerfile's ARG), the copy must say the same."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from tests.support.environment import IMAGE_NAMES, ROOT


@pytest.mark.parametrize("dockerfile", ["Dockerfile", "api/Dockerfile"])
def test_the_dockerfiles_default_base_image_is_the_official_one(dockerfile: str) -> None:
    defaults = re.findall(r"^ARG PYTHON_IMAGE=(\S+)$", (ROOT / dockerfile).read_text(), flags=re.MULTILINE)
    assert defaults == [IMAGE_NAMES["OFFICIAL_PYTHON_IMAGE"]]


# What each Compose file's ${VAR:-default} image defaults must be: the names in images.env.
_OFFICIAL = {
    "PYTHON_IMAGE": IMAGE_NAMES["OFFICIAL_PYTHON_IMAGE"],
    "POSTGRES_IMAGE": IMAGE_NAMES["OFFICIAL_POSTGRES_IMAGE"],
    "NGINX_IMAGE": IMAGE_NAMES["OFFICIAL_NGINX_IMAGE"],
    "WEBAPP_IMAGE": f"{IMAGE_NAMES['WEBAPP_REPOSITORY']}:dev",
    "API_IMAGE": f"{IMAGE_NAMES['API_REPOSITORY']}:dev",
}


@pytest.mark.parametrize(
    ("compose_file", "images"),
    [
        ("docker-compose.yml", ("PYTHON_IMAGE", "POSTGRES_IMAGE", "WEBAPP_IMAGE", "API_IMAGE")),
        ("swarm/stack.yml", ("NGINX_IMAGE", "POSTGRES_IMAGE", "WEBAPP_IMAGE", "API_IMAGE")),
    ],
)
def test_the_compose_files_defaults_are_the_names_in_images_env(compose_file: str, images: tuple[str, ...]) -> None:
    defaults = dict(re.findall(r"\$\{(\w+_IMAGE):-([^}]+)\}", (ROOT / compose_file).read_text()))

    assert defaults == {name: _OFFICIAL[name] for name in images}


def test_the_image_script_reads_its_names_from_images_env_and_the_environment_wins() -> None:
    script = 'source scripts/ensure-images.sh && echo "$OFFICIAL_POSTGRES_IMAGE $OFFLINE_PYTHON_IMAGE"'
    result = subprocess.run(
        ["bash", "-c", script],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "OFFLINE_PYTHON_IMAGE": "elsewhere/python:1"},
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.split() == [IMAGE_NAMES["OFFICIAL_POSTGRES_IMAGE"], "elsewhere/python:1"]


# --- names no one else owns ---------------------------------------------------------------------

# The registry host of every image the project makes: `.invalid` is never resolved (RFC 6761),
# so no engine pulls such a name from anywhere; a name without a registry host would be Docker
# Hub's (`offline/python` is whoever owns `offline` there), and a Swarm node pulls a task's
# image by name when it starts it.
OWN_REGISTRY = "docker-tutorial.invalid/"
# Where a name is given to an image the project builds, tags or imports, by kind of file.
_NAMING = {
    ".sh": (
        r"\s(?:-t|--tag)\s+\"?([^\s\"]+)",
        r"docker tag\s+\S+\s+\"?([^\s\"]+)",
        r"docker import\s(?:--change \"[^\"]*\"\s+)?\S+\s+\"?([^\s\"]+)",
        r"\b\w+_IMAGE=([^\s;$\"][^\s;\"]*)",
        r"\$\{\w+_IMAGE:-([^}]+)\}",
    ),
    ".yml": (r"\$\{\w+_IMAGE:-([^}]+)\}", r"^\s*image:\s+(?:&\S+\s+)?([^\s$*&{][^\s]*)"),
    ".py": (r"\btag\s*=\s*f?\"([^\"]+)\"", r"\"\w+_IMAGE\":\s*f?\"([^\"]+)\"", r"\b\w+_IMAGE=f?\"([^\"]+)\""),
    "Dockerfile": (r"^ARG \w*IMAGE=(\S+)",),
    "images.env": (r"^(?:OFFLINE_\w+_IMAGE|\w+_REPOSITORY)=(\S+)",),
}


def _kind(path: str) -> str | None:
    name = path.rsplit("/", 1)[-1]
    if name == "images.env":
        return name
    if name.endswith("Dockerfile"):
        return "Dockerfile"
    suffix = "." + name.rsplit(".", 1)[-1] if "." in name else ""
    return suffix if suffix in _NAMING else None


def names_given(path: str, text: str) -> list[str]:
    """The image names `text` (a file of kind `path`) gives, as literals: a name whose
    repository is a variable (`$image`, `{WEBAPP_REPOSITORY}:src-...`, `$REGISTRY/...`) is
    given where the variable is."""
    kind = _kind(path)
    found = [m.group(1) for pattern in _NAMING.get(kind or "", ()) for m in re.finditer(pattern, text, re.M)]
    return [name for name in found if not re.match(r"\"?(\$\{?\w+\}?|\{[^}]*\})([:/@]|$)", name)]


def acceptable(name: str) -> bool:
    """Ours (under the registry no one reaches), one of the official images images.env names
    (pulled, never made), or one on the three nodes' own registries (a loopback port, or the
    name the nodes give theirs)."""
    official = {v for k, v in IMAGE_NAMES.items() if k.startswith("OFFICIAL_")}
    return name.startswith((OWN_REGISTRY, "127.0.0.1:", "registry:5000/")) or name in official


def _code_files() -> list[str]:
    # The tree as it is (a scratch copy of it has no git): what is not hidden, a report or a cache.
    listed = []
    for folder, subfolders, files in os.walk(ROOT):
        subfolders[:] = [d for d in subfolders if not d.startswith((".", "__pycache__", "reports"))]
        listed += [str((Path(folder) / f).relative_to(ROOT)) for f in files]
    # An old release's files, kept as they were, run under names the scenario gives them; the
    # lint's self-test writes wrong Dockerfiles on purpose, for the lint to refuse.
    skipped = ("tests/fixtures/", "tests/unit/", "scripts/lint-selftest.sh")
    return [f for f in listed if _kind(f) and not f.startswith(skipped)]


def services_built_without_a_name(text: str) -> list[str]:
    """The services of a Compose file (its `services:` block, two spaces a level) that are built
    and given no `image:`: Compose names their images `<project>-<service>`, a name Docker Hub's
    library could serve."""
    block = re.search(r"^services:\n((?:(?:  .*)?\n)*)", text, re.M)
    if block is None:
        return []
    services = re.split(r"^  (?=[\w.-]+:)", block.group(1), flags=re.M)[1:]
    keys = [(service.split(":", 1)[0], set(re.findall(r"^    (\w+):", service, re.M))) for service in services]
    return [name for name, keys_of in keys if "build" in keys_of and "image" not in keys_of]


def test_every_image_name_the_project_makes_is_under_a_registry_no_one_reaches() -> None:
    texts = {path: (ROOT / path).read_text() for path in _code_files()}
    given = {(path, name) for path, text in texts.items() for name in names_given(path, text)}
    given |= {
        (path, f"<project>-{service}")
        for path, text in texts.items()
        if path.endswith(".yml")
        for service in services_built_without_a_name(text)
    }

    assert len(given) >= 20, given  # the scan still finds the names it is for
    assert sorted((path, name) for path, name in given if not acceptable(name)) == []


@pytest.mark.parametrize(
    ("path", "text", "name"),
    [
        ("scripts/x.sh", 'docker build -q -t "offline/python:1" .', "offline/python:1"),
        ("scripts/x.sh", 'docker tag "$image" "docker-tutorial/webapp:dev"', "docker-tutorial/webapp:dev"),
        ("scripts/x.sh", "tar -c . | docker import - offline/debian:trixie >/dev/null", "offline/debian:trixie"),
        ("scripts/x.sh", 'docker import --change "LABEL a=b" "$t" "rehearsal/x:pristine"', "rehearsal/x:pristine"),
        ("scripts/x.sh", '    -f "$f" -t "docker-tutorial/cluster-$i:dev" \\\n', "docker-tutorial/cluster-$i:dev"),
        ("t.py", '    tag = f"{PREFIX}impostor:{os.getpid()}"', "{PREFIX}impostor:{os.getpid()}"),
        ("x.yml", "    image: ${WEBAPP_IMAGE:-webapp:dev}\n", "webapp:dev"),
        ("x.yml", "    image: bench-web:latest\n", "bench-web:latest"),
        ("t.py", 'DockerImage(path=p, tag=f"rebuild-test:{run}")', "rebuild-test:{run}"),
        ("t.py", '{"WEBAPP_IMAGE": "docker-tutorial/webapp:bench"}', "docker-tutorial/webapp:bench"),
        ("x/Dockerfile", "ARG BASE_IMAGE=offline/debian:trixie\n", "offline/debian:trixie"),
        ("images.env", "OFFLINE_NGINX_IMAGE=offline/nginx:trixie\n", "offline/nginx:trixie"),
    ],
)
def test_a_name_a_public_registry_could_serve_is_found_and_refused(path: str, text: str, name: str) -> None:
    assert names_given(path, text) == [name]
    assert not acceptable(name)


def test_a_compose_service_built_without_an_image_name_is_found() -> None:
    text = (
        "x-a: &a\n  k: v\nservices:\n  web:\n    build: .\n  api:\n    <<: *a\n    build: ./api\n"
        "    image: x.invalid/api:1\n\n  db:\n    image: y\nvolumes:\n  data:\n"
    )
    assert services_built_without_a_name(text) == ["web"]
    assert not acceptable("<project>-web")
