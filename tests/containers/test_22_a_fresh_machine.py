"""Chapter 22. A fresh machine: the README's commands where nothing was installed
by hand. A machine that has been worked on for weeks hides a missing install step; these
scenarios start pristine Debian machines (debootstrap, in a privileged container with an
engine of its own: scripts/rehearse.sh), put the commit under test into them and run what the
README tells a newcomer. They take minutes: run them alone with `pytest -m rehearsal`
(`make rehearse`)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading

import pytest

from tests.support.environment import ROOT

pytestmark = [pytest.mark.rehearsal, pytest.mark.timeout(1800)]


REHEARSAL_SECONDS = 1700


def rehearse(machine: str) -> str:
    """Runs the rehearsal of `machine` and returns what it printed; fails with its steps and the
    last lines of the failed step's log. Stopped (a timeout, Ctrl-C), it is told to stop and
    given time to remove its machine."""
    env = {**os.environ, "REHEARSAL_LOGS": str(ROOT / "reports" / "rehearsal")}
    process = subprocess.Popen(
        ["scripts/rehearse.sh", machine],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    assert process.stderr is not None
    stop = threading.Timer(REHEARSAL_SECONDS, os.killpg, (process.pid, signal.SIGTERM))
    stop.start()
    lines = []
    try:
        for line in process.stderr:
            sys.stderr.write(line)  # each step as it ends (`pytest -s`), else in the report
            lines.append(line)
        process.wait()
    finally:
        stop.cancel()
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)  # it removes its machine, then exits
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
    output = "".join(lines)
    assert process.returncode == 0, f"the rehearsal on {machine} failed:\n{output[-6000:]}"
    return output


# The chapters the rehearsal's test command runs (scripts/rehearse.sh).
CHAPTERS_REHEARSED = (
    "tests/containers/test_12_in_a_browser.py "
    "tests/containers/test_14_migrations_and_roles.py::test_a_database_made_by_the_release_before_migrations_is_adopted_with_every_visit"
)


def steps_passed(output: str) -> list[str]:
    return re.findall(r"^rehearse: \[[^]]+\] (.+): ok \(\d+ s\)$", output, flags=re.MULTILINE)


def test_on_a_stock_bookworm_make_up_serves_the_page_and_make_test_is_green() -> None:
    """On Debian bookworm as it is installed (no engine; packages at the release's versions while
    its -updates and -security suites offer newer ones), from the commit alone: `make up`
    serves the page with the api's message on port 8080, a second run of its set-up installs
    and changes nothing, `make down` leaves no container or volume, and the README's test
    command is green for the browser chapter (the one that needs most of the machine) and for
    the migrations' adoption of a database made by an earlier release (that release built from
    the repository's files, in a copy with no git history); `make unit`, which the rehearsal
    runs next, passes too, since any failed step fails the rehearsal. With
    REHEARSAL_WHOLE_SUITE=1 the test command rehearsed is the whole `make test` instead."""
    output = rehearse("bookworm")

    steps = steps_passed(output)
    assert steps[:5] == [
        "make up",
        "the page shows the api's message on port 8080",
        "make up's set-up run again installs and changes nothing",
        "make down",
        "make down leaves no container or volume",
    ]
    assert steps[5] in ("make test", f"make test PYTEST_ARGS='{CHAPTERS_REHEARSED}'")


def test_an_engine_older_than_25_that_runs_is_refused_with_what_to_do_and_left_alone() -> None:
    """Where Debian's Docker Engine 20.10 is installed and running, `make up` stops within 60 s
    (its first check) with a message that names the engine's version and the version the
    project needs; the running engine is not replaced."""
    output = rehearse("bookworm-engine-20")

    assert "make up stops within 60 s with what to do: ok" in output
    assert "the running engine is left as it was: ok" in output
