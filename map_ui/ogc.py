"""HTML views of the OGC API - Features documents: plain pages for the landing page, the
conformance classes and the collections, and a small Leaflet map (folium, from the app's own
vendored files) for a collection's features and for one feature.

Every function takes the JSON document the API answers (plain data) and renders it; nothing
here reads a database. Texts from the data are escaped.
"""

from __future__ import annotations

from html import escape
from typing import Any

import folium

from map_ui.basemaps import BasemapConfig, add_basemaps
from map_ui.layers import FitNow, initial_view
from map_ui.vendor import localize

_STYLE = """
body { font-family: "Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC", sans-serif;
  margin: 0; color: #1f2d3d; background: #f5f7fa; }
header { background: #08306b; color: #fff; padding: 10px 18px; }
header a { color: #9fd0ff; margin-right: 14px; text-decoration: none; font-size: 13px; }
header h1 { font-size: 18px; margin: 0 0 4px; }
main { padding: 14px 18px; }
table { border-collapse: collapse; background: #fff; font-size: 13px; margin: 8px 0; }
th, td { border: 1px solid #d9dee5; padding: 3px 8px; text-align: left; vertical-align: top; }
th { background: #eef2f6; white-space: nowrap; }
td { max-width: 26em; overflow-wrap: anywhere; }
.sx-ogc-links a { margin-right: 12px; }
.sx-ogc-map { height: 460px; border: 1px solid #d9dee5; background: #eef2f6; }
.sx-ogc-facts { color: #566; font-size: 13px; }
.sx-ogc-table { max-height: 420px; overflow: auto; }
"""
_LINK_NAMES = {
    "self": "本页",
    "alternate": "JSON",
    "next": "下一页 →",
    "prev": "← 上一页",
    "collection": "图层信息",
    "items": "要素",
    "service-desc": "API 定义 (OpenAPI)",
    "service-doc": "API 文档",
    "conformance": "符合性声明",
    "data": "图层列表",
}


def _shell(title: str, body: str, static_prefix: str, nav: list[dict]) -> str:
    links = "".join(f'<a href="{escape(link["href"])}">{escape(link["title"])}</a>' for link in nav)
    return (
        '<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title>"
        f'<link rel="icon" href="{static_prefix}/favicon.svg"><style>{_STYLE}</style></head>'
        f"<body><header><h1>{escape(title)}</h1><nav>{links}</nav></header>"
        f"<main>{body}</main></body></html>"
    )


def _links(links: list[dict], rels: tuple[str, ...]) -> str:
    shown = [
        f'<a rel="{escape(link["rel"])}" href="{escape(link["href"])}">'
        f"{escape(_LINK_NAMES.get(link['rel'], link.get('title') or link['rel']))}</a>"
        for link in links
        if link["rel"] in rels
        and (link.get("type") != "text/html" or link["rel"] in ("next", "prev"))
    ]
    return f'<p class="sx-ogc-links">{"".join(shown)}</p>' if shown else ""


def _nav(base: str) -> list[dict]:
    return [
        {"href": f"{base}/?f=html", "title": "首页"},
        {"href": f"{base}/collections?f=html", "title": "图层"},
        {"href": f"{base}/conformance?f=html", "title": "符合性"},
        {"href": f"{base}/api?f=html", "title": "API"},
        {"href": "/", "title": "地图"},
    ]


def render_landing(document: dict, *, base: str, static_prefix: str = "/static") -> str:
    """The landing page as HTML."""
    body = (
        f"<p>{escape(document.get('description', ''))}</p>"
        + _links(document["links"], ("service-desc", "conformance", "data", "alternate"))
        + "<p>GIS 软件（QGIS、ArcGIS Pro、GDAL/OGR）以“OGC API - Features”连接此地址："
        f"<code>{escape(base)}</code></p>"
    )
    return _shell(document["title"], body, static_prefix, _nav(base))


def render_conformance(document: dict, *, base: str, static_prefix: str = "/static") -> str:
    """The conformance classes as HTML."""
    items = "".join(f"<li><code>{escape(uri)}</code></li>" for uri in document["conformsTo"])
    return _shell("符合性声明 Conformance", f"<ul>{items}</ul>", static_prefix, _nav(base))


def render_collections(document: dict, *, base: str, static_prefix: str = "/static") -> str:
    """The list of collections as HTML."""
    rows = "".join(
        f'<tr><td><a href="{escape(base)}/collections/{escape(c["id"])}?f=html">'
        f"{escape(c['id'])}</a></td><td>{escape(c['title'])}</td>"
        f"<td>{escape(c['description'])}</td>"
        f'<td><a href="{escape(base)}/collections/{escape(c["id"])}/items?f=html">地图</a></td>'
        "</tr>"
        for c in document["collections"]
    )
    body = (
        "<table><tr><th>图层</th><th>名称</th><th>说明</th><th>要素</th></tr>"
        f"{rows}</table>" + _links(document["links"], ("alternate",))
    )
    return _shell("图层 Collections", body, static_prefix, _nav(base))


def render_collection(
    document: dict,
    *,
    base: str,
    basemap: BasemapConfig | None = None,
    static_prefix: str = "/static",
) -> str:
    """One collection's metadata as HTML, with its extent on a map."""
    bbox = document["extent"]["spatial"]["bbox"][0]
    x0, y0, x1, y1 = bbox
    extent = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "id": document["id"],
                "geometry": {
                    "type": "Polygon",
                    "coordinates": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]],
                },
                "properties": {"name": document["title"]},
            }
        ],
    }
    map_html = _map(extent, list(bbox), basemap or BasemapConfig(), static_prefix)
    temporal = document["extent"].get("temporal", {}).get("interval", [[None, None]])[0]
    crs = "".join(f"<li><code>{escape(uri)}</code></li>" for uri in document["crs"])
    body = (
        f"<p>{escape(document['description'])}</p>"
        f'<p class="sx-ogc-facts">范围 (CRS84)：{", ".join(f"{v:.5f}" for v in bbox)}'
        + (f"；时间：{escape(str(temporal[0]))} 起" if temporal[0] else "")
        + "</p>"
        + _links(document["links"], ("items", "alternate"))
        + f'<p><a href="{escape(base)}/collections/{escape(document["id"])}/queryables?f=html">'
        "可查询字段 (queryables)</a></p>"
        f'<iframe class="sx-ogc-map" id="sx-ogc-map" title="范围" srcdoc="{escape(map_html)}" '
        'style="width:100%"></iframe>'
        f"<h3>坐标参考系</h3><ul>{crs}</ul>"
    )
    return _shell(f"{document['title']} · {document['id']}", body, static_prefix, _nav(base))


def render_schema(document: dict, *, base: str, static_prefix: str = "/static") -> str:
    """A JSON Schema (the queryables) as a table."""
    rows = "".join(
        f"<tr><td><code>{escape(name)}</code></td><td>{escape(str(p.get('title', '')))}</td>"
        f"<td>{escape(str(p.get('type', p.get('format', ''))))}</td>"
        f"<td>{escape(', '.join(map(str, p.get('enum', []))))}</td></tr>"
        for name, p in document["properties"].items()
    )
    body = (
        f"<p>{escape(document.get('description', ''))}</p>"
        f"<table><tr><th>字段</th><th>名称</th><th>类型</th><th>取值</th></tr>{rows}</table>"
    )
    return _shell(f"可查询字段 · {document['title']}", body, static_prefix, _nav(base))


def render_api(document: dict, *, base: str, static_prefix: str = "/static") -> str:
    """The OpenAPI document's paths as a table (the JSON is at ?f=json)."""
    rows = "".join(
        f"<tr><td><code>GET {escape(path)}</code></td>"
        f"<td>{escape(operation['get'].get('summary', ''))}</td>"
        f"<td>{escape(', '.join(p['name'] for p in operation['get'].get('parameters', [])))}"
        "</td></tr>"
        for path, operation in document["paths"].items()
    )
    body = (
        f"<p>{escape(document['info']['description'])}</p>"
        f'<p><a href="{escape(base)}/api?f=json">OpenAPI 3.0 (JSON)</a></p>'
        f"<table><tr><th>路径</th><th>说明</th><th>参数</th></tr>{rows}</table>"
    )
    return _shell(document["info"]["title"], body, static_prefix, _nav(base))


def _cell(value: Any) -> str:
    if value is None:
        return ""
    return escape(str(value))


def _map(
    features: dict,
    bounds: list[float] | None,
    basemap: BasemapConfig,
    static_prefix: str,
) -> str:
    """A small folium map of `features` (GeoJSON, CRS84) as the HTML of a standalone figure."""
    m = folium.Map(**initial_view(bounds), tiles=None, control_scale=True, prefer_canvas=True)
    add_basemaps(m, basemap)
    if bounds:
        FitNow(bounds).add_to(m)
    if features["features"]:
        layer = folium.GeoJson(
            features,
            name="要素",
            style_function=_style,
            marker=folium.CircleMarker(radius=5, color="#c0392b", fill=True, fill_opacity=0.8),
            tooltip=folium.GeoJsonTooltip(fields=_tooltip_fields(features), labels=True),
        )
        layer.add_to(m)
    localize(m.get_root(), static_prefix)
    return m.get_root().render()


def _style(feature: dict) -> dict:
    """Areas outlined in blue; points (events, hazards) as red dots."""
    if (feature.get("geometry") or {}).get("type") == "Point":
        return {"color": "#c0392b", "fillColor": "#e74c3c", "weight": 1, "fillOpacity": 0.85}
    return {"color": "#08306b", "weight": 2, "fillOpacity": 0.15}


def _tooltip_fields(features: dict) -> list[str]:
    first = features["features"][0]["properties"]
    preferred = [
        k for k in ("title", "name", "code", "status_label", "category_name") if k in first
    ]
    return preferred[:3] or list(first)[:2]


def _extent(features: dict) -> list[float] | None:
    xs: list[float] = []
    ys: list[float] = []

    def walk(coordinates: Any) -> None:
        if coordinates and isinstance(coordinates[0], int | float):
            xs.append(coordinates[0])
            ys.append(coordinates[1])
        else:
            for part in coordinates or []:
                walk(part)

    for feature in features["features"]:
        if feature.get("geometry"):
            walk(feature["geometry"]["coordinates"])
    if not xs:
        return None
    pad = 0.002
    return [min(xs) - pad, min(ys) - pad, max(xs) + pad, max(ys) + pad]


def render_features(
    title: str,
    features: dict,
    *,
    base: str,
    basemap: BasemapConfig,
    bounds: list[float] | None = None,
    static_prefix: str = "/static",
) -> str:
    """A page of features (a GeoJSON FeatureCollection in CRS84): a map and a table."""
    items = features["features"]
    map_html = _map(features, _extent(features) or bounds, basemap, static_prefix)
    columns = list(items[0]["properties"]) if items else []
    header = "".join(f"<th>{escape(c)}</th>" for c in ["id", *columns])
    rows = "".join(
        f"<tr><td>{_cell(f['id'])}</td>"
        + "".join(f"<td>{_cell(f['properties'].get(c))}</td>" for c in columns)
        + "</tr>"
        for f in items
    )
    facts = f"本页 {features.get('numberReturned', len(items))} 个要素" + (
        f"，共 {features['numberMatched']} 个" if features.get("numberMatched") is not None else ""
    )
    body = (
        f'<p class="sx-ogc-facts">{facts}</p>'
        + _links(features["links"], ("prev", "next", "collection", "alternate"))
        + f'<iframe class="sx-ogc-map" id="sx-ogc-map" title="地图" srcdoc="{escape(map_html)}" '
        'style="width:100%"></iframe>'
        f'<div class="sx-ogc-table"><table id="sx-ogc-table"><tr>{header}</tr>{rows}</table></div>'
    )
    return _shell(title, body, static_prefix, _nav(base))


def render_feature(
    title: str,
    feature: dict,
    *,
    base: str,
    basemap: BasemapConfig,
    static_prefix: str = "/static",
) -> str:
    """One feature (GeoJSON, CRS84): a map and its properties."""
    collection = {"type": "FeatureCollection", "features": [feature]}
    map_html = _map(collection, _extent(collection), basemap, static_prefix)
    rows = "".join(
        f"<tr><th>{escape(k)}</th><td>{_cell(v)}</td></tr>"
        for k, v in feature["properties"].items()
    )
    body = (
        _links(feature["links"], ("collection", "alternate"))
        + f'<iframe class="sx-ogc-map" id="sx-ogc-map" title="地图" srcdoc="{escape(map_html)}" '
        'style="width:100%"></iframe>'
        f'<table id="sx-ogc-table"><tr><th>id</th><td>{_cell(feature["id"])}</td></tr>{rows}'
        "</table>"
    )
    return _shell(title, body, static_prefix, _nav(base))
