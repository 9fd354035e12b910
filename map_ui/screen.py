"""The command screen (指挥大屏): a folium map in the middle, figures, charts and lists around it.

The page carries no event data: the map's layers, the panels and the lists are fetched and kept
live by `static/js/screen.js` from the screen API, so the HTML stays a few tens of kilobytes with
a million events in the database.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from html import escape

import folium
from branca.element import CssLink, Element, JavascriptLink, MacroElement
from folium.plugins import Draw, Fullscreen, Realtime
from folium.template import Template
from folium.utilities import JsCode

from map_ui.basemaps import BasemapConfig, add_basemaps
from map_ui.layers import FitNow, add_boundary_layers, initial_view
from map_ui.vendor import VendorScripts, localize


@dataclass(frozen=True)
class ScreenConfig:
    """What the page needs to start: plain data, gathered by the API."""

    title: str = "综合信息指挥室"
    place: str = ""  # the active set's place or the user's township (api.boundaries.service)
    township_code: str | None = None
    user_name: str = ""
    user_role: str = ""
    bounds: tuple[float, float, float, float] | None = None
    area: dict | None = None  # {"code", "name", "level", "bbox"} for ?area=CODE
    boundary_set: str | None = None
    levels: tuple[str, ...] = ()  # the levels the active set has
    basemap: BasemapConfig = field(default_factory=BasemapConfig)
    action_labels: dict[str, str] = field(default_factory=dict)  # action/entry → its word
    screen_actions: tuple[str, ...] = ()  # what the event card offers, in order
    poll_ms: int = 5000
    timezone: str = "Asia/Shanghai"  # SHUXIN_TIMEZONE: how the page shows times
    api_prefix: str = "/api/v1"
    static_prefix: str = "/static"


def build_screen(config: ScreenConfig) -> folium.Map:
    """The folium map of the screen, with every layer and control, scripts served locally."""
    bounds = config.area["bbox"] if config.area else config.bounds
    m = folium.Map(
        **initial_view(bounds),
        tiles=None,
        control_scale=True,
        prefer_canvas=True,
        zoom_control=True,
    )
    add_basemaps(m, config.basemap)
    if bounds:
        FitNow(bounds).add_to(m)

    names: dict[str, str] = {"map": m.get_name()}
    names |= add_boundary_layers(
        m, api_prefix=config.api_prefix, js="Shuxin.screen", levels=config.levels
    )

    for key, label, rule in (("hazards", "隐患点", "!=="), ("shelters", "避灾安置点", "===")):
        points = Realtime(
            f"{config.api_prefix}/pois",
            interval=600_000,
            get_feature_id=JsCode("(f) => f.id"),
            remove_missing=True,
            filter=JsCode(f"(f) => f.properties.kind {rule} 'shelter'"),
            point_to_layer=JsCode("(f, latlng) => Shuxin.screen.poiLayer(f, latlng)"),
            start=True,
            only_run_when_added=True,
        )
        points.layer_name = label
        points.show = False
        points.add_to(m)
        names[key] = points.get_name()

    events = Realtime(
        JsCode("(ok, fail) => Shuxin.screen.fetchEvents(ok, fail)"),
        interval=config.poll_ms,
        get_feature_id=JsCode("(f) => String(f.id)"),
        update_feature=JsCode("(f, old) => Shuxin.screen.updateEvent(f, old)"),
        remove_missing=True,
        point_to_layer=JsCode("(f, latlng) => Shuxin.screen.eventLayer(f, latlng)"),
        on_each_feature=JsCode("(f, layer) => Shuxin.screen.bindEvent(f, layer)"),
    )
    events.layer_name = "事件"
    events.add_to(m)
    names["events"] = events.get_name()

    patrols = Realtime(
        f"{config.api_prefix}/patrols?f=geojson",
        interval=60_000,
        get_feature_id=JsCode("(f) => String(f.id)"),
        remove_missing=True,
        filter=JsCode("(f) => f.geometry !== null"),
        style=JsCode("(f) => Shuxin.screen.patrolStyle(f)"),
        on_each_feature=JsCode("(f, layer) => Shuxin.screen.bindPatrol(f, layer)"),
    )
    patrols.layer_name = "今日巡查"
    patrols.add_to(m)
    names["patrols"] = patrols.get_name()

    drawn = folium.FeatureGroup(name="圈选范围", control=False)
    drawn.add_to(m)
    Draw(
        feature_group=drawn,
        show_geometry_on_click=False,
        position="topleft",
        draw_options={
            "polyline": False,
            "marker": False,
            "circlemarker": False,
            "rectangle": {"shapeOptions": {"color": "#ffb000"}},
            "polygon": {"shapeOptions": {"color": "#ffb000"}},
            "circle": {"shapeOptions": {"color": "#ffb000"}},
        },
        edit_options={"edit": False, "remove": True},
    ).add_to(m)
    names["drawn"] = drawn.get_name()
    Fullscreen(
        position="topleft", title="全屏", title_cancel="退出全屏", force_separate_button=True
    ).add_to(m)
    control = folium.LayerControl(collapsed=True, position="topright")
    control.add_to(m)
    # folium declares the control with `let`: give the page's script a global name for it.
    Expose(control, "shuxinLayerControl").add_to(m)
    names["control"] = "shuxinLayerControl"

    root = m.get_root()
    root.header.add_child(Element('<meta charset="utf-8">'), name="charset", index=0)
    root.header.add_child(
        Element('<meta name="viewport" content="width=device-width, initial-scale=1">'),
        name="viewport",
    )
    root.header.add_child(
        Element(f'<meta name="shuxin-timezone" content="{escape(config.timezone)}">'),
        name="timezone",
    )
    root.header.add_child(
        Element(f"<title>{escape(config.place)} · {escape(config.title)}</title>"), name="title"
    )
    for name, href in (("sx_map_css", "css/shuxin-map.css"), ("sx_screen_css", "css/screen.css")):
        root.header.add_child(CssLink(f"{config.static_prefix}/{href}"), name=name)
    VendorScripts("heat_js", "echarts_js", static_prefix=config.static_prefix).add_to(m)
    root.header.add_child(
        Element(f'<link rel="icon" href="{config.static_prefix}/favicon.svg">'), name="favicon"
    )
    # Leaflet itself is linked by folium while rendering, after these; the screen's scripts wait
    # for the document to be parsed before they touch Leaflet.
    root.header.add_child(
        JavascriptLink(f"{config.static_prefix}/js/shuxin-map.js"), name="sx_map_js"
    )
    root.header.add_child(
        JavascriptLink(f"{config.static_prefix}/js/screen.js"), name="sx_screen_js"
    )
    page = {**asdict(config), "basemap": None, "layers": names}
    payload = json.dumps(page, ensure_ascii=False).replace("</", "<\\/")
    root.html.add_child(
        Element(_LAYOUT.format(place=escape(config.place), title=escape(config.title))),
        name="sx_layout",
    )
    root.html.add_child(
        Element(f'<script id="sx-config" type="application/json">{payload}</script>'),
        name="sx_config",
    )
    localize(root, config.static_prefix)
    return m


class Expose(MacroElement):
    """Makes a folium element reachable from other scripts as window[alias]."""

    _template = Template("""
        {% macro script(this, kwargs) %}
            window[{{ this.alias|tojson }}] = {{ this.target.get_name() }};
        {% endmacro %}
    """)

    def __init__(self, target, alias: str) -> None:
        super().__init__()
        self._name = "Expose"
        self.target = target
        self.alias = alias


def render_screen(config: ScreenConfig) -> str:
    """The whole page as HTML (zh-CN)."""
    html = build_screen(config).get_root().render()
    return html.replace("<html>", '<html lang="zh-CN">', 1)


_LAYOUT = """
<header id="sx-header">
  <div class="sx-brand"><span class="sx-logo">舒心</span>
    <span id="sx-place">{place}</span><span class="sx-title">{title}</span></div>
  <div id="sx-mode" class="sx-mode sx-mode-peace" title="运行模式">平时</div>
  <form id="sx-filters" class="sx-filters" autocomplete="off">
    <label><span>时间</span><select name="range">
      <option value="today">今日</option><option value="7d">近7天</option>
      <option value="30d" selected>近30天</option><option value="all">全部</option></select></label>
    <label><span>状态</span><select name="status">
      <option value="">全部</option><option value="open">未办结</option>
      <option value="reported">待受理</option><option value="assigned">已交办</option>
      <option value="in_progress">处置中</option><option value="at_risk">即将超期</option>
      <option value="overdue">已超期</option><option value="handled">已处置</option>
      <option value="closed">已结案</option><option value="escalated">已上报</option>
      <option value="rejected">不予受理</option></select></label>
    <label><span>分类</span><select name="category"><option value="">全部</option></select></label>
    <label><span>平台</span><select name="platform"><option value="">全部</option></select></label>
    <label><span>区域</span><select name="area"><option value="">全部</option></select></label>
  </form>
  <div class="sx-search"><input id="sx-search" type="search" placeholder="搜索事件编号、标题或区域"
    aria-label="搜索"><div id="sx-search-results" class="sx-dropdown" hidden></div></div>
  <nav class="sx-links"><a id="sx-assess-link" href="/assess">考核</a></nav>
  <div id="sx-clock" class="sx-clock"></div>
  <div class="sx-user"><span id="sx-user"></span>
    <form method="post" action="/logout"><button type="submit">退出</button></form></div>
</header>
<div id="sx-emergency" class="sx-emergency" hidden></div>
<aside id="sx-left" class="sx-panel">
  <section class="sx-figures" aria-label="今日数据">
    <h2>今日概况</h2>
    <div class="sx-tiles">
      <div class="sx-tile" data-figure="received"><b>0</b><span>今日受理</span></div>
      <div class="sx-tile" data-figure="assigned"><b>0</b><span>今日交办</span></div>
      <div class="sx-tile" data-figure="handled"><b>0</b><span>今日处置</span></div>
      <div class="sx-tile" data-figure="closed"><b>0</b><span>今日办结</span></div>
      <div class="sx-tile sx-warn" data-figure="at_risk"><b>0</b><span>即将超期</span></div>
      <div class="sx-tile sx-alarm" data-figure="overdue"><b>0</b><span>已超期</span></div>
      <div class="sx-tile" data-figure="escalated"><b>0</b><span>上报县级</span></div>
      <div class="sx-tile" data-figure="supervision_open"><b>0</b><span>待回复督办</span></div>
    </div>
  </section>
  <section><h2>事件分类 <small id="sx-total"></small></h2>
    <div id="sx-chart-category" class="sx-chart"></div></section>
  <section><h2>四平台</h2>
    <div id="sx-chart-platform" class="sx-chart sx-chart-small"></div></section>
  <section><h2>近30天趋势</h2>
    <div id="sx-chart-trend" class="sx-chart"></div></section>
</aside>
<aside id="sx-right" class="sx-panel">
  <nav class="sx-tabs" role="tablist">
    <button type="button" data-tab="newest" class="active">最新事件</button>
    <button type="button" data-tab="late">超期预警</button>
    <button type="button" data-tab="supervision">督办</button>
  </nav>
  <ol id="sx-list-newest" class="sx-list" data-list="newest"></ol>
  <ol id="sx-list-late" class="sx-list" data-list="late" hidden></ol>
  <ol id="sx-list-supervision" class="sx-list" data-list="supervision" hidden></ol>
  <section id="sx-drawn" class="sx-drawn" hidden></section>
</aside>
<section id="sx-card" class="sx-card" hidden aria-live="polite"></section>
<div id="sx-toast" class="sx-toast" hidden role="status"></div>
<div id="sx-screen-legend" class="sx-legend sx-screen-legend"><h4>事件状态</h4></div>
"""
