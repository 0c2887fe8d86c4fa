"""pytest's JUnit reports read back (tests/support/junit.py), the one reader of the soak, the
mistake runner and the specification's results: node ids as pytest writes them, and each
test's worst outcome."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.junit import (
    FAILED,
    INTERNAL_ERROR,
    PASSED,
    SKIPPED,
    node_id,
    outcomes_by_node,
    parse_cases,
    read_cases,
)
from tests.tools.specification import read_results

REPORT = """<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="pytest" errors="1" failures="1" skipped="1" tests="5">
  <testcase classname="tests.containers.test_06_compose_basics" name="test_up" time="3.1"/>
  <testcase classname="tests.containers.test_09_retry_on_startup" name="test_restart" time="9.0">
    <failure message="AssertionError">assert 503 == 200
----------------------------- containers -----------------------------
===== db logs =====
database system is ready to accept connections</failure>
  </testcase>
  <testcase classname="tests.unit.test_views" name="test_escape[&lt;b&gt;|x]" time="0.1">
    <skipped type="pytest.skip" message="not here">skipped</skipped>
  </testcase>
  <testcase classname="tests.unit.test_views.TestPage" name="test_total" time="0.1"/>
  <testcase classname="tests.unit.test_views.TestPage" name="test_total" time="0.1">
    <error message="failed on teardown with &quot;OSError&quot;">OSError</error>
  </testcase>
  <testcase classname="" name="tests.containers.test_11_whole_system" time="0.0">
    <error message="collection failure">SyntaxError</error>
  </testcase>
</testsuite></testsuites>
"""


def _outcomes(path: Path) -> dict[str, str]:
    return outcomes_by_node(read_cases(path))


@pytest.mark.parametrize(
    ("classname", "name", "expected"),
    [
        ("tests.unit.test_views", "test_page", "tests/unit/test_views.py::test_page"),
        ("tests.unit.test_views.TestPage", "test_total[1]", "tests/unit/test_views.py::TestPage::test_total[1]"),
        ("tests.unit.test_views.TestPage.TestInner", "test_x", "tests/unit/test_views.py::TestPage::TestInner::test_x"),
        ("", "tests.containers.test_11_whole_system", "tests/containers/test_11_whole_system.py"),
        ("pytest", "internal", INTERNAL_ERROR),
    ],
)
def test_junit_names_become_pytest_node_ids(classname: str, name: str, expected: str) -> None:
    """A scenario is named by its node id, as `pytest <node id>` takes it, whatever pytest's report called it."""
    assert node_id(classname, name) == expected


def test_each_scenario_gets_its_worst_outcome_in_a_run() -> None:
    """Failures and errors (at setup, teardown or collection) count as failed; a teardown error outweighs a pass."""
    assert outcomes_by_node(parse_cases(REPORT)) == {
        "tests/containers/test_06_compose_basics.py::test_up": PASSED,
        "tests/containers/test_09_retry_on_startup.py::test_restart": FAILED,
        "tests/unit/test_views.py::test_escape[<b>|x]": SKIPPED,
        "tests/unit/test_views.py::TestPage::test_total": FAILED,
        "tests/containers/test_11_whole_system.py": FAILED,
    }


def test_a_missing_or_truncated_report_means_no_outcomes(tmp_path: Path) -> None:
    """A pytest process killed before it wrote its report leaves the run failed, with no scenario blamed."""
    truncated = tmp_path / "run-1.xml"
    truncated.write_text(REPORT[:300])
    assert _outcomes(truncated) == {}
    assert _outcomes(tmp_path / "absent.xml") == {}


def test_node_ids_match_what_pytest_itself_reports(tmp_path: Path) -> None:
    """Read back from a real report, the node ids are pytest's own (classes, parameters, a failure, a skip)."""
    (tmp_path / "test_sample.py").write_text(
        "import pytest\n"
        "def test_ok(): pass\n"
        "def test_bad(): assert False\n"
        "@pytest.mark.parametrize('n', [1, 2])\n"
        "def test_param(n): pass\n"
        "class TestGroup:\n"
        "    def test_skip(self): pytest.skip('later')\n"
    )
    # Not the soak's plugin nor its session file: this pytest runs outside the project.
    env = {k: v for k, v in os.environ.items() if k not in ("PYTEST_ADDOPTS", "SOAK_SESSIONS_FILE")}
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "--junitxml=report.xml"]
    listed = subprocess.run([*command, "--collect-only"], cwd=tmp_path, env=env, capture_output=True, text=True)
    subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, check=False)
    collected = {line for line in listed.stdout.splitlines() if "::" in line}

    outcomes = _outcomes(tmp_path / "report.xml")

    assert set(outcomes) == collected
    assert outcomes["test_sample.py::test_bad"] == FAILED
    assert outcomes["test_sample.py::TestGroup::test_skip"] == SKIPPED
    assert outcomes["test_sample.py::test_param[2]"] == PASSED


def test_a_scenario_with_a_case_skipped_and_one_failed_is_failed_in_the_specification(tmp_path: Path) -> None:
    """The specification's results fold a scenario's parameters together: one failed case makes
    it failed whatever came before or after it, one skipped case among passed ones makes it skipped."""
    report = tmp_path / "junit.xml"
    report.write_text(
        '<testsuites><testsuite name="pytest">'
        '<testcase classname="tests.unit.test_x" name="test_a[1]"><skipped message="no"/></testcase>'
        '<testcase classname="tests.unit.test_x" name="test_a[2]"><failure message="boom"/></testcase>'
        '<testcase classname="tests.unit.test_x" name="test_b[1]"/>'
        '<testcase classname="tests.unit.test_x" name="test_b[2]"><skipped message="no"/></testcase>'
        '<testcase classname="tests.unit.test_x" name="test_c[1]"/>'
        '<testcase classname="tests.unit.test_x" name="test_d[1]"><error message="teardown"/></testcase>'
        '<testcase classname="tests.unit.test_x" name="test_d[2]"/>'
        "</testsuite></testsuites>"
    )
    assert read_results(report) == {
        ("tests.unit.test_x", "test_a"): FAILED,
        ("tests.unit.test_x", "test_b"): SKIPPED,
        ("tests.unit.test_x", "test_c"): PASSED,
        ("tests.unit.test_x", "test_d"): FAILED,
    }
