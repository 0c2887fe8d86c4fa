"""`make bench`: this project's stack beside the tutorial's own design, on one engine, with the
same base images, one after the other; writes BENCHMARKS.md (or, with --smoke, a quick
one-iteration run to reports/bench-smoke.md that only proves the benchmark still works).

Every figure is a median of --runs measurements taken in this run: absolute numbers vary
about 2x between machines of this kind, so only the ratios mean much.
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import docker
import requests
from dotenv import dotenv_values

from bench.report import Figures, in_turns_figure, render
from bench.stacks import ROOT, Stack, our_stack, tutorial_stack
from bench.wrk import LoadResult, ensure_wrk, run_load
from tests.support.environment import OFFICIAL_POSTGRES_IMAGE, OFFICIAL_PYTHON_IMAGE


@dataclass(frozen=True)
class Plan:
    rows: tuple[int, ...]
    connections: tuple[int, ...]
    seconds: float
    runs: int
    output: Path
    # Measurements of each stack for the headline figure, taken in turns (see in_turns).
    turns: int = 5


FULL = Plan(rows=(0, 10_000, 100_000, 1_000_000), connections=(1, 8), seconds=5, runs=3, output=ROOT / "BENCHMARKS.md")
SMOKE = Plan(rows=(0, 1_000), connections=(8,), seconds=1, runs=1, output=ROOT / "reports" / "bench-smoke.md", turns=1)


def say(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr, flush=True)


def median_load(stack: Stack, plan: Plan, rows: int, connections: int, wrk: str, path: str = "/") -> LoadResult:
    """The median run (by throughput) of `plan.runs`, each on a table of exactly `rows` visits."""
    results = []
    for _ in range(plan.runs):
        if path == "/":
            stack.seed(rows)
        results.append(run_load(stack.url(path), connections=connections, seconds=plan.seconds, wrk=wrk))
    results.sort(key=lambda r: r.requests_per_second)
    return results[len(results) // 2]


def stats_sample(stack: Stack, *services: str) -> tuple[float, float]:
    """CPU (% of one core) and memory (MiB) of the stack (or of `services`), from one `docker stats` sample."""
    ids = stack.compose("ps", "-q", *services).split()
    output = subprocess.run(
        ["docker", "stats", "--no-stream", "--format", "{{.CPUPerc}} {{.MemUsage}}", *ids],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    cpu = memory = 0.0
    for line in output.splitlines():
        percent, usage = line.split(" ", 1)
        cpu += float(percent.rstrip("%"))
        amount = usage.split("/")[0].strip()
        factor = {"KiB": 1 / 1024, "MiB": 1.0, "GiB": 1024.0, "B": 1 / 1024 / 1024}
        unit = next(u for u in ("KiB", "MiB", "GiB", "B") if amount.endswith(u))
        memory += float(amount.removesuffix(unit)) * factor[unit]
    return cpu, memory


def median_stats(stack: Stack, samples: int, *services: str) -> tuple[float, float]:
    taken = [stats_sample(stack, *services) for _ in range(samples)]
    return statistics.median(c for c, _ in taken), statistics.median(m for _, m in taken)


def stats_under_load(stack: Stack, plan: Plan, wrk: str) -> tuple[float, float]:
    """The stack's CPU and memory while 8 clients load the page (10,000 rows)."""
    stack.seed(min(10_000, max(plan.rows)))
    seconds = max(plan.seconds, 4)
    results: list[LoadResult] = []
    url = stack.url()
    load = threading.Thread(
        target=lambda: results.append(run_load(url, connections=8, seconds=seconds, wrk=wrk)), daemon=True
    )
    load.start()
    time.sleep(1)  # the load is under way (a benchmark's schedule, not a test's synchronisation)
    figures = median_stats(stack, 1 if plan.runs == 1 else 2)
    load.join()
    if not results or not results[0].completed:
        raise RuntimeError(f"{stack.label}: the load for the figures under load did not run")
    return figures


SERVICES = ("webapp", "api", "db")


def cpu_per_request(stack: Stack, plan: Plan, wrk: str, path: str) -> dict[str, float]:
    """Microseconds of CPU each service spends per request of `path` under 8 connections,
    from the engine's cumulative count for each container (cgroup v1 or v2 alike): where the
    cost of a page lies, beside that of `/healthz`."""
    containers = {service: stack.container(service) for service in SERVICES}

    def used() -> dict[str, int]:
        counts = {}
        for service, container in containers.items():
            stats = container.stats(stream=False, one_shot=True)
            assert isinstance(stats, dict)  # not streamed
            counts[service] = int(stats["cpu_stats"]["cpu_usage"]["total_usage"])
        return counts

    before = used()
    result = run_load(stack.url(path), connections=8, seconds=plan.seconds, wrk=wrk)
    after = used()
    if result.errors or not result.completed:
        raise RuntimeError(f"{stack.label}: {path} under load: {result.completed} answered, {result.errors} errors")
    return {service: (after[service] - before[service]) / 1000 / result.completed for service in SERVICES}


def stop_seconds(stack: Stack, service: str) -> tuple[float, int]:
    container = stack.container(service)
    started = time.monotonic()
    container.stop(timeout=10)
    elapsed = time.monotonic() - started
    container.reload()
    return elapsed, int(container.attrs["State"]["ExitCode"])


def database_to_serving(stack: Stack) -> float:
    """Seconds from the database being ready to the page answering 200, when the webapp was
    started first (the database started 2 s after it)."""
    stack.compose("stop")
    stack.compose("start", "api")
    stack.compose("up", "-d", "--no-deps", "webapp")
    time.sleep(2)  # the webapp runs without its database for a while: the situation measured
    answered: list[float] = []
    poller = threading.Thread(target=lambda: answered.append(_first_200(stack)))
    poller.start()
    stack.compose("start", "db")
    while True:
        # The database became ready at the latest when the check that saw it began.
        checked = time.monotonic()
        if stack.db_ready():
            break
        time.sleep(0.02)
    ready = checked
    poller.join(timeout=120)
    return answered[0] - ready if answered else float("nan")


def _first_200(stack: Stack) -> float:
    url = stack.url()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if requests.get(url, timeout=60).status_code == 200:
                return time.monotonic()
        except requests.RequestException:
            pass
        time.sleep(0.02)
    return float("nan")


def rebuild_after_one_line(context: Path, code_file: str, dockerfile: str, build_args: dict[str, str]) -> float:
    """Seconds to rebuild the image after a one-line change to its code (cache warm)."""
    client = docker.from_env()
    with tempfile.TemporaryDirectory() as scratch:
        copy = Path(scratch) / "context"
        clutter = shutil.ignore_patterns("__pycache__", ".venv", ".git", "reports", ".tox", "secrets")
        shutil.copytree(context, copy, ignore=clutter)
        tag = f"docker-tutorial.invalid/bench-rebuild:{context.name or 'root'}"
        command = ["docker", "build", "-q", "-t", tag, "-f", str(copy / dockerfile)]
        for name, value in build_args.items():
            command += ["--build-arg", f"{name}={value}"]
        subprocess.run([*command, str(copy)], check=True, capture_output=True)
        with (copy / code_file).open("a") as code:
            code.write("\n# a one-line change\n")
        started = time.monotonic()
        subprocess.run([*command, str(copy)], check=True, capture_output=True)
        elapsed = time.monotonic() - started
        client.images.remove(tag, force=True)
    return elapsed


def image_figures(stack: Stack) -> dict[str, float]:
    client = docker.from_env()
    sizes = {}
    for service in ("webapp", "api"):
        image = client.images.get(stack.container(service).attrs["Image"])
        sizes[service] = image.attrs["Size"] / 1e6
    return sizes


def our_layers(stack: Stack) -> list[tuple[float, str]]:
    client = docker.from_env()
    image = client.images.get(stack.container("webapp").attrs["Image"])
    return [(layer["Size"] / 1e6, layer["CreatedBy"]) for layer in image.history() if layer["Size"] > 0]


def measure(stack: Stack, plan: Plan, wrk: str, key: str, figures: Figures, environment: dict[str, str]) -> None:
    record: Callable[[str, object], None] = lambda name, value: figures.record(name, key, value)  # noqa: E731
    say(f"{stack.label}: building")
    stack.down()
    stack.build()
    record("up (built images) to the page answering 200, s", stack.up())
    figures.layers_of[key] = our_layers(stack) if key == "ours" else []
    for service, size in image_figures(stack).items():
        record(f"{service} image size, MB", size)

    cpu, memory = median_stats(stack, plan.runs)
    record("stack CPU at rest, % of a core", cpu)
    record("stack memory at rest, MiB", memory)
    record("webapp memory at rest, MiB", median_stats(stack, plan.runs, "webapp")[1])

    for rows in plan.rows:
        stack.seed(rows)
        record(f"response size at {rows:,} rows, bytes", len(requests.get(stack.url(), timeout=120).content))
        for connections in plan.connections:
            say(f"{stack.label}: GET / at {rows:,} rows, {connections} connection(s)")
            result = median_load(stack, plan, rows, connections, wrk)
            record(f"GET / {rows:,} rows, {connections} conn: req/s", result.requests_per_second)
            record(f"GET / {rows:,} rows, {connections} conn: p50 ms", result.p50_ms)
            record(f"GET / {rows:,} rows, {connections} conn: p99 ms", result.p99_ms)
            record(f"GET / {rows:,} rows, {connections} conn: errors", result.errors)
        if rows == max(plan.rows) and key == "ours":
            shown = requests.get(stack.url("/visits.json?limit=1"), timeout=30).json()["total"]
            figures.count_check = (int(shown), int(stack.psql("SELECT count(*) FROM visits")))
    if key == "ours":
        say(f"{stack.label}: /healthz")
        record(
            "GET /healthz, 8 conn: req/s (the server's ceiling)",
            median_load(stack, plan, 0, 8, wrk, "/healthz").requests_per_second,
        )
        stack.seed(0)
        # The page costs the same at any number of rows (see the figures): the table may grow meanwhile.
        for path in ("/", "/healthz"):
            for service, microseconds in cpu_per_request(stack, plan, wrk, path).items():
                record(f"GET {path}, 8 conn: CPU per request in {service}, us", microseconds)

    cpu, memory = stats_under_load(stack, plan, wrk)
    record("stack CPU under load (8 conn), % of a core", cpu)
    record("stack memory under load (8 conn), MiB", memory)

    record("database ready to the page answering 200 (webapp started first), s", database_to_serving(stack))
    for service in SERVICES:
        seconds, code = stop_seconds(stack, service)
        record(f"docker stop {service}, s", seconds)
        record(f"docker stop {service}: exit code", code)
    stack.down()

    python_image = environment.get("PYTHON_IMAGE", OFFICIAL_PYTHON_IMAGE)
    if key == "ours":
        seconds = rebuild_after_one_line(ROOT, "app/views.py", "Dockerfile", {"PYTHON_IMAGE": python_image})
    else:
        seconds = rebuild_after_one_line(
            ROOT / "bench" / "tutorial" / "webapp", "main.py", "Dockerfile", {"PYTHON_IMAGE": python_image}
        )
    record("rebuild after a one-line code change, s", seconds)


def in_turns(stacks: dict[str, Stack], plan: Plan, rows: int, wrk: str, figures: Figures) -> None:
    """`GET /` at `rows` rows, 8 connections, with both stacks up and measured in turns, the
    other one paused meanwhile (a paused container takes no CPU). A machine whose speed
    drifts during the run then slows both alike; one whole stack after the other cannot
    promise that, and the headline ratio is read from these figures."""
    results: dict[str, list[float]] = {key: [] for key in stacks}
    try:
        for stack in stacks.values():
            stack.up()
        urls = {key: stack.url() for key, stack in stacks.items()}
        for turn in range(plan.turns):
            # Each stack goes first in every other turn, so neither always follows the other.
            order = list(stacks) if turn % 2 == 0 else list(reversed(stacks))
            for key in order:
                others = [stack for other, stack in stacks.items() if other != key]
                for other in others:
                    other.compose("pause")
                try:
                    say(f"{stacks[key].label}: GET / at {rows:,} rows, 8 connections, turn {turn + 1}")
                    stacks[key].seed(rows)
                    result = run_load(urls[key], connections=8, seconds=plan.seconds, wrk=wrk)
                    results[key].append(result.requests_per_second)
                finally:
                    for other in others:
                        other.compose("unpause")
    finally:
        for stack in stacks.values():
            stack.down()
    for key, values in results.items():
        figures.record(in_turns_figure(rows), key, statistics.median(values))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="one quick iteration; writes reports/bench-smoke.md")
    parser.add_argument("--runs", type=int, help="measurements per figure (median taken); default 3")
    args = parser.parse_args(argv)
    plan = SMOKE if args.smoke else FULL
    if args.runs:
        plan = Plan(plan.rows, plan.connections, plan.seconds, args.runs, plan.output)

    environment = {k: v for k, v in dotenv_values(ROOT / ".env").items() if v is not None}
    wrk = ensure_wrk()
    figures = Figures()
    started = time.monotonic()
    stacks = {"tutorial": tutorial_stack(environment), "ours": our_stack(environment)}
    for key, stack in stacks.items():
        try:
            measure(stack, plan, wrk, key, figures, environment)
        finally:
            stack.down()
    in_turns(stacks, plan, 10_000 if 10_000 in plan.rows else max(plan.rows), wrk, figures)
    plan.output.parent.mkdir(parents=True, exist_ok=True)
    machine = _machine(environment)
    plan.output.write_text(render(figures, plan_text=_plan_text(plan), machine=machine, rows=plan.rows))
    # The raw figures too, for a later look (reports/ is not committed).
    raw = ROOT / "reports" / f"bench{'-smoke' if args.smoke else ''}.json"
    raw.parent.mkdir(parents=True, exist_ok=True)
    raw.write_text(json.dumps({"machine": machine, "values": figures.values, "count_check": figures.count_check}))
    say(f"wrote {plan.output.relative_to(ROOT)} in {time.monotonic() - started:.0f} s")
    print(plan.output.read_text())
    return 0


def _plan_text(plan: Plan) -> str:
    return (
        f"wrk, 1 thread, {plan.seconds:g} s per measurement, median of {plan.runs}; "
        f"the table reseeded to exactly the stated rows before each measurement; one stack after "
        f"the other, then the headline figure with both up, in {plan.turns} turns each, the other paused"
    )


def _machine(environment: dict[str, str]) -> str:
    cpus = subprocess.run(["nproc"], capture_output=True, text=True, check=False).stdout.strip()
    memory_kib = next(
        (
            int(line.split()[1])
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal")
        ),
        0,
    )
    engine = docker.from_env().version().get("Version", "?")
    return (
        f"{cpus} CPUs, {memory_kib / 1024 / 1024:.0f} GiB, Linux {platform.release()}, Docker engine {engine}; "
        f"base images {environment.get('PYTHON_IMAGE', OFFICIAL_PYTHON_IMAGE)} and "
        f"{environment.get('POSTGRES_IMAGE', OFFICIAL_POSTGRES_IMAGE)} for both stacks"
    )


if __name__ == "__main__":
    raise SystemExit(main())
