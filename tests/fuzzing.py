"""Driving schemathesis over the app's OpenAPI document: shared by the test suite's short run
(tests/api/test_fuzz.py) and the long one (benchmarks/fuzz.py)."""

from __future__ import annotations

from dataclasses import dataclass, field

import hypothesis
from hypothesis import HealthCheck, Phase, given, settings


@dataclass
class FuzzReport:
    operations: int = 0
    cases: int = 0
    failures: list[str] = field(default_factory=list)


def app_on(session):
    """The app, each request's work on `session` (in a savepoint, as a request's transaction)."""
    from api.deps import Transactions, forget_actors, get_transactions
    from api.main import create_app

    class OnSession(Transactions):
        def run(self, work):
            with session.begin_nested():
                return work(session)

    app = create_app()
    forget_actors()
    transactions = OnSession()

    async def _transactions():
        return transactions

    app.dependency_overrides[get_transactions] = _transactions
    return app


def run_fuzz(*, session, headers: dict, examples: int, seed: int = 0) -> FuzzReport:
    """Every operation, `examples` generated cases each: the failures (server errors, answers
    that break their schema) described."""
    import schemathesis

    app = app_on(session)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    report = FuzzReport()
    for result in schema.get_all_operations():
        operation = result.ok()
        report.operations += 1
        _fuzz_one(operation, headers=headers, examples=examples, seed=seed, report=report)
    return report


def _fuzz_one(operation, *, headers: dict, examples: int, seed: int, report: FuzzReport) -> None:
    from schemathesis import checks

    label = f"{operation.method.upper()} {operation.path}"

    @hypothesis.seed(seed)
    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy())
    def one(case):
        report.cases += 1
        response = case.call(headers=headers)
        try:
            case.validate_response(
                response,
                checks=[checks.not_a_server_error, checks.response_schema_conformance],
            )
        except Exception as exc:  # noqa: BLE001 - collected, reported together
            report.failures.append(f"{label}: {exc}")

    one()
