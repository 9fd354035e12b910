"""The same event sent many times at once over real HTTP is stored once (`shuxin serve`)."""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from sqlalchemy import text

SENDERS = 20


@pytest.fixture
def external_id(engine):
    """A unique external id for this run; its rows are deleted afterwards."""
    # Unique per run; the event stays (timelines are append-only; the test database is new
    # at every run).
    return f"concurrency-{uuid.uuid4().hex}"


def test_simultaneous_retries_store_one_event(live_server, live_admin_headers, engine, external_id):
    body = {
        "title": "同一事件并发重发",
        "category_code": "0102",
        "source": "hotline",
        "lon": 119.172,
        "lat": 29.031,
        "external_id": external_id,
    }
    barrier = threading.Barrier(SENDERS)

    def send(_: int) -> httpx.Response:
        with httpx.Client(base_url=live_server, timeout=60, headers=live_admin_headers) as http:
            barrier.wait(timeout=60)
            return http.post("/api/v1/events", json=body)

    with ThreadPoolExecutor(max_workers=SENDERS) as pool:
        responses = list(pool.map(send, range(SENDERS)))

    statuses = sorted(r.status_code for r in responses)
    assert set(statuses) <= {200, 201}, [(r.status_code, r.text) for r in responses]
    assert statuses.count(201) == 1, statuses
    ids = {r.json()["id"] for r in responses}
    assert len(ids) == 1
    assert all(r.json()["external_id"] == external_id for r in responses)
    with engine.connect() as connection:
        rows = (
            connection.execute(
                text("SELECT id FROM event WHERE source = 'hotline' AND external_id = :x"),
                {"x": external_id},
            )
            .scalars()
            .all()
        )
    assert rows == list(ids)
