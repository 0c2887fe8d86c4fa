"""How Hypothesis runs the suite's property tests. Imported by each test module that uses it,
before its tests are decorated (a test's settings take their defaults from the loaded profile).

In a planted mistake's run (the runner sets PLANTED_MISTAKE) only a failure counts, not the
smallest example of one: the search stops at the first falsifying example instead of shrinking
it, and keeps no example database in the mutant's throw-away copy. A mutant of the access log
spent up to 68 s shrinking what it had found in about one.
"""

from __future__ import annotations

import os

from hypothesis import Phase, settings

PLANTED_MISTAKE = "PLANTED_MISTAKE"  # as tests/mutations/run.py names it
FIRST_FAILURE = "first-failure"

settings.register_profile(FIRST_FAILURE, phases=(Phase.explicit, Phase.reuse, Phase.generate), database=None)
if os.environ.get(PLANTED_MISTAKE):
    settings.load_profile(FIRST_FAILURE)
