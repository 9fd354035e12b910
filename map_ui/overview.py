"""The first map: boundaries of the active set and live events, drawn from the API by the browser.

Nothing of the data is embedded in the HTML: boundary layers and events are fetched from the
GeoJSON API (folium's Realtime plugin polls it), so the page stays small however many events
there are. Every script and stylesheet is served by the app (map_ui.vendor).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html import escape

import folium
from branca.element import CssLink, Element, JavascriptLink
from folium.plugins import Realtime
from folium.utilities import JsCode

from map_ui.basemaps import BasemapConfig, add_basemaps
from map_ui.layers import FitNow, add_boundary_layers, initial_view
from map_ui.vendor import localize


@dataclass(frozen=True)
class OverviewConfig:
    """What the page needs to know; plain data, gathered by the API."""

    title: str = "舒心 · 乡镇综合信息指挥室"
    subtitle: str = "事件地图"
    place: str = ""  # the active set's place (api.boundaries.service)
    bounds: tuple[float, float, float, float] | None = None  # minlon, minlat, maxlon, maxlat
    levels: tuple[str, ...] = ()  # the levels the active set has
    boundary_set: str | None = None
    basemap: BasemapConfig = field(default_factory=BasemapConfig)
    timezone: str = "Asia/Shanghai"  # SHUXIN_TIMEZONE: how the page shows times
    api_prefix: str = "/api/v1"
    static_prefix: str = "/static"
    events_limit: int = 1000
    events_interval_ms: int = 10_000


def build_overview_map(config: OverviewConfig) -> folium.Map:
    """A folium map with switchable basemaps, boundary layers and live events."""
    m = folium.Map(
        **initial_view(config.bounds), tiles=None, control_scale=True, prefer_canvas=True
    )
    add_basemaps(m, config.basemap)
    if config.bounds:
        FitNow(config.bounds).add_to(m)
    add_boundary_layers(m, api_prefix=config.api_prefix, js="Shuxin", levels=config.levels)

    events = Realtime(
        f"{config.api_prefix}/events?f=geojson&limit={config.events_limit}",
        interval=config.events_interval_ms,
        get_feature_id=JsCode("(f) => f.id"),
        remove_missing=True,
        point_to_layer=JsCode("(f, latlng) => Shuxin.eventMarker(f, latlng)"),
        on_each_feature=JsCode("(f, layer) => Shuxin.bindEvent(f, layer)"),
    )
    events.layer_name = "事件"
    events.add_to(m)
    folium.LayerControl(collapsed=False).add_to(m)

    root = m.get_root()
    root.header.add_child(Element('<meta charset="utf-8">'), name="charset", index=0)
    root.header.add_child(
        Element(f'<meta name="shuxin-timezone" content="{escape(config.timezone)}">'),
        name="timezone",
    )
    root.header.add_child(CssLink(f"{config.static_prefix}/css/shuxin-map.css"), name="shuxin_css")
    root.header.add_child(
        JavascriptLink(f"{config.static_prefix}/js/shuxin-map.js"), name="shuxin_js"
    )
    title = f"{config.place} · {config.title}" if config.place else config.title
    root.header.add_child(Element(f"<title>{escape(title)}</title>"), name="title")
    root.header.add_child(
        Element(f'<link rel="icon" href="{config.static_prefix}/favicon.svg">'), name="favicon"
    )
    set_label = f"边界：{escape(config.boundary_set)}" if config.boundary_set else "未启用边界"
    root.html.add_child(
        Element(
            f'<div class="sx-titlebar" id="sx-title">{escape(config.title)}'
            f"<small>{escape(config.place)} {escape(config.subtitle)} · {set_label}</small>"
            '<a class="sx-screen-link" href="/screen">指挥大屏 →</a></div>'
        )
    )
    # The legend is filled by shuxin-map.js from the same colour table the markers use.
    root.html.add_child(Element('<div class="sx-legend" id="sx-legend"><h4>事件状态</h4></div>'))
    localize(root, config.static_prefix)
    return m


def render_overview(config: OverviewConfig) -> str:
    """The whole page as HTML (zh-CN)."""
    html = build_overview_map(config).get_root().render()
    return html.replace("<html>", '<html lang="zh-CN">', 1)
