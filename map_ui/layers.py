"""Map pieces both pages use: the boundary layers, and the first view."""

from __future__ import annotations

import folium
from branca.element import MacroElement
from folium.plugins import Realtime
from folium.template import Template
from folium.utilities import JsCode

BOUNDARY_LAYERS = (("township", "乡镇/街道"), ("village", "村/社区"), ("grid", "网格"))
SHOWN_LEVELS = 2  # the top two levels a set has are on at first; finer ones on request
WHOLE_COUNTRY = {"location": (35.0, 105.0), "zoom_start": 4}  # before any boundaries exist


def initial_view(bounds: tuple[float, float, float, float] | list[float] | None) -> dict:
    """folium.Map's location and zoom for a first view of `bounds` (WGS84; FitNow then fits
    it exactly), or of the whole country when there are none yet."""
    if not bounds:
        return dict(WHOLE_COUNTRY)
    x0, y0, x1, y1 = bounds
    return {"location": ((y0 + y1) / 2, (x0 + x1) / 2), "zoom_start": 11}


def add_boundary_layers(
    m: folium.Map, *, api_prefix: str, js: str, levels: tuple[str, ...] = ()
) -> dict[str, str]:
    """A layer per level of the active set (township, village, grid) fetched from the
    boundaries API (not embedded); the top two levels it has are shown, finer ones load when
    switched on. `js` is the page's script object with areaStyle(f) and bindArea(f, layer).
    Returns the layers' JavaScript names by level."""
    present = [level for level, _ in BOUNDARY_LAYERS if not levels or level in levels]
    shown = set(present[:SHOWN_LEVELS])
    names = {}
    for level, label in BOUNDARY_LAYERS:
        if level not in present:
            continue
        show = level in shown
        layer = Realtime(
            f"{api_prefix}/boundaries?level={level}&simplify_m=5",
            interval=600_000,  # boundaries change on activation only: refresh every 10 min
            get_feature_id=JsCode("(f) => f.properties.code"),
            remove_missing=True,
            style=JsCode(f"(f) => {js}.areaStyle(f)"),
            on_each_feature=JsCode(f"(f, layer) => {js}.bindArea(f, layer)"),
            # A layer switched off loads when switched on (not before, not never).
            start=True,
            only_run_when_added=not show,
        )
        layer.layer_name = label
        layer.show = show
        layer.add_to(m)
        names[level] = layer.get_name()
    return names


class FitNow(MacroElement):
    """Fit the map to (minlon, minlat, maxlon, maxlat) before any layer asks for data, with no
    animation: layers then fetch the view the user will see, once. Add it before the layers."""

    _template = Template("""
        {% macro script(this, kwargs) %}
            {{ this._parent.get_name() }}.fitBounds(
                {{ this.corners|tojson }}, {padding: [20, 20], animate: false});
        {% endmacro %}
    """)

    def __init__(self, bounds: tuple[float, float, float, float] | list[float]) -> None:
        super().__init__()
        self._name = "FitNow"
        x0, y0, x1, y1 = bounds
        self.corners = [[y0, x0], [y1, x1]]
