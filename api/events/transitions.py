"""The one place that knows which action an event allows in which state, and who may take it.

reported ─accept→ accepted ─assign→ assigned ─acknowledge→ acknowledged ─start→ in_progress
    │                │  ▲                │                                         │
    │                │  └─county_return─ escalated ←─escalate── (any open state)   feedback
    └──reject──→ rejected                │                                         ▼
                                         └─county_close→ closed ←─verify(pass)── handled
returned: the lead unit says the event is not theirs; back to the command room (assign again)
verify(fail): rework, back to in_progress; rate(dissatisfied, reopen): closed → in_progress
"""

from __future__ import annotations

from enum import StrEnum

from api.events.models import EventStatus as S
from api.users.models import Role


class Action(StrEnum):
    accept = "accept"  # 受理
    reject = "reject"  # 不予受理 (invalid, out of scope, duplicate)
    assign = "assign"  # 交办 (lead unit + co-handling units)
    acknowledge = "acknowledge"  # 签收
    start = "start"  # 开始处置
    return_ = "return"  # 退回 (not ours)
    feedback = "feedback"  # 处置反馈
    verify = "verify"  # 核查 (pass: close; fail: rework)
    escalate = "escalate"  # 上报县级
    county_return = "county_return"  # 县级退回 (with instructions)
    county_close = "county_close"  # 县级办结
    request_extension = "request_extension"  # 申请延期
    decide_extension = "decide_extension"  # 审批延期
    supervise = "supervise"  # 督办
    answer_supervision = "answer_supervision"  # 督办回复
    rate = "rate"  # 回访评价


HANDLING = frozenset({S.assigned, S.acknowledged, S.in_progress})
OPEN = frozenset(
    {
        S.reported,
        S.accepted,
        S.assigned,
        S.acknowledged,
        S.in_progress,
        S.handled,
        S.returned,
        S.escalated,
    }
)

ALLOWED_FROM: dict[Action, frozenset[S]] = {
    Action.accept: frozenset({S.reported}),
    Action.reject: frozenset({S.reported, S.accepted, S.returned}),
    Action.assign: frozenset({S.accepted, S.returned}),
    Action.acknowledge: HANDLING,
    Action.start: HANDLING,
    Action.return_: HANDLING,
    Action.feedback: HANDLING,
    Action.verify: frozenset({S.handled}),
    Action.escalate: frozenset({S.accepted, S.returned}) | HANDLING,
    Action.county_return: frozenset({S.escalated}),
    Action.county_close: frozenset({S.escalated}),
    Action.request_extension: HANDLING,
    Action.decide_extension: HANDLING,
    # An order goes to a unit with an open task: none is left once the event is handled.
    Action.supervise: HANDLING,
    # An order may still be open in any state an event reaches once it was assigned.
    Action.answer_supervision: (OPEN - {S.reported}) | {S.closed, S.rejected},
    Action.rate: frozenset({S.closed}),
}

COMMAND = frozenset({Role.commander, Role.admin})
UNIT_STAFF = frozenset({Role.handler, Role.grid_worker, Role.admin})

ROLES: dict[Action, frozenset[Role]] = {
    Action.accept: COMMAND,
    Action.reject: COMMAND,
    Action.assign: COMMAND,
    Action.acknowledge: UNIT_STAFF,
    Action.start: UNIT_STAFF,
    Action.return_: UNIT_STAFF,
    Action.feedback: UNIT_STAFF,
    # The reporting grid worker may verify the handling of what they reported.
    Action.verify: COMMAND | {Role.grid_worker},
    Action.escalate: COMMAND,
    Action.county_return: frozenset({Role.county, Role.admin}),
    Action.county_close: frozenset({Role.county, Role.admin}),
    Action.request_extension: UNIT_STAFF,
    Action.decide_extension: COMMAND,
    Action.supervise: COMMAND,
    Action.answer_supervision: UNIT_STAFF,
    Action.rate: COMMAND,
}


def allowed_actions(status: S, role: Role | None = None) -> list[Action]:
    """Actions the state allows (and, given a role, that the role may take)."""
    return [
        action
        for action, states in ALLOWED_FROM.items()
        if status in states and (role is None or role in ROLES[action])
    ]


def is_allowed(action: Action, status: S) -> bool:
    return status in ALLOWED_FROM[action]
