"""HTTP: one endpoint per action of the closed loop, each with its own body in the docs.

POST /api/v1/events/{event_id}/actions/{action} with a JSON body that carries the `version`
of the event you saw. Answers the event (new version); 409 on a stale version or an action the
state does not allow (naming the allowed ones); 403 when you may not take it (saying why).
"""

from collections.abc import Callable

from fastapi import APIRouter

from api.deps import CurrentActor, Tx
from api.events import service, workflow
from api.events.policy import guard_summary
from api.events.schemas import ActionBody, EventOut
from api.events.transitions import ACTIONS, ActionSpec

router = APIRouter(prefix="/api/v1", tags=["event actions"])

_ERRORS = {
    403: {"description": "Your role or unit may not take this action (the message says why)"},
    404: {"description": "No such event, or not one you can see"},
    409: {
        "description": "Stale version, or the state does not allow the action "
        "(allowed_actions lists what does)"
    },
    422: {"description": "A field is missing or wrong (field names it)"},
}


def _endpoint(spec: ActionSpec) -> Callable:
    action = spec.action

    async def endpoint(event_id: int, body: ActionBody, tx: Tx, actor: CurrentActor) -> EventOut:
        def work(session):
            event = workflow.perform(
                session=session, event_id=event_id, action=action, actor=actor, body=body
            )
            return service.to_out(session, [event], actor)[0]

        return await tx(work)

    endpoint.__annotations__["body"] = spec.body
    endpoint.__name__ = f"action_{action.name}"
    roles = ", ".join(sorted(r.value for r in spec.roles))
    states = ", ".join(sorted(st.value for st in spec.allowed_from))
    endpoint.__doc__ = (
        f"{spec.label}: {(spec.handler.__doc__ or spec.summary).strip()}\n\n"
        f"Who: {roles}; {guard_summary(spec.guard)}.\n\nFrom: {states}."
    )
    return endpoint


for _spec in ACTIONS.values():
    router.add_api_route(
        f"/events/{{event_id}}/actions/{_spec.action.value}",
        _endpoint(_spec),
        methods=["POST"],
        response_model=EventOut,
        responses=_ERRORS,
        summary=f"{_spec.action.value}: {_spec.summary}",
    )
