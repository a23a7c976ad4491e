"""Hypothesis profiles, one per purpose (issue 15).

- `ci` (the default, `make test`): no deadline (2 shared cores make timings noisy), derandomized
  so a run is reproducible: the same examples on every machine and every run; 100 examples for a
  test that sets no count of its own.
- `stress` (`make stress`, selected by SCENELANG_STRESS=1): 500 examples, random (a new search
  each run), no deadline, and every property test raised to 500 examples through
  `strategies.examples` (Blender-rendering tests to their own, smaller stress counts).

`HYPOTHESIS_PROFILE=<name>` picks a profile explicitly (e.g. `dev`: 10 examples, for a quick
edit-run loop). See docs/testing.md.
"""

from __future__ import annotations

import os

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
