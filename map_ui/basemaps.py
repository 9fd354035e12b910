"""Basemaps a township may use: none (intranet without tiles), OSM, 天地图, or an XYZ server."""

from __future__ import annotations

from dataclasses import dataclass

import folium

TIANDITU_URL = (
    "http://t{s}.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0"
    "&LAYER={layer}&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={{z}}"
    "&TILEROW={{y}}&TILECOL={{x}}&tk={key}"
)
TIANDITU_ATTR = "&copy; 天地图 (国家地理信息公共服务平台)"
OSM_URL = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
OSM_ATTR = "&copy; OpenStreetMap contributors"


@dataclass(frozen=True)
class BasemapConfig:
    """Which basemap shows first, and what else may be switched to."""

    default: str = "none"  # none | osm | tianditu | an XYZ URL
    tianditu_key: str | None = None
    tianditu_style: str = "vec"  # vec (+cva) or img (+cia)

    def choices(self) -> list[str]:
        """Basemap keys offered on the page, the default first."""
        keys = ["none", "osm"]
        if self.tianditu_key:
            keys += ["tianditu-vec", "tianditu-img"]
        if self.default not in ("none", "osm", "tianditu"):
            keys.append("custom")
        first = {"tianditu": f"tianditu-{self.tianditu_style}"}.get(self.default, self.default)
        if first not in keys:
            first = "custom"
        return [first] + [k for k in keys if k != first]


LABELS = {
    "none": "无底图",
    "osm": "OpenStreetMap",
    "tianditu-vec": "天地图 矢量",
    "tianditu-img": "天地图 影像",
    "custom": "内网底图",
}


def add_basemaps(m: folium.Map, config: BasemapConfig) -> None:
    """Add the basemaps as switchable base layers; the configured one shown first."""
    for position, key in enumerate(config.choices()):
        show = position == 0
        if key == "none":
            group = folium.FeatureGroup(name=LABELS[key], overlay=False, control=True, show=show)
            group.add_to(m)
        elif key == "osm":
            folium.TileLayer(
                OSM_URL, attr=OSM_ATTR, name=LABELS[key], max_zoom=19, show=show
            ).add_to(m)
        elif key.startswith("tianditu"):
            base, labels = ("vec", "cva") if key.endswith("vec") else ("img", "cia")
            group = folium.FeatureGroup(name=LABELS[key], overlay=False, show=show)
            for layer in (base, labels):
                folium.TileLayer(
                    TIANDITU_URL.format(s="{s}", layer=layer, key=config.tianditu_key),
                    attr=TIANDITU_ATTR,
                    subdomains="01234567",
                    max_zoom=18,
                    overlay=True,
                    control=False,
                ).add_to(group)
            group.add_to(m)
        else:
            folium.TileLayer(
                config.default, attr="内网底图", name=LABELS["custom"], show=show
            ).add_to(m)


def tile_layers(config: BasemapConfig) -> list[dict]:
    """The tile layers of the default basemap, for pages that draw Leaflet themselves (the
    phone): [{"url", "attribution", "subdomains", "max_zoom"}]; none for `none`."""
    first = config.choices()[0]
    if first == "none":
        return []
    if first == "osm":
        return [{"url": OSM_URL, "attribution": OSM_ATTR, "subdomains": "abc", "max_zoom": 19}]
    if first.startswith("tianditu"):
        base, labels = ("vec", "cva") if first.endswith("vec") else ("img", "cia")
        return [
            {
                "url": TIANDITU_URL.format(s="{s}", layer=layer, key=config.tianditu_key),
                "attribution": TIANDITU_ATTR,
                "subdomains": "01234567",
                "max_zoom": 18,
            }
            for layer in (base, labels)
        ]
    return [{"url": config.default, "attribution": "内网底图", "subdomains": "abc", "max_zoom": 19}]
