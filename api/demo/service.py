"""The Longyou demo: synthetic boundaries with real names and codes, and plausible events.

Everything is seeded, so two runs make the same demo; loading twice changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import shapely
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api import clock
from api.categories.models import Category
from api.categories.service import ensure_default_catalog
from api.demo.history import generate_history
from api.demo.lifecycle import simulate, supervise_some
from api.demo.people import (
    COUNTY_CODE,
    COUNTY_NAME,
    DemoLogin,
    actors_by_unit,
    admin_actor,
    ensure_units,
    ensure_users,
)
from api.demo.points import ensure_points
from api.events.models import Event
from api.events.service import bulk_insert_events
from api.routing.service import current_router
from api.supervision.service import sweep
from gis import boundaries
from gis.levels import AreaLevel
from gis.models import BoundarySet


def _demo_dir() -> Path:
    """data/boundaries of the checkout (or of the working directory, in an installed copy)."""
    beside_code = Path(__file__).resolve().parents[2] / "data" / "boundaries"
    return beside_code if beside_code.exists() else Path.cwd() / "data" / "boundaries"


DEMO_DIR = _demo_dir()
DEMO_SET = "longyou-demo"
LIVE_EVENTS = 3000  # the recent demo events that go through the real workflow
DEMO_FILES = (
    ("longyou_townships.geojson", AreaLevel.township),
    ("longyou_villages.geojson", AreaLevel.village),
    ("longyou_grids.geojson", AreaLevel.grid),
)
Progress = Callable[[str, int, int], None]

# Titles a grid worker or a citizen would write, per category (小类).
TITLES: dict[str, tuple[str, ...]] = {
    "0101": ("{place}有村民私自搭建彩钢棚", "{place}违章搭建简易房"),
    "0102": ("{place}生活垃圾堆放未清运", "{place}垃圾桶满溢", "{place}路边有暴露垃圾"),
    "0103": ("{place}建筑垃圾乱倒", "{place}渣土车抛洒"),
    "0104": ("{place}路面污渍需保洁", "{place}道路积尘严重"),
    "0107": ("{place}有人焚烧树叶垃圾", "{place}田间焚烧秸秆"),
    "0201": ("{place}电线杆上小广告", "{place}墙面乱贴小广告"),
    "0302": ("{place}夜间施工噪音扰民",),
    "0402": ("{place}两车追尾", "{place}电动车与汽车刮擦"),
    "0501": ("{place}占道经营", "{place}店外堆放商品占道"),
    "0502": ("{place}车辆乱停堵塞通道",),
    "1001": ("{place}邻里因排水沟发生纠纷", "{place}邻居因宅基地界线争吵"),
    "1003": ("{place}山林权属纠纷",),
    "1004": ("{place}工人讨要工资",),
    "1101": ("{place}楼道堆放杂物堵塞消防通道", "{place}电动车楼道充电"),
    "1102": ("{place}闻到燃气异味", "{place}餐馆液化气瓶摆放不规范"),
    "1103": ("{place}老房墙体开裂", "{place}危房仍有人居住"),
    "1104": ("{place}路口缺少减速带", "{place}护栏损坏"),
    "1202": ("{place}有可疑人员徘徊",),
    "1401": ("{place}河道漂浮物多", "{place}沟渠水体发黑发臭"),
    "1403": ("{place}广场舞音响声音过大",),
    "1404": ("{place}有人倾倒工业固废",),
    "1502": ("{place}小店销售过期食品",),
    "1601": ("{place}路面坑洼", "{place}窨井盖缺失"),
    "1602": ("{place}路灯不亮", "{place}一排路灯损坏"),
    "1603": ("{place}停水无通知", "{place}电线老化垂落"),
    "1604": ("{place}独居老人需要帮扶",),
    "1701": ("{place}道路积水", "{place}低洼处内涝"),
    "1702": ("{place}山塘水位上涨",),
    "1801": ("{place}山体有小面积滑坡",),
}
PLACES = (
    "村口",
    "文化礼堂旁",
    "菜市场门口",
    "小学东侧",
    "桥头",
    "主干道旁",
    "卫生院附近",
    "祠堂前",
    "停车场",
    "村委会对面",
    "溪边",
    "老街",
    "农贸市场",
    "公交站旁",
    "广场",
)
SOURCES = ("grid_worker", "citizen", "hotline", "department", "sensor", "county")
SOURCE_WEIGHTS = (0.58, 0.18, 0.14, 0.05, 0.03, 0.02)


@dataclass(frozen=True)
class DemoResult:
    boundary_set: str
    boundaries_loaded: bool
    events_added: int
    events_total: int
    units_created: int
    logins: list[DemoLogin]
    states: dict[str, int]


def load_demo_boundaries(*, session: Session, progress: Progress | None = None) -> bool:
    """Import the demo set (townships, villages, grids) and activate it; False if present."""
    existing = session.scalar(select(BoundarySet).where(BoundarySet.name == DEMO_SET))
    if existing is not None:
        if not boundaries.active_set(session):
            boundaries.activate_set(session, DEMO_SET)
        return False
    for file_name, level in DEMO_FILES:
        outcome = boundaries.import_boundaries(
            session,
            path=DEMO_DIR / file_name,
            level=level,
            set_name=DEMO_SET,
            parent_field="parent_code" if level is not AreaLevel.township else None,
            commit=True,
            progress=progress,
            place_code=COUNTY_CODE,
            place_name=COUNTY_NAME,
        )
        if not outcome.committed:
            raise RuntimeError(
                f"the demo file {file_name} did not import:\n{outcome.report.render()}"
            )
    boundaries.activate_set(session, DEMO_SET)
    return True


def _random_points_in(
    geometries: np.ndarray, picks: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """One random point inside geometries[picks[i]] for each i (rejection sampling)."""
    bounds = shapely.bounds(geometries)
    lon = np.empty(len(picks))
    lat = np.empty(len(picks))
    todo = np.arange(len(picks))
    while len(todo):
        b = bounds[picks[todo]]
        x = rng.uniform(b[:, 0], b[:, 2])
        y = rng.uniform(b[:, 1], b[:, 3])
        inside = shapely.contains_xy(geometries[picks[todo]], x, y)
        lon[todo[inside]], lat[todo[inside]] = x[inside], y[inside]
        todo = todo[~inside]
    return lon, lat


def demo_event_rows(
    *,
    session: Session,
    count: int,
    seed: int = 20241126,
    now: datetime | None = None,
    start_index: int = 0,
) -> Iterator[dict]:
    """`count` plausible events spread over the active set's grids, routed, as bulk rows."""
    router = current_router(session)
    if router is None or not len(router):
        raise RuntimeError("no active boundary set with grids: load the demo boundaries first")
    rng = np.random.default_rng(seed + start_index)
    now = now or clock.now()
    categories = [c for c in TITLES if session.get(Category, c) is not None]
    urgencies = dict(
        session.execute(
            select(Category.code, Category.urgencies).where(Category.code.in_(categories))
        ).all()
    )
    # Town centres (街道) are busier: weight grids by how small they are.
    areas = shapely.area(router.geometries)
    weights = 1.0 / np.maximum(areas, 1e-8) ** 0.5
    picks = rng.choice(len(router), size=count, p=weights / weights.sum())
    lon, lat = _random_points_in(router.geometries, picks, rng)
    batch = router.route_many(lon, lat)
    methods = batch.methods()
    ages = rng.exponential(6.0, size=count).clip(0, 30)
    for i in range(count):
        category = categories[rng.integers(len(categories))]
        title = str(rng.choice(TITLES[category])).format(place=str(rng.choice(PLACES)))
        created = now - timedelta(days=float(ages[i]))
        created = created.replace(hour=int(rng.choice(range(7, 21))), minute=int(rng.integers(60)))
        if created > now:
            created -= timedelta(days=1)
        grid = router.grids[int(batch.grid_index[i])] if batch.grid_index[i] >= 0 else None
        allowed = urgencies.get(category) or ["normal"]
        yield {
            "title": title,
            "description": f"{title}，请尽快处理。（演示数据）",
            "category_code": category,
            "urgency": "urgent" if "normal" not in allowed else "normal",
            "source": str(rng.choice(SOURCES, p=SOURCE_WEIGHTS)),
            "external_id": f"demo-{start_index + i + 1:07d}",
            "status": "reported",
            "location": (round(float(lon[i]), 6), round(float(lat[i]), 6)),
            "input_lon": round(float(lon[i]), 6),
            "input_lat": round(float(lat[i]), 6),
            "input_crs": "wgs84",
            "address": None,
            "occurred_at": created - timedelta(minutes=int(rng.integers(5, 120))),
            "created_at": created,
            "updated_at": created,
            "routing_set_id": router.set_id,
            "routing_method": str(methods[i]),
            "grid_code": grid.code if grid else None,
            "village_code": grid.village_code if grid else None,
            "township_code": grid.township_code if grid else None,
            "routing_distance_m": (
                None if np.isnan(batch.distance_m[i]) else round(float(batch.distance_m[i]), 2)
            ),
            "routing_candidates": [grid.code] if grid else [],
        }


def load_demo(*, session: Session, events: int, progress: Progress | None = None) -> DemoResult:
    """Catalog, boundaries, units, users and `events` demo events (topped up to that number,
    never more): the most recent LIVE_EVENTS through the real closed loop, any more as history
    made inside PostGIS."""
    ensure_default_catalog(session=session)
    loaded = load_demo_boundaries(session=session, progress=progress)
    present = (
        session.scalar(
            select(func.count()).select_from(Event).where(Event.external_id.like("demo-%"))
        )
        or 0
    )
    boundary_set = session.scalar(select(BoundarySet).where(BoundarySet.name == DEMO_SET))
    units_created = ensure_units(session=session, set_id=boundary_set.id)
    logins = ensure_users(session=session)
    ensure_points(session=session)
    added, states = 0, {}
    now = clock.now()
    live_target = min(events, LIVE_EVENTS)
    history_present = (
        session.scalar(
            select(func.count()).select_from(Event).where(Event.external_id.like("hist-%"))
        )
        or 0
    )
    if events - live_target > history_present:
        added += generate_history(
            session=session,
            count=events - live_target - history_present,
            now=now,
            seed=20241126 + history_present,
            progress=progress,
        )
    if live_target > present:
        rows = demo_event_rows(
            session=session, count=live_target - present, start_index=present, now=now
        )
        added += bulk_insert_events(
            session=session, rows=rows, progress=progress, total=live_target - present
        )
        new_ids = list(
            session.scalars(
                select(Event.id)
                .where(Event.external_id.like("demo-%"), Event.external_id > f"demo-{present:07d}")
                .order_by(Event.created_at)
            )
        )
        actors, admin = actors_by_unit(session), admin_actor(session)
        states = dict(
            simulate(
                session=session,
                event_ids=new_ids,
                actors=actors,
                admin=admin,
                now=now,
                progress=progress,
            )
        )
        sweep(session=session, now=now)
        supervise_some(session=session, actors=actors, admin=admin, now=now)
    total = session.scalar(select(func.count()).select_from(Event)) or 0
    return DemoResult(DEMO_SET, loaded, added, total, units_created, logins, states)
