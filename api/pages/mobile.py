"""What the phone page (/m) needs to start, from the user, the catalog and the one action table.

The task actions the phone offers, their words and their forms come from `ACTIONS`
(api/events/transitions.py): each action flagged `on_phone`, its label, the task states it
needs, and one form field per field of its body schema, titled by the schema's own titles.
"""

from __future__ import annotations

import types
import typing
from datetime import datetime
from enum import StrEnum
from functools import lru_cache

from pydantic.fields import FieldInfo
from sqlalchemy.orm import Session

from api.boundaries.service import page_area
from api.categories.service import list_categories
from api.events.models import EventSource, TaskState
from api.events.policy import PATROL_ROLES, REPORTERS, UNIT_STAFF
from api.events.transitions import ACTIONS, ActionSpec, timeline_labels
from api.screen.pages import basemap_of
from api.settings import Settings
from api.users.models import Role
from api.users.service import Actor
from map_ui.basemaps import tile_layers
from map_ui.mobile import FormField, MobileConfig, PhoneAction

MAX_PHOTOS = 9
_HIDDEN = {"version", "task_id"}  # filled by the page: the event's version, the unit's own task
_SOURCES = {Role.handler: EventSource.department, Role.county: EventSource.county}
TASK_STATE_LABELS = {
    TaskState.pending: "待签收",
    TaskState.acknowledged: "已签收",
    TaskState.in_progress: "处置中",
    TaskState.done: "已反馈",
    TaskState.returned: "已退回",
    TaskState.cancelled: "已撤销",
}


@lru_cache(maxsize=4096)
def initials(name: str) -> str:
    """The pinyin initials of a name, for searching by them: 暴露垃圾 -> bllj."""
    from pypinyin import Style, lazy_pinyin

    return "".join(p[0] for p in lazy_pinyin(name, style=Style.FIRST_LETTER) if p).lower()


def _kind(name: str, info: FieldInfo) -> tuple[str, tuple[tuple[str, str], ...]]:
    """The form control of a body field, from its type."""
    annotation = info.annotation
    if name == "attachment_ids":
        return "photos", ()
    if name == "supervision_id":
        return "order", ()
    args = typing.get_args(annotation) if isinstance(annotation, types.UnionType) else ()
    base = next((a for a in args if a is not type(None)), annotation) if args else annotation
    if isinstance(base, type) and issubclass(base, StrEnum):
        return "choice", tuple((m.value, getattr(m, "label_zh", m.value)) for m in base)
    if base is datetime:
        return "datetime", ()
    if name in ("extra",):
        return "line", ()
    return "text", ()


def phone_action(spec: ActionSpec) -> PhoneAction:
    """One task action of the phone: its label, the task states it needs and its form."""
    fields = []
    for name, info in spec.body.model_fields.items():
        if name in _HIDDEN:
            continue
        kind, choices = _kind(name, info)
        fields.append(
            FormField(
                name=name,
                title=info.title or name,
                kind=kind,
                required=info.is_required(),
                choices=choices,
            )
        )
    return PhoneAction(
        action=spec.action.value,
        label=spec.label,
        task_from=tuple(st.value for st in spec.task_from),
        fields=tuple(fields),
    )


def mobile_config(*, session: Session, actor: Actor, settings: Settings) -> MobileConfig:
    """The phone page of `actor`: their unit's place, the catalog, the phone's task actions."""
    place = page_area(session=session, settings=settings, township_code=actor.township_code)
    categories = tuple(
        {
            "code": c.code,
            "name": c.name,
            "parent_code": c.parent_code,
            "initials": initials(c.name),
            "urgent": "urgent" in c.urgencies,
            # An urgent event of this category is timed in natural hours, not working time.
            "natural": bool(c.urgent_handle_limit and c.urgent_handle_limit.endswith("h")),
        }
        for c in list_categories(session=session)
    )
    return MobileConfig(
        place=place.name,
        user={
            "login": actor.login,
            "name": actor.name,
            "role": actor.role.value,
            "unit_code": actor.unit_code,
            "unit_name": actor.unit_name,
            "township_code": actor.township_code,
        },
        can_report=actor.role in REPORTERS,
        can_patrol=actor.role in PATROL_ROLES,
        has_tasks=actor.role in UNIT_STAFF,
        source=_SOURCES.get(actor.role, EventSource.grid_worker).value,
        categories=categories,
        actions=tuple(phone_action(spec) for spec in ACTIONS.values() if spec.on_phone),
        action_labels=timeline_labels(),
        task_states={k.value: v for k, v in TASK_STATE_LABELS.items()},
        tiles=tuple(tile_layers(basemap_of(settings))),
        bounds=place.bounds,
        patrol_interval_s=settings.patrol_interval_s,
        patrol_batch_points=settings.patrol_batch_points,
        gps_max_accuracy_m=settings.gps_max_accuracy_m,
        poll_s=settings.mobile_poll_s,
        upload_max_bytes=settings.upload_max_bytes,
        max_photos=MAX_PHOTOS,
        timezone=settings.timezone,
    )
