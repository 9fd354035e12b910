"""Many users acting on one event at once, over real HTTP (`shuxin serve` on committed data).

Every action carries the version its sender saw; the event row is locked while an action is
applied, so of simultaneous actions on the same version exactly one wins and the others are
told the version is stale (409), never an error (500). The timeline stays gap-free: seq runs
1..version. Each test makes its own event (a unique external_id) and deletes nothing: timelines
are append-only and the test database is new at every run.
"""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import httpx
from sqlalchemy import text

SENDERS = 20
# A sender's stale attempt means another action succeeded after it read the version, and there
# are only SENDERS - 1 others: SENDERS attempts always suffice. A few more for good measure.
MAX_ATTEMPTS = SENDERS + 5


def new_event(http: httpx.Client) -> dict:
    answer = http.post(
        "/api/v1/events",
        json={
            "title": "并发操作测试事件",
            "category_code": "0102",
            "source": "hotline",
            "lon": 119.172,
            "lat": 29.031,
            "external_id": f"workflow-concurrency-{uuid.uuid4().hex}",
        },
    )
    assert answer.status_code == 201, answer.text
    return answer.json()


def act(http: httpx.Client, event_id: int, action: str, **body) -> dict:
    """One action with the version just read, that must succeed; the event after it."""
    version = http.get(f"/api/v1/events/{event_id}").json()["version"]
    answer = http.post(
        f"/api/v1/events/{event_id}/actions/{action}", json={"version": version, **body}
    )
    assert answer.status_code == 200, answer.text
    return answer.json()


def timeline(http: httpx.Client, event_id: int) -> list[dict]:
    answer = http.get(f"/api/v1/events/{event_id}/timeline")
    assert answer.status_code == 200, answer.text
    return answer.json()


def stored_seqs(engine, event_id: int) -> list[int]:
    """The timeline as the database holds it (committed rows)."""
    with engine.connect() as connection:
        return list(
            connection.execute(
                text("SELECT seq FROM event_timeline WHERE event_id = :id ORDER BY seq, id"),
                {"id": event_id},
            ).scalars()
        )


def test_the_same_action_at_once_succeeds_exactly_once(live_server, live_admin_headers, engine):
    with httpx.Client(base_url=live_server, timeout=60, headers=live_admin_headers) as http:
        event = new_event(http)
    event_id = event["id"]
    assert event["version"] == 1
    barrier = threading.Barrier(SENDERS)

    def send(_: int) -> httpx.Response:
        with httpx.Client(base_url=live_server, timeout=60, headers=live_admin_headers) as http:
            barrier.wait(timeout=60)
            return http.post(f"/api/v1/events/{event_id}/actions/accept", json={"version": 1})

    with ThreadPoolExecutor(max_workers=SENDERS) as pool:
        responses = list(pool.map(send, range(SENDERS)))

    statuses = Counter(r.status_code for r in responses)
    assert statuses == {200: 1, 409: SENDERS - 1}, [(r.status_code, r.text) for r in responses]
    for refused in (r.json() for r in responses if r.status_code == 409):
        assert refused["error"] == "stale_version", refused
        assert (refused["current_version"], refused["status"]) == (2, "accepted")
    [won] = [r.json() for r in responses if r.status_code == 200]
    assert (won["version"], won["status"]) == (2, "accepted")

    with httpx.Client(base_url=live_server, timeout=60, headers=live_admin_headers) as http:
        now = http.get(f"/api/v1/events/{event_id}").json()
        entries = timeline(http, event_id)
    assert (now["version"], now["status"]) == (2, "accepted")
    assert [(e["seq"], e["action"]) for e in entries] == [(1, "report"), (2, "accept")]
    assert stored_seqs(engine, event_id) == [1, 2]


def test_different_actions_at_once_each_count_once(live_server, live_admin_headers, engine):
    with httpx.Client(base_url=live_server, timeout=60, headers=live_admin_headers) as http:
        event_id = new_event(http)["id"]
        act(http, event_id, "accept")
        assigned = act(http, event_id, "assign")
        assert assigned["status"] == "assigned"
        order_ids = []
        for n in range(6):
            act(http, event_id, "supervise", level="yellow", message=f"请说明进度 {n}")
            order_ids.append(timeline(http, event_id)[-1]["details"]["supervision_id"])
        start_version = http.get(f"/api/v1/events/{event_id}").json()["version"]
    assert start_version == 9

    # Twenty different actions, all allowed while the event is being handled, in any order.
    actions = [("acknowledge", {}), ("request_extension", {"extra": "1wd", "reason": "需协调"})]
    actions += [
        ("answer_supervision", {"supervision_id": order_id, "answer": f"已落实 {n}"})
        for n, order_id in enumerate(order_ids)
    ]
    actions += [
        ("supervise", {"level": "red" if n % 2 else "yellow", "message": f"督办 {n}"})
        for n in range(12)
    ]
    assert len(actions) == SENDERS
    barrier = threading.Barrier(SENDERS)

    def send(index: int) -> tuple[str, httpx.Response, list[int]]:
        action, body = actions[index]
        codes = []
        with httpx.Client(base_url=live_server, timeout=60, headers=live_admin_headers) as http:
            barrier.wait(timeout=60)
            for _ in range(MAX_ATTEMPTS):
                version = http.get(f"/api/v1/events/{event_id}").json()["version"]
                answer = http.post(
                    f"/api/v1/events/{event_id}/actions/{action}",
                    json={"version": version, **body},
                )
                codes.append(answer.status_code)
                if answer.status_code != 409 or answer.json()["error"] != "stale_version":
                    break
        return action, answer, codes

    with ThreadPoolExecutor(max_workers=SENDERS) as pool:
        results = list(pool.map(send, range(SENDERS)))

    assert all(set(codes) <= {200, 409} for _, _, codes in results), [
        (action, codes, answer.text) for action, answer, codes in results
    ]
    failed = [(action, answer.text) for action, answer, _ in results if answer.status_code != 200]
    assert failed == []
    successes = len(results)
    assert sum(codes.count(200) for _, _, codes in results) == successes

    with httpx.Client(base_url=live_server, timeout=60, headers=live_admin_headers) as http:
        event = http.get(f"/api/v1/events/{event_id}").json()
        entries = timeline(http, event_id)
    assert event["version"] == start_version + successes
    assert event["status"] == "acknowledged"
    assert [e["seq"] for e in entries] == list(range(1, event["version"] + 1))
    assert stored_seqs(engine, event_id) == list(range(1, event["version"] + 1))
    assert Counter(e["action"] for e in entries[start_version:]) == Counter(a for a, _ in actions)
    for previous, entry in zip(entries, entries[1:], strict=False):
        assert entry["from_status"] == previous["to_status"], entry
    with engine.connect() as connection:
        orders = Counter(
            connection.execute(
                text("SELECT state FROM supervision WHERE event_id = :id AND kind = 'order'"),
                {"id": event_id},
            ).scalars()
        )
    assert orders == {"answered": 6, "open": 12}
