"""What an action is: the one table of the closed loop's actions.

reported ─accept→ accepted ─assign→ assigned ─acknowledge→ acknowledged ─start→ in_progress
    │                │  ▲                │                                         │
    │                │  └─county_return─ escalated ←─escalate── (any open state)   feedback
    └──reject──→ rejected                │                                         ▼
                                         └─county_close→ closed ←─verify(pass)── handled
returned: the lead unit says the event is not theirs; back to the command room (assign again)
verify(fail): rework, back to in_progress; rate(dissatisfied, reopen): closed → in_progress

Each action is one `ActionSpec`: the states it is allowed from, the roles that may take it and the
unit rule checked before it runs (from api/events/policy.py), the body it takes, the handler that
does it (api/events/handlers.py), its label and its summary. The action endpoints and their docs
(api/events/action_routes.py), the allowed-actions answer of every event, the command screen's
buttons, the phone's task actions and their forms, and the timeline's labels are all
generated from `ACTIONS`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from api.events import handlers as h
from api.events import policy
from api.events import schemas as s
from api.events.models import HANDLING_STATES, OPEN_STATES, OPEN_TASK_STATES, TaskState
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


class SystemEntry(StrEnum):
    """Timeline entries that are not actions of a person."""

    report = "report"  # 上报 (intake)
    auto_remind = "auto_remind"  # 超时预警提醒 (the sweep)
    auto_supervise = "auto_supervise"  # 超期自动督办 (the sweep)
    history = "history"  # 历史数据导入


@dataclass(frozen=True)
class ActionSpec:
    """Everything about one action of the closed loop."""

    action: Action
    label: str  # the screen's button and the timeline's word (zh-CN)
    summary: str  # one line for the API docs
    allowed_from: frozenset[S]
    roles: frozenset[Role]
    guard: policy.Guard  # the unit rule, checked after the roles and before the handler
    body: type[s.ActionBody]
    handler: h.Handler
    on_screen: bool = False  # offered on the command screen's event card
    on_phone: bool = False  # offered on the phone's task card (/m), its form from `body`
    task_from: tuple[TaskState, ...] = ()  # a unit's action: the states its task must be in

    @property
    def past(self) -> str:
        """'accepted', for "cannot be accepted"."""
        return _PAST.get(self.action, f"given {self.action.value}")


_PAST = {
    Action.accept: "accepted",
    Action.reject: "rejected",
    Action.assign: "assigned",
    Action.verify: "verified",
    Action.rate: "rated",
}

# fmt: off
_SPECS = (
    ActionSpec(
        Action.accept, "受理", "Accept a reported event", frozenset({S.reported}),
        policy.COMMAND, policy.own_command_room, s.AcceptBody, h.accept, on_screen=True,
    ),
    ActionSpec(
        Action.reject, "不予受理", "Refuse an event: invalid, out of scope, or a duplicate",
        frozenset({S.reported, S.accepted, S.returned}),
        policy.COMMAND, policy.own_command_room, s.RejectBody, h.reject,
    ),
    ActionSpec(
        Action.assign, "交办", "Assign to a lead unit and co-handling units",
        frozenset({S.accepted, S.returned}),
        policy.COMMAND, policy.own_command_room, s.AssignBody, h.assign, on_screen=True,
    ),
    ActionSpec(
        Action.acknowledge, "签收", "The unit acknowledges its task", HANDLING_STATES,
        policy.UNIT_STAFF, policy.task_unit, s.TaskActionBody, h.acknowledge,
        on_phone=True, task_from=(TaskState.pending,),
    ),
    ActionSpec(
        Action.start, "开始处置", "The unit starts handling its task", HANDLING_STATES,
        policy.UNIT_STAFF, policy.task_unit, s.TaskActionBody, h.start,
        on_phone=True, task_from=(TaskState.acknowledged,),
    ),
    ActionSpec(
        Action.return_, "退回", "The unit says the event is not theirs", HANDLING_STATES,
        policy.UNIT_STAFF, policy.task_unit, s.ReturnBody, h.return_,
        on_phone=True, task_from=OPEN_TASK_STATES,
    ),
    ActionSpec(
        Action.feedback, "处置反馈", "The unit reports what it did, with photos", HANDLING_STATES,
        policy.UNIT_STAFF, policy.task_unit, s.FeedbackBody, h.feedback,
        on_phone=True, task_from=(TaskState.in_progress,),
    ),
    ActionSpec(
        # The reporting grid worker may verify the handling of what they reported.
        Action.verify, "核查", "Check the handling: pass closes, fail sends it back",
        frozenset({S.handled}),
        policy.COMMAND | {Role.grid_worker}, policy.verifier, s.VerifyBody, h.verify,
        on_screen=True,
    ),
    ActionSpec(
        Action.escalate, "上报县级", "Escalate to the county centre",
        frozenset({S.accepted, S.returned}) | HANDLING_STATES,
        policy.COMMAND, policy.own_command_room, s.EscalateBody, h.escalate,
    ),
    ActionSpec(
        Action.county_return, "县级退回", "The county returns an escalated event with instructions",
        frozenset({S.escalated}),
        policy.COUNTY, policy.county_centre, s.CountyReturnBody, h.county_return,
    ),
    ActionSpec(
        Action.county_close, "县级办结", "The county closes an escalated event",
        frozenset({S.escalated}),
        policy.COUNTY, policy.county_centre, s.CountyCloseBody, h.county_close,
    ),
    ActionSpec(
        Action.request_extension, "申请延期", "The unit asks for more time", HANDLING_STATES,
        policy.UNIT_STAFF, policy.task_unit, s.RequestExtensionBody, h.request_extension,
        on_phone=True, task_from=OPEN_TASK_STATES,
    ),
    ActionSpec(
        Action.decide_extension, "审批延期", "The command room approves or refuses an extension",
        HANDLING_STATES,
        policy.COMMAND, policy.own_command_room, s.DecideExtensionBody, h.decide_extension,
    ),
    ActionSpec(
        # An order goes to a unit with an open task: none is left once the event is handled.
        Action.supervise, "督办", "Issue a supervision order", HANDLING_STATES,
        policy.COMMAND, policy.own_command_room, s.SuperviseBody, h.supervise, on_screen=True,
    ),
    ActionSpec(
        # An order may still be open in any state an event reaches once it was assigned.
        Action.answer_supervision, "督办回复", "The supervised unit answers the order",
        (OPEN_STATES - {S.reported}) | {S.closed, S.rejected},
        policy.UNIT_STAFF, policy.task_unit, s.AnswerSupervisionBody, h.answer_supervision,
        on_phone=True,
    ),
    ActionSpec(
        Action.rate, "回访评价", "Record the citizen's satisfaction", frozenset({S.closed}),
        policy.COMMAND, policy.own_command_room, s.RateBody, h.rate,
    ),
)
# fmt: on

ACTIONS: dict[Action, ActionSpec] = {spec.action: spec for spec in _SPECS}
"""Every action, in the order of the loop."""

SYSTEM_LABELS: dict[SystemEntry, str] = {
    SystemEntry.report: "上报",
    SystemEntry.auto_remind: "超时预警提醒",
    SystemEntry.auto_supervise: "超期自动督办",
    SystemEntry.history: "历史数据",
}


def allowed_actions(status: S, role: Role | None = None) -> list[Action]:
    """Actions the state allows (and, given a role, that the role may take)."""
    return [
        spec.action
        for spec in _SPECS
        if status in spec.allowed_from and (role is None or role in spec.roles)
    ]


def timeline_labels() -> dict[str, str]:
    """The word for every kind of timeline entry (actions and the system's), for the pages."""
    return {**{a.value: spec.label for a, spec in ACTIONS.items()}, **SYSTEM_LABELS}
