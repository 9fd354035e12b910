"""A property-based run over the whole OpenAPI document (schemathesis, fixed seed): whatever the
inputs, no answer is a server error and every answer fits the schema it documents.

The app runs in-process on the test's transaction, signed in as an administrator, over the
demo's data; a longer run is `make fuzz` (benchmarks/fuzz.py)."""

from __future__ import annotations

import os

from tests.conftest import bearer

EXAMPLES = int(os.environ.get("SHUXIN_FUZZ_EXAMPLES", "12"))


def test_no_input_makes_a_server_error_or_breaks_the_schema(demo_loaded, session, media_tmp):
    from tests.fuzzing import run_fuzz

    report = run_fuzz(session=session, headers=bearer(session, "admin"), examples=EXAMPLES,
                      seed=20261202)  # fmt: skip
    assert report.cases > 0
    assert not report.failures, "\n\n".join(report.failures[:10])
