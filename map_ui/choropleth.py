"""Choropleths drawn on the server (geopandas + matplotlib): PNG or SVG, no tiles, no network.

`render_choropleth` takes plain data: the areas' shapes (WGS84) with a value each. Values are
put in classes (quantiles of the values present, at most five), coloured from light to dark
(or reversed when lower is better), areas without a value hatched grey; labels in Chinese with
the CJK font the project installs (fonts-noto-cjk), found through fontconfig.
"""

from __future__ import annotations

import io
import subprocess
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import shapely

CJK_FAMILY = "Noto Sans CJK SC"


@dataclass(frozen=True)
class Area:
    code: str
    name: str
    geometry: shapely.Geometry  # WGS84
    value: float | None


@dataclass(frozen=True)
class ChoroplethData:
    title: str
    unit: str
    areas: tuple[Area, ...]
    higher_is_better: bool = True
    labels: bool = True  # names on the map (left out when there are many areas)
    subtitle: str = ""


@lru_cache(maxsize=1)
def _matplotlib():
    """matplotlib with the Agg backend and the CJK font registered (loaded on first use)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import font_manager
    from matplotlib import pyplot as plt

    try:
        path = subprocess.run(
            ["fc-match", "-f", "%{file}", f"{CJK_FAMILY}:lang=zh-cn"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
        if path:
            font_manager.fontManager.addfont(path)
    except (OSError, subprocess.SubprocessError):
        pass  # the names fall back to a font without Chinese: a tofu map, not a failure
    matplotlib.rcParams["font.family"] = [CJK_FAMILY, "DejaVu Sans"]
    matplotlib.rcParams["svg.fonttype"] = "path"  # the SVG needs no font on the viewer's side
    matplotlib.rcParams["axes.unicode_minus"] = False
    return plt


def classes(values: np.ndarray, k: int = 5) -> np.ndarray:
    """Upper bounds of up to `k` quantile classes of the values (distinct, increasing)."""
    values = values[np.isfinite(values)]
    if not len(values):
        return np.array([])
    bounds = np.unique(np.quantile(values, np.linspace(0, 1, k + 1)[1:]))
    return bounds


def render_choropleth(data: ChoroplethData, fmt: str = "png", width_px: int = 1200) -> bytes:
    """The map as PNG or SVG bytes."""
    import geopandas as gpd

    plt = _matplotlib()
    frame = gpd.GeoDataFrame(
        {
            "code": [a.code for a in data.areas],
            "name": [a.name for a in data.areas],
            "value": [np.nan if a.value is None else float(a.value) for a in data.areas],
        },
        geometry=[a.geometry for a in data.areas],
        crs="EPSG:4326",
    ).to_crs("EPSG:4549")  # CGCS2000 / 3-degree Gauss-Kruger CM 120E: shapes as surveyed
    dpi = 150
    fig, ax = plt.subplots(figsize=(width_px / dpi, width_px / dpi * 0.8), dpi=dpi)
    ax.set_axis_off()
    cmap = plt.get_cmap("RdYlGn" if data.higher_is_better else "RdYlGn_r")
    bounds = classes(frame["value"].to_numpy())
    known = frame[frame["value"].notna()]
    if len(bounds):
        lower = float(np.nanmin(frame["value"]))
        edges = [lower, *bounds] if lower < bounds[0] else [lower - 1e-9, *bounds]
        colours = [cmap(i / max(1, len(bounds) - 1)) for i in range(len(bounds))]
        index = np.searchsorted(bounds, known["value"].to_numpy(), side="left")
        known.plot(ax=ax, color=[colours[i] for i in index], edgecolor="#555555", linewidth=0.4)
        from matplotlib.patches import Patch

        handles = [
            Patch(
                facecolor=colours[i],
                edgecolor="#555555",
                label=f"{edges[i]:.1f} – {edges[i + 1]:.1f} {data.unit}".strip(),
            )
            for i in range(len(bounds))
        ]
    else:
        handles = []
    empty = frame[frame["value"].isna()]
    if len(empty):
        empty.plot(ax=ax, color="#eeeeee", edgecolor="#999999", hatch="///", linewidth=0.4)
        from matplotlib.patches import Patch

        handles.append(Patch(facecolor="#eeeeee", edgecolor="#999999", hatch="///", label="无数据"))
    if data.labels and len(frame) <= 60:
        for _, row in frame.iterrows():
            point = row.geometry.representative_point()
            text = row["name"] if np.isnan(row["value"]) else f"{row['name']}\n{row['value']:g}"
            ax.annotate(text, (point.x, point.y), ha="center", va="center", fontsize=6)
    if handles:
        ax.legend(handles=handles, loc="lower left", fontsize=7, frameon=True, title=data.unit)
    ax.set_title(data.title, fontsize=12)
    if data.subtitle:
        fig.text(0.5, 0.02, data.subtitle, ha="center", fontsize=7, color="#555555")
    out = io.BytesIO()
    fig.savefig(out, format=fmt, bbox_inches="tight", dpi=dpi)
    plt.close(fig)
    return out.getvalue()


@dataclass(frozen=True)
class Point:
    lon: float
    lat: float
    label: str = ""
    colour: str = "#1f6fb2"
    size: float = 18


@dataclass(frozen=True)
class PointsMapData:
    title: str
    areas: tuple[Area, ...]  # outlines (their values are not used)
    points: tuple[Point, ...]
    subtitle: str = ""
    legend: tuple[tuple[str, str], ...] = ()  # (colour, label)


def render_points(data: PointsMapData, fmt: str = "png", width_px: int = 1000) -> bytes:
    """Events as dots over their areas' outlines (a review's map), PNG or SVG bytes."""
    import geopandas as gpd

    plt = _matplotlib()
    dpi = 150
    fig, ax = plt.subplots(figsize=(width_px / dpi, width_px / dpi * 0.75), dpi=dpi)
    ax.set_axis_off()
    if data.areas:
        outlines = gpd.GeoSeries([a.geometry for a in data.areas], crs="EPSG:4326")
        outlines.to_crs("EPSG:4549").plot(ax=ax, facecolor="#f4f6f8", edgecolor="#8899aa", lw=0.5)
        if len(data.areas) <= 40:
            for area, shape in zip(data.areas, outlines.to_crs("EPSG:4549"), strict=True):
                point = shape.representative_point()
                ax.annotate(area.name, (point.x, point.y), ha="center", fontsize=6, color="#667788")
    if data.points:
        dots = gpd.GeoSeries(
            [shapely.Point(p.lon, p.lat) for p in data.points], crs="EPSG:4326"
        ).to_crs("EPSG:4549")
        ax.scatter(
            dots.x,
            dots.y,
            s=[p.size for p in data.points],
            c=[p.colour for p in data.points],
            edgecolors="white",
            linewidths=0.5,
            zorder=3,
        )
        for p, x, y in zip(data.points, dots.x, dots.y, strict=True):
            if p.label:
                ax.annotate(p.label, (x, y), xytext=(4, 4), textcoords="offset points", fontsize=6)
    if data.legend:
        from matplotlib.lines import Line2D

        handles = [
            Line2D([], [], marker="o", ls="", color=colour, label=label)
            for colour, label in data.legend
        ]
        ax.legend(handles=handles, loc="lower left", fontsize=7)
    ax.set_title(data.title, fontsize=11)
    if data.subtitle:
        fig.text(0.5, 0.02, data.subtitle, ha="center", fontsize=7, color="#555555")
    out = io.BytesIO()
    fig.savefig(out, format=fmt, bbox_inches="tight", dpi=dpi)
    plt.close(fig)
    return out.getvalue()
