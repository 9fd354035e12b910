"""HTTP: one endpoint per action of the closed loop, each with its own body in the docs.

POST /api/v1/events/{event_id}/actions/{action} with a JSON body that carries the `version`
of the event you saw. Answers the event (new version); 409 on a stale version or an action the
state does not allow (naming the allowed ones); 403 when you may not take it (saying why).
"""

from collections.abc import Callable

from fastapi import APIRouter

from api.deps import CurrentActor, Tx
from api.events import service, workflow
from api.events.schemas import ActionBody, EventOut
from api.events.transitions import ROLES, Action

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


def _endpoint(action: Action, body_model: type[ActionBody]) -> Callable:
    async def endpoint(event_id: int, body: ActionBody, tx: Tx, actor: CurrentActor) -> EventOut:
        def work(session):
            event = workflow.perform(
                session=session, event_id=event_id, action=action, actor=actor, body=body
            )
            return service.to_out(session, [event], actor)[0]

        return await tx(work)

    endpoint.__annotations__["body"] = body_model
    endpoint.__name__ = f"action_{action.name}"
    endpoint.__doc__ = (workflow.HANDLERS[action].__doc__ or "") + (
        f"\n\nWho: {', '.join(sorted(r.value for r in ROLES[action]))}."
    )
    return endpoint


for _action, _body in workflow.BODIES.items():
    router.add_api_route(
        f"/events/{{event_id}}/actions/{_action.value}",
        _endpoint(_action, _body),
        methods=["POST"],
        response_model=EventOut,
        responses=_ERRORS,
        summary=f"{_action.value}: {workflow.SUMMARIES[_action]}",
    )
