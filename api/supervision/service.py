"""The deadline sweep: at-risk reminders and overdue supervision orders, set-based in SQL.

Run every minute (inside the app, or `shuxin sweep` from cron). Each run:
1. marks open tasks whose handling deadline has passed as overdue, issues an automatic
   supervision order (督办单, yellow) to the unit, flags the event overdue;
2. marks open tasks past the at-risk point (80% of the time used, a setting) as at risk and
   sends the unit an automatic reminder, flags the event at risk.
Each event touched gets one new version and one timeline entry per step, by the system.
Deadlines are the values stored on the tasks when they were assigned (or extended): the sweep
computes nothing new, so the screen, the sweep and the indicators agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.orm import Session

from api.events.models import OPEN_TASK_SQL
from api.events.transitions import SystemEntry
from api.settings import get_settings
from api.supervision.models import SupervisionKind, SupervisionLevel, SupervisionState
from api.worktime.calendar import TimeLimit
from api.worktime.service import calendar

SWEEP_LOCK = 727_001  # pg advisory lock key: one sweep at a time across workers
_ORDER, _REMINDER = SupervisionKind.order.value, SupervisionKind.reminder.value
_OPEN, _CLOSED = SupervisionState.open.value, SupervisionState.closed.value
_YELLOW = SupervisionLevel.yellow.value

_OVERDUE = f"""
WITH due AS (
    UPDATE task SET overdue_notified_at = :now,
                    at_risk_notified_at = COALESCE(at_risk_notified_at, :now)
    WHERE {OPEN_TASK_SQL} AND overdue_notified_at IS NULL AND handle_due <= :now
    RETURNING id, event_id, unit_id, handle_due
), orders AS (
    INSERT INTO supervision (event_id, task_id, unit_id, kind, level, issued_at, reply_due,
                             message, state)
    SELECT d.event_id, d.id, d.unit_id, '{_ORDER}', '{_YELLOW}', :now, :reply_due,
           '超期未办结，系统自动督办：请说明原因并尽快办结。', '{_OPEN}'
    FROM due d
    RETURNING id, event_id, task_id
), per_event AS (
    SELECT d.event_id, array_agg(d.id ORDER BY d.id) AS task_ids,
           array_agg(o.id ORDER BY d.id) AS order_ids, min(d.handle_due) AS due
    FROM due d JOIN orders o ON o.task_id = d.id
    GROUP BY d.event_id
), bumped AS (
    UPDATE event e SET version = e.version + 1, overdue = true, at_risk = false,
                       updated_at = :now
    FROM per_event p WHERE e.id = p.event_id
    RETURNING e.id, e.version, e.status, p.task_ids, p.order_ids, p.due
)
INSERT INTO event_timeline (event_id, seq, at, action, actor_name, from_status, to_status,
                            comment, details)
SELECT id, version, :now, '{SystemEntry.auto_supervise.value}', '系统', status, status,
       '超期未办结，已自动发出督办单', jsonb_build_object(
           'task_ids', task_ids, 'supervision_ids', order_ids, 'handle_due', due,
           'level', '{_YELLOW}', 'reply_due', CAST(:reply_due AS timestamptz))
FROM bumped
RETURNING event_id
"""

# Lock the events concerned first, in id order: actions lock their event, then its tasks, so
# taking the same order here means the sweep and an action wait for each other, never deadlock.
_LOCK_EVENTS = f"""
SELECT e.id FROM event e
WHERE e.id IN (
    SELECT event_id FROM task
    WHERE {OPEN_TASK_SQL}
      AND ((overdue_notified_at IS NULL AND handle_due <= :now)
           OR (at_risk_notified_at IS NULL AND at_risk_at <= :now))
)
ORDER BY e.id
FOR UPDATE OF e
"""

_AT_RISK = f"""
WITH due AS (
    UPDATE task SET at_risk_notified_at = :now
    WHERE {OPEN_TASK_SQL} AND at_risk_notified_at IS NULL AND at_risk_at <= :now
          AND handle_due > :now
    RETURNING id, event_id, unit_id, handle_due
), reminders AS (
    INSERT INTO supervision (event_id, task_id, unit_id, kind, level, issued_at, message, state)
    SELECT d.event_id, d.id, d.unit_id, '{_REMINDER}', NULL, :now,
           '办理时限即将到期，请抓紧办理。', '{_CLOSED}'
    FROM due d
    RETURNING id
), per_event AS (
    SELECT event_id, array_agg(id ORDER BY id) AS task_ids, min(handle_due) AS due
    FROM due GROUP BY event_id
), bumped AS (
    UPDATE event e SET version = e.version + 1, at_risk = NOT e.overdue, updated_at = :now
    FROM per_event p WHERE e.id = p.event_id
    RETURNING e.id, e.version, e.status, p.task_ids, p.due
)
INSERT INTO event_timeline (event_id, seq, at, action, actor_name, from_status, to_status,
                            comment, details)
SELECT id, version, :now, '{SystemEntry.auto_remind.value}', '系统', status, status,
       '办理时限已用去八成，已自动提醒承办单位', jsonb_build_object(
           'task_ids', task_ids, 'handle_due', due)
FROM bumped
RETURNING event_id
"""


@dataclass(frozen=True)
class SweepResult:
    overdue_events: int
    at_risk_events: int
    ran: bool = True


def sweep(*, session: Session, now: datetime) -> SweepResult:
    """One pass of the deadline sweep at `now`; the caller commits. Skips (ran=False) if
    another sweep holds the lock."""
    if not session.scalar(text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": SWEEP_LOCK}):
        return SweepResult(0, 0, ran=False)
    session.flush()  # the caller's pending changes first: the statements read the tables
    reply_due = calendar(get_settings()).add(now, TimeLimit(1, "wd"))
    if not session.execute(text(_LOCK_EVENTS), {"now": now}).first():
        return SweepResult(0, 0)  # a quiet minute: nothing newly at risk or overdue
    overdue = session.execute(text(_OVERDUE), {"now": now, "reply_due": reply_due}).all()
    at_risk = session.execute(text(_AT_RISK), {"now": now}).all()
    if overdue or at_risk:
        # Events and tasks changed behind the ORM's back: objects the caller holds reload,
        # so later work in this session sees the new versions and flags.
        session.expire_all()
    return SweepResult(len(overdue), len(at_risk))
