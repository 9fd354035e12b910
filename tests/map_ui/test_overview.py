"""The first map as folium renders it: layers, live sources, and no link to any CDN."""

from __future__ import annotations

import json
import re

import pytest

from map_ui.basemaps import BasemapConfig
from map_ui.overview import OverviewConfig, build_overview_map, render_overview
from map_ui.vendor import localize

EXTERNAL = re.compile(r"""(?:src|href)\s*=\s*["'](?:https?:)?//""")


def test_page_links_only_local_files():
    html = render_overview(OverviewConfig())
    assert not EXTERNAL.search(html), EXTERNAL.findall(html)
    assert "/static/vendor/leaflet/leaflet.js" in html
    assert "/static/vendor/leaflet-realtime/leaflet-realtime.js" in html
    for unused in ("jquery", "bootstrap", "font-awesome", "fontawesome", "awesome-markers"):
        assert unused not in html.lower()


def test_page_is_chinese_and_names_its_layers():
    html = render_overview(OverviewConfig(boundary_set="longyou-demo"))
    assert '<html lang="zh-CN">' in html
    assert '<meta charset="utf-8">' in html
    for label in ("乡镇/街道", "村/社区", "网格", "事件", "无底图", "longyou-demo"):
        # Layer names reach the page inside JavaScript, as JSON-escaped strings.
        assert label in html or json.dumps(label)[1:-1] in html, label


def test_events_and_boundaries_are_fetched_not_embedded():
    html = render_overview(OverviewConfig())
    assert "/api/v1/events?f=geojson" in html
    for level in ("township", "village", "grid"):
        assert f"/api/v1/boundaries?level={level}" in html
    assert '"type": "Feature"' not in html


def test_tianditu_needs_a_key_and_uses_it():
    without = BasemapConfig(default="tianditu")
    assert "tianditu-vec" not in without.choices()
    config = BasemapConfig(default="tianditu", tianditu_key="abc123", tianditu_style="img")
    assert config.choices()[0] == "tianditu-img"
    html = render_overview(OverviewConfig(basemap=config))
    assert "tk=abc123" in html and "LAYER=img" in html and "LAYER=cia" in html


def test_custom_intranet_tiles_are_the_default_basemap():
    url = "http://10.1.2.3/tiles/{z}/{x}/{y}.png"
    config = BasemapConfig(default=url)
    assert config.choices()[0] == "custom"
    assert url in render_overview(OverviewConfig(basemap=config))


def test_the_subtitle_is_escaped():
    html = render_overview(OverviewConfig(boundary_set="<script>alert(1)</script>"))
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;" in html


def test_an_unknown_cdn_link_is_refused():
    import folium
    from folium.plugins import MiniMap

    m = folium.Map(tiles=None)
    MiniMap().add_to(m)  # brings its own CDN script, unknown to map_ui.vendor
    with pytest.raises(ValueError, match="no CDN on intranets"):
        localize(m.get_root())


def test_map_keeps_the_configured_bounds():
    m = build_overview_map(OverviewConfig(bounds=(119.0, 28.8, 119.4, 29.2)))
    assert "fitBounds" in m.get_root().render() and "animate: false" in m.get_root().render()
    assert "[[28.8, 119.0], [29.2, 119.4]]" in m.get_root().render()


def test_a_set_of_grids_only_opens_with_its_grids_shown():
    """A set of grids only (Boston's wards) used to open on an empty map: the grid layer was
    off by default. The top two levels a set has are the ones switched on."""
    from map_ui.overview import OverviewConfig, build_overview_map

    def shown(levels: tuple[str, ...]) -> dict[str, bool]:
        m = build_overview_map(OverviewConfig(bounds=(-71.2, 42.2, -71.0, 42.4), levels=levels))
        layers = [c for c in m._children.values() if getattr(c, "layer_name", None)]
        return {
            c.layer_name: c.show for c in layers if c.layer_name in ("乡镇/街道", "村/社区", "网格")
        }

    assert shown(("grid",)) == {"网格": True}
    assert shown(("township", "village", "grid")) == {"乡镇/街道": True, "村/社区": True,
                                                     "网格": False}  # fmt: skip
    assert shown(("village", "grid")) == {"村/社区": True, "网格": True}
