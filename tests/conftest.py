"""Hypothesis profiles, one per purpose (issue 15).

- `ci` (the default, `make test`): no deadline (2 shared cores make timings noisy), derandomized
  so a run is reproducible: the same examples on every machine and every run; 100 examples for a
  test that sets no count of its own.
- `stress` (`make stress`, selected by SCENELANG_STRESS=1): 500 examples, random (a new search
  each run), no deadline, and every property test raised to 500 examples through
  `strategies.examples` (Blender-rendering tests included).

`HYPOTHESIS_PROFILE=<name>` picks a profile explicitly (e.g. `dev`: 10 examples, for a quick
edit-run loop). See docs/testing.md.

Markers: every Hypothesis test gets `property`; a test without `blender` that starts Blender fails
(tests/blender_guard.py); tests over SLOW_SECONDS without `slow` are listed after the run.
"""

from __future__ import annotations

import os

import blender_guard
import pytest
from hypothesis import HealthCheck, is_hypothesis_test, settings
from strategies import STRESS, STRESS_EXAMPLES

settings.register_profile("ci", deadline=None, derandomize=True, max_examples=100,
                          print_blob=True)
settings.register_profile("stress", deadline=None, derandomize=False,
                          max_examples=STRESS_EXAMPLES, print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", deadline=None, max_examples=10)

settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or ("stress" if STRESS else "ci"))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every Hypothesis test `property`, so `make stress` (`-m "blender or slow or property"`)
    selects every property test, not only the Blender and slow ones."""
    for item in items:
        if is_hypothesis_test(getattr(item, "obj", None)):
            item.add_marker(pytest.mark.property)


blender_guard.install()


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """A test without the `blender` marker may not start Blender (tests/blender_guard.py)."""
    blender_guard.arm(item)


@pytest.hookimpl(trylast=True)
def pytest_runtest_teardown(item: pytest.Item) -> None:
    blender_guard.check(item)


SLOW_SECONDS = 10.0
"""A test whose call takes longer than this should carry the `slow` marker (docs/testing.md)."""
_unmarked_slow: list[tuple[float, str]] = []


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when == "call" and report.passed and "slow" not in report.keywords \
            and report.duration > SLOW_SECONDS:
        _unmarked_slow.append((report.duration, report.nodeid))


def pytest_terminal_summary(terminalreporter) -> None:
    """List tests over SLOW_SECONDS without the `slow` marker (a report, not a failure: times
    on a loaded machine are inflated; mark the ones that are slow on an idle one)."""
    if _unmarked_slow:
        terminalreporter.section(f"tests over {SLOW_SECONDS:g} s without the slow marker")
        for seconds, nodeid in sorted(_unmarked_slow, reverse=True):
            terminalreporter.write_line(f"{seconds:7.1f} s  {nodeid}")
