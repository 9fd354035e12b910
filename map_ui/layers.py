"""Map pieces both pages use: the boundary layers, and fitting the first view."""

from __future__ import annotations

import folium
from branca.element import MacroElement
from folium.plugins import Realtime
from folium.template import Template
from folium.utilities import JsCode

BOUNDARY_LAYERS = (("township", "乡镇/街道", True), ("village", "村/社区", True),
                   ("grid", "网格", False))


def add_boundary_layers(m: folium.Map, *, api_prefix: str, js: str) -> dict[str, str]:
    """Township, village and grid layers fetched from the boundaries API (not embedded);
    `js` is the page's script object with areaStyle(f) and bindArea(f, layer). Returns the
    layers' JavaScript names by level."""
    names = {}
    for level, label, show in BOUNDARY_LAYERS:
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
