"""A gate stage's clean pass, stored by content and reused while none of its inputs changed.

    python -m tests.mutations.stages NAME [--report FILE ...] -- COMMAND...

Runs COMMAND unless a pass of stage NAME is stored under the same inputs: every file of the
project but prose no code names (docs a test or script reads are inputs), the command, the
tools' and engine's versions, the base images' IDs and the environment variables that shape a
run. A reused pass writes back the reports it made, so what checks them reads the same files.
Only a pass (exit 0) is stored. The audit: a reused pass is run again from scratch at random,
one time in STAGE_AUDIT_ONE_IN (default 4); a pass that does not hold fails the gate. FRESH=1
(or --fresh) ignores the store. The store is the verdicts' (verdicts.default_location) beside them.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from tests.mutations import inputs, verdicts

ROOT = Path(__file__).resolve().parents[2]
FORMAT = 1
# Variables that change what a stage runs against (images, engine, interpreters, the browser).
ENVIRONMENT_PREFIXES = ("DOCKER_", "TC_", "TESTCONTAINERS_", "PYENV_", "REHEARSAL_", "OFFLINE")
ENVIRONMENT_NAMES = ("PYTHON_IMAGE", "POSTGRES_IMAGE", "NGINX_IMAGE", "CHROMIUM", "WEBAPP_IMAGE", "API_IMAGE")


def stage_inputs(
    root: Path, command: Sequence[str], environ: Mapping[str, str], host_images: bool = True
) -> dict[str, str]:
    """Every input of the stage; the engine's base images only where it uses them (a rehearsal
    builds its own on machines of its own)."""
    files = [f for f in inputs.project_files(root) if f not in inputs.NOT_SOURCE]
    read = [f for f in files if not inputs.is_prose(f)] + sorted(inputs.prose_read_by_code(root, files))
    shaping = {
        f"env:{k}": v for k, v in environ.items() if k.startswith(ENVIRONMENT_PREFIXES) or k in ENVIRONMENT_NAMES
    }
    return {
        "command": inputs.digest(json.dumps(list(command)).encode()),
        **{f"file:{f}": d for f, d in inputs.file_digests(root, read).items()},
        "files": inputs.digest("\n".join(sorted(read)).encode()),
        **inputs.tool_versions(),
        **(inputs.base_image_ids(root, environ) if host_images else {}),
        **shaping,
    }


def _store_file(store: Path, stage: str) -> Path:
    return store / "stages" / f"{stage}.json"


def stored_pass(store: Path, stage: str, warn: Callable[[str], None]) -> dict[str, Any] | None:
    path = _store_file(store, stage)
    if not path.exists():
        return None
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        if document.get("format") != FORMAT or document.get("project") != verdicts.PROJECT:
            raise ValueError("not a stage pass of this project")
        if not isinstance(document["inputs"], dict) or not isinstance(document["reports"], dict):
            raise ValueError("malformed")
        return dict(document)
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
        warn(f"ignoring the stored pass {path}: {error}")
        return None


def changed(stored: Mapping[str, str], now: Mapping[str, str]) -> list[str]:
    return sorted({k for k in {*stored, *now} if stored.get(k) != now.get(k)})


def save(store: Path, stage: str, now: Mapping[str, str], reports: Sequence[Path], seconds: float) -> None:
    path = _store_file(store, stage)
    document = {
        "format": FORMAT,
        "project": verdicts.PROJECT,
        "inputs": dict(now),
        "seconds": round(seconds, 1),
        "reports": {str(r.relative_to(ROOT)): r.read_text(encoding="utf-8") for r in reports if r.exists()},
    }
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".tmp")
        partial.write_text(json.dumps(document), encoding="utf-8")
        os.replace(partial, path)
    except OSError as error:
        print(f"stage {stage}: could not store its pass in {path.parent}: {error}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.mutations.stages", description=__doc__.splitlines()[0])
    parser.add_argument("stage")
    parser.add_argument("--report", action="append", type=Path, default=[], help="a report the command writes")
    parser.add_argument("--fresh", action="store_true", default=os.environ.get("FRESH", "") not in ("", "0"))
    parser.add_argument("--store", type=Path, default=verdicts.default_location().parent)
    parser.add_argument(
        "--without-host-images",
        action="store_true",
        help="the stage builds its own images on machines of its own: the engine's are no input",
    )
    argv = list(sys.argv[1:] if argv is None else argv)
    # The command is everything after the first "--" (its own options are its own).
    split = argv.index("--") if "--" in argv else len(argv)
    args = parser.parse_args(argv[:split])
    command = argv[split + 1 :]
    if not command:
        parser.error("no command given (after --)")
    reports = [r if r.is_absolute() else ROOT / r for r in args.report]

    def say(message: str) -> None:
        print(f"stage {args.stage}: {message}", file=sys.stderr, flush=True)

    now = stage_inputs(ROOT, command, os.environ, host_images=not args.without_host_images)
    stored = None if args.fresh else stored_pass(args.store, args.stage, say)
    audit = False
    if stored is not None:
        difference = changed(stored["inputs"], now)
        if not difference:
            one_in = int(os.environ.get("STAGE_AUDIT_ONE_IN", "4"))
            audit = one_in > 0 and random.randrange(one_in) == 0  # noqa: S311 (a sample, not a secret)
            if not audit:
                for name, text in stored["reports"].items():
                    (ROOT / name).parent.mkdir(parents=True, exist_ok=True)
                    (ROOT / name).write_text(text, encoding="utf-8")
                say(f"reused a stored pass (every input unchanged; it took {stored['seconds']} s)")
                return 0
            say("audit: a stored pass whose inputs are unchanged, run again from scratch")
        else:
            shown = ", ".join(difference[:3]) + (f" and {len(difference) - 3} more" if len(difference) > 3 else "")
            say(f"runs: changed: {shown}")
    else:
        say("runs: " + ("--fresh: the store is ignored" if args.fresh else "no stored pass"))
    started = time.monotonic()
    exit_code = subprocess.run(command, cwd=ROOT, check=False).returncode
    seconds = time.monotonic() - started
    if exit_code != 0:
        if audit:
            say(f"audit: the stored pass did not hold (exit {exit_code}): its key missed an input")
        return exit_code
    save(args.store, args.stage, now, reports, seconds)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
