"""Serve every script and stylesheet from the app: folium's CDN links are replaced by local ones.

Government intranets reach no public CDN. Each folium element declares its JS/CSS as
(name, url) pairs; `localize` rewrites them to the files vendored under map_ui/static/vendor
(built from pinned npm packages by map_ui/assets/build.py), and drops the ones Shuxin does not
use (jQuery, Bootstrap, Font Awesome, awesome-markers). An element with a link this module does
not know raises, so a folium upgrade cannot quietly bring a CDN back.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from branca.element import Element, MacroElement
from folium.elements import JSCSSMixin

STATIC_DIR = Path(__file__).parent / "static"
MANIFEST = STATIC_DIR / "vendor" / "manifest.json"

# folium's link names -> the manifest's logical names (None: not used by Shuxin's pages).
_FOLIUM_NAMES: dict[str, str | None] = {
    "leaflet": "leaflet_js",
    "leaflet_css": "leaflet_css",
    "jquery": None,
    "bootstrap": None,
    "bootstrap_css": None,
    "glyphicons_css": None,
    "awesome_markers": None,
    "awesome_markers_css": None,
    "awesome_markers_font_css": None,
    "awesome_rotate_css": None,
    "Leaflet_Realtime_js": "realtime_js",
    "markerclusterjs": "markercluster_js",
    "markerclustercss": "markercluster_css",
    "markerclusterdefaultcss": "markercluster_default_css",
    "leaflet-heat.js": "heat_js",
    "leaflet_draw_js": "draw_js",
    "leaflet_draw_css": "draw_css",
    "Control.Fullscreen.js": "fullscreen_js",
    "Control.FullScreen.css": "fullscreen_css",
}


class VendorAssetsMissing(RuntimeError):
    """The vendored front-end files have not been built."""


@lru_cache(maxsize=1)
def manifest() -> dict[str, str]:
    """Logical name -> path under /static, from the vendored build's manifest."""
    if not MANIFEST.exists():
        raise VendorAssetsMissing(
            f"{MANIFEST} is missing: build the front-end files with "
            "`python map_ui/assets/build.py` (make does it for you)"
        )
    data = json.loads(MANIFEST.read_text())
    return {k: v for k, v in data.items() if isinstance(v, str)}


def asset_url(name: str, static_prefix: str = "/static") -> str:
    """The URL the app serves a vendored file at, e.g. asset_url('leaflet_js')."""
    return f"{static_prefix}/{manifest()[name]}"


def localize(root: Element, static_prefix: str = "/static") -> None:
    """Point every JS/CSS link of `root` and its children at the app's own static files."""
    for element in _walk(root):
        for attribute in ("default_js", "default_css"):
            links = getattr(element, attribute, None)
            if not links:
                continue
            local = []
            for name, url in links:
                if url.startswith(static_prefix + "/"):
                    local.append((name, url))
                    continue
                if name not in _FOLIUM_NAMES:
                    raise ValueError(
                        f"{type(element).__name__} links {name} from {url}; add it to "
                        "map_ui/vendor.py and map_ui/assets (no CDN on intranets)"
                    )
                logical = _FOLIUM_NAMES[name]
                if logical is not None:
                    local.append((name, asset_url(logical, static_prefix)))
            setattr(element, attribute, local)


def _walk(element: Element):
    yield element
    for child in list(element._children.values()):
        yield from _walk(child)


class VendorScripts(JSCSSMixin, MacroElement):
    """Vendored scripts a page needs besides folium's, linked after Leaflet (they extend it).

    Add it to the map: folium links a child's scripts after the map's own.
    """

    def __init__(self, *names: str, static_prefix: str = "/static") -> None:
        super().__init__()
        self._name = "VendorScripts"
        self.default_js = [(name, asset_url(name, static_prefix)) for name in names]
