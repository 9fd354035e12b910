#!/usr/bin/env python3
"""Vendor the map UI's front-end libraries into ``map_ui/static/vendor/``.

Run from the repository root (any working directory works, paths are resolved
from this file's location)::

    python map_ui/assets/build.py [-v]

Steps:

1. ``npm ci`` into ``map_ui/assets/node_modules`` -- only when node_modules is
   missing or older than ``package-lock.json``.
2. Copy exactly the files the pages need into ``map_ui/static/vendor/<package>/``,
   keeping the relative layout every CSS file uses for its images.
3. Verify the copies: each installed version equals the pin in package.json,
   every relative ``url(...)`` in a copied CSS file resolves to a copied file,
   and no copied CSS/JS/SVG makes the browser fetch anything from an external
   host (the UI runs on intranets without internet access).
4. Write ``map_ui/static/vendor/manifest.json``: logical name -> path relative
   to ``map_ui/static/``, plus ``versions`` (npm package -> version).

Standard library only. Exits non-zero with a message on any problem.
"""

from __future__ import annotations

import filecmp
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

ASSETS = Path(__file__).resolve().parent  # map_ui/assets
MAP_UI = ASSETS.parent  # map_ui
STATIC = MAP_UI / "static"
VENDOR = STATIC / "vendor"
NODE_MODULES = ASSETS / "node_modules"
PACKAGE_JSON = ASSETS / "package.json"
LOCK_FILE = ASSETS / "package-lock.json"
MANIFEST = VENDOR / "manifest.json"

NPM_HINT = "install Node.js and npm: apt-get install nodejs npm"

# npm package -> list of (source path inside node_modules/<package>, destination
# path inside vendor/<package>). Destinations keep the layout the CSS expects:
#   leaflet.css                -> url(images/layers.png), url(images/marker-icon.png)
#   leaflet.draw.css           -> url('images/spritesheet.png|-2x.png|.svg')
#   Control.FullScreen.css     -> url('icon-fullscreen.svg') (same directory)
# License files are shipped alongside the code (BSD/MIT/Apache require it).
FILES: dict[str, list[tuple[str, str]]] = {
    "leaflet": [
        ("dist/leaflet.js", "leaflet.js"),
        ("dist/leaflet.css", "leaflet.css"),
        ("dist/images/layers.png", "images/layers.png"),
        ("dist/images/layers-2x.png", "images/layers-2x.png"),
        ("dist/images/marker-icon.png", "images/marker-icon.png"),
        ("dist/images/marker-icon-2x.png", "images/marker-icon-2x.png"),
        ("dist/images/marker-shadow.png", "images/marker-shadow.png"),
        ("LICENSE", "LICENSE"),
    ],
    "leaflet-realtime": [
        ("dist/leaflet-realtime.js", "leaflet-realtime.js"),
        ("LICENSE.md", "LICENSE.md"),
    ],
    "leaflet.markercluster": [
        ("dist/leaflet.markercluster.js", "leaflet.markercluster.js"),
        ("dist/MarkerCluster.css", "MarkerCluster.css"),
        ("dist/MarkerCluster.Default.css", "MarkerCluster.Default.css"),
        ("MIT-LICENCE.txt", "MIT-LICENCE.txt"),
    ],
    "leaflet.heat": [
        ("dist/leaflet-heat.js", "leaflet-heat.js"),
        ("LICENSE", "LICENSE"),
    ],
    "leaflet-draw": [
        # leaflet-draw 1.0.4 ships no LICENSE file (MIT per its package.json and
        # the copyright header kept in leaflet.draw.js).
        ("dist/leaflet.draw.js", "leaflet.draw.js"),
        ("dist/leaflet.draw.css", "leaflet.draw.css"),
        ("dist/images/spritesheet.png", "images/spritesheet.png"),
        ("dist/images/spritesheet-2x.png", "images/spritesheet-2x.png"),
        ("dist/images/spritesheet.svg", "images/spritesheet.svg"),
        ("dist/images/layers.png", "images/layers.png"),
        ("dist/images/layers-2x.png", "images/layers-2x.png"),
        ("dist/images/marker-icon.png", "images/marker-icon.png"),
        ("dist/images/marker-icon-2x.png", "images/marker-icon-2x.png"),
        ("dist/images/marker-shadow.png", "images/marker-shadow.png"),
    ],
    "leaflet.fullscreen": [
        ("Control.FullScreen.js", "Control.FullScreen.js"),
        ("Control.FullScreen.css", "Control.FullScreen.css"),
        ("icon-fullscreen.svg", "icon-fullscreen.svg"),
        ("LICENSE", "LICENSE"),
    ],
    "echarts": [
        ("dist/echarts.min.js", "echarts.min.js"),
        ("LICENSE", "LICENSE"),
        ("NOTICE", "NOTICE"),
        ("licenses/LICENSE-d3", "LICENSE-d3"),
        # echarts.min.js bundles zrender (BSD-3-Clause); ship its notice too.
        ("../zrender/LICENSE", "LICENSE-zrender"),
    ],
}

# Logical name -> (npm package, destination inside vendor/<package>).
MANIFEST_ENTRIES: dict[str, tuple[str, str]] = {
    "leaflet_js": ("leaflet", "leaflet.js"),
    "leaflet_css": ("leaflet", "leaflet.css"),
    "realtime_js": ("leaflet-realtime", "leaflet-realtime.js"),
    "markercluster_js": ("leaflet.markercluster", "leaflet.markercluster.js"),
    "markercluster_css": ("leaflet.markercluster", "MarkerCluster.css"),
    "markercluster_default_css": ("leaflet.markercluster", "MarkerCluster.Default.css"),
    "heat_js": ("leaflet.heat", "leaflet-heat.js"),
    "draw_js": ("leaflet-draw", "leaflet.draw.js"),
    "draw_css": ("leaflet-draw", "leaflet.draw.css"),
    "fullscreen_js": ("leaflet.fullscreen", "Control.FullScreen.js"),
    "fullscreen_css": ("leaflet.fullscreen", "Control.FullScreen.css"),
    "echarts_js": ("echarts", "echarts.min.js"),
}

# Rewrites applied to copied text files: (package, destination) ->
# [(old substring, new substring)]. Use this when an upstream CSS/JS file makes
# the browser fetch from an external host: vendor the resource locally (add it
# to FILES) and point the reference at the local copy here. The build fails if
# a listed `old` string is not found, so stale patches are noticed on upgrade.
# Currently empty: none of the pinned versions references an external host.
PATCHES: dict[tuple[str, str], list[tuple[str, str]]] = {}

# Absolute URLs that appear in copied JS/SVG but are never fetched by the
# browser, reviewed by hand. Any other absolute URL fails the build so that an
# upgrade cannot silently introduce a run-time dependency on the internet.
REVIEWED_URLS: dict[str, str] = {
    # XML namespace identifiers (compared as strings, never fetched).
    "http://www.w3.org/2000/svg": "XML namespace",
    "http://www.w3.org/1999/xlink": "XML namespace",
    "http://www.w3.org/2000/xmlns/": "XML namespace",
    "http://www.w3.org/XML/1998/namespace": "XML namespace",
    "http://www.w3.org/1999/02/22-rdf-syntax-ns#": "XML namespace (SVG metadata)",
    "http://purl.org/dc/elements/1.1/": "XML namespace (SVG metadata)",
    "http://purl.org/dc/dcmitype/StillImage": "RDF term (SVG metadata)",
    "http://creativecommons.org/ns#": "XML namespace (SVG metadata)",
    "http://www.inkscape.org/namespaces/inkscape": "XML namespace (SVG metadata)",
    "http://sodipodi.sourceforge.net/DTD/sodipodi-0.dtd": "XML namespace (SVG metadata)",
    # Plain hyperlinks: comments / license headers / attribution <a href>.
    "https://leafletjs.com": "attribution-control link (<a href>, only on click)",
    "http://leafletjs.com": "comment in license header",
    "https://github.com/Leaflet/Leaflet.draw": "comment in license header",
    "https://github.com/Leaflet/Leaflet/": "text of an error message (old-Leaflet check)",
    "https://github.com/Leaflet/Leaflet.heat": "comment in license header",
    "https://github.com/mourner/simpleheat": "comment in license header",
    "http://www.apache.org/licenses/LICENSE-2.0": "comment in license header",
    "https://github.com/ecomfe/zrender/blob/master/LICENSE.txt": "comment in license header",
}

SCANNED_SUFFIXES = {".css", ".js", ".svg"}
# Absolute or protocol-relative URL. Protocol-relative only counts when it looks
# like a host name (avoids matching JS comments such as `// foo.bar`).
URL_RE = re.compile(
    r"""(?:https?:)?//[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b[^\s"'`()<>\\]*"""
)
CSS_COMMENT_RE = re.compile(r"/\*.*?\*/", re.DOTALL)
CSS_URL_RE = re.compile(r"""url\(\s*(['"]?)(.*?)\1\s*\)""", re.IGNORECASE)
CSS_IMPORT_RE = re.compile(r"""@import\s+(?:url\(\s*)?['"]?([^'")\s;]+)""", re.IGNORECASE)


class BuildError(Exception):
    pass


def rel(path: Path) -> str:
    try:
        return path.relative_to(MAP_UI.parent).as_posix()
    except ValueError:
        return str(path)


# --------------------------------------------------------------------------- npm
def npm_ci_needed() -> tuple[bool, str]:
    if not LOCK_FILE.is_file():
        raise BuildError(
            f"{rel(LOCK_FILE)} is missing; run `npm install --prefix map_ui/assets` to create it"
        )
    if not NODE_MODULES.is_dir():
        return True, "node_modules is missing"
    # npm ci writes node_modules/.package-lock.json last; we also touch the
    # directory after a successful run, so either timestamp marks the install.
    stamps = [NODE_MODULES.stat().st_mtime]
    hidden = NODE_MODULES / ".package-lock.json"
    if hidden.is_file():
        stamps.append(hidden.stat().st_mtime)
    if max(stamps) < LOCK_FILE.stat().st_mtime:
        return True, "node_modules is older than package-lock.json"
    return False, "node_modules is up to date with package-lock.json"


def run_npm_ci() -> float:
    npm = shutil.which("npm")
    if npm is None:
        raise BuildError(f"npm not found on PATH; {NPM_HINT}")
    cmd = [npm, "ci", "--no-audit", "--no-fund", "--prefix", str(ASSETS)]
    print(f"[vendor] running: npm ci --no-audit --no-fund --prefix {rel(ASSETS)}", flush=True)
    start = time.monotonic()
    try:
        proc = subprocess.run(cmd, cwd=MAP_UI.parent)
    except OSError as exc:
        raise BuildError(f"could not run npm ({exc}); {NPM_HINT}") from exc
    elapsed = time.monotonic() - start
    if proc.returncode != 0:
        raise BuildError(f"npm ci failed with exit code {proc.returncode}")
    os.utime(NODE_MODULES)  # mark the install as newer than the lock file
    print(f"[vendor] npm ci finished in {elapsed:.1f}s", flush=True)
    return elapsed


# ------------------------------------------------------------------------- checks
def installed_versions() -> dict[str, str]:
    pins = json.loads(PACKAGE_JSON.read_text(encoding="utf-8"))["dependencies"]
    versions: dict[str, str] = {}
    problems: list[str] = []
    for pkg in FILES:
        if pkg not in pins:
            problems.append(f"{pkg} is vendored but not listed in {rel(PACKAGE_JSON)}")
            continue
        pin = pins[pkg]
        if not re.fullmatch(r"\d+\.\d+\.\d+", pin):
            problems.append(f"{pkg}: pin {pin!r} in package.json is not an exact version")
            continue
        meta = NODE_MODULES / pkg / "package.json"
        if not meta.is_file():
            problems.append(f"{pkg} is not installed ({rel(meta)} missing)")
            continue
        version = json.loads(meta.read_text(encoding="utf-8"))["version"]
        if version != pin:
            problems.append(
                f"{pkg}: installed {version} but package.json pins {pin} "
                "(run `npm install --prefix map_ui/assets` to refresh the lock file)"
            )
        versions[pkg] = version
    if problems:
        raise BuildError("\n  ".join(["package check failed:", *problems]))
    return versions


def scan_external_urls(files: list[Path]) -> tuple[list[str], list[str]]:
    """Return (reviewed notes, problems) for absolute URLs in the copied files."""
    notes: list[str] = []
    problems: list[str] = []
    for path in files:
        if path.suffix not in SCANNED_SUFFIXES:
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        name = path.relative_to(STATIC).as_posix()
        flagged: set[str] = set()
        if path.suffix == ".css":
            # Links inside CSS comments (bug-tracker references) are never fetched.
            text = CSS_COMMENT_RE.sub("", text)
            refs = [m.group(2) for m in CSS_URL_RE.finditer(text)]
            refs += [m.group(1) for m in CSS_IMPORT_RE.finditer(text)]
            for ref in refs:
                if re.match(r"(?:[a-z]+:)?//", ref, re.IGNORECASE):
                    problems.append(f"{name}: CSS fetches external URL {ref}")
                    flagged.add(ref)
        for m in URL_RE.finditer(text):
            url = m.group(0).rstrip(".,;")
            if url in flagged:
                continue
            why = REVIEWED_URLS.get(url)
            if why is None:
                problems.append(f"{name}: unreviewed external URL {url}")
            else:
                notes.append(f"{name}: {url} ({why})")
    return sorted(set(notes)), problems


def check_css_references(files: list[Path]) -> list[str]:
    """Every relative url(...) in a copied CSS file must point at a copied file."""
    problems: list[str] = []
    for path in files:
        if path.suffix != ".css":
            continue
        text = CSS_COMMENT_RE.sub("", path.read_text(encoding="utf-8"))
        for m in CSS_URL_RE.finditer(text):
            ref = m.group(2)
            if not ref or ref.startswith(("#", "data:")) or re.match(r"(?:[a-z]+:)?//", ref):
                continue
            target = (path.parent / ref.split("#")[0].split("?")[0]).resolve()
            if not target.is_file() or VENDOR.resolve() not in target.parents:
                problems.append(
                    f"{path.relative_to(STATIC).as_posix()}: url({ref}) does not resolve "
                    "to a vendored file"
                )
    return problems


# --------------------------------------------------------------------------- copy
def copy_files() -> tuple[list[Path], int]:
    missing: list[str] = []
    plan: list[tuple[Path, Path, str, str]] = []
    for pkg, entries in FILES.items():
        for src_rel, dst_rel in entries:
            src = NODE_MODULES / pkg / src_rel
            if not src.is_file():
                missing.append(rel(src))
            plan.append((src, VENDOR / pkg / dst_rel, pkg, dst_rel))
    if missing:
        raise BuildError("\n  ".join(["expected file(s) missing from node_modules:", *missing]))

    unused = set(PATCHES) - {(pkg, dst) for _, _, pkg, dst in plan}
    if unused:
        raise BuildError(f"PATCHES refer to files that are not copied: {sorted(unused)}")

    copied = 0
    written: list[Path] = []
    for src, dst, pkg, dst_rel in plan:
        dst.parent.mkdir(parents=True, exist_ok=True)
        patches = PATCHES.get((pkg, dst_rel))
        if patches:
            text = src.read_text(encoding="utf-8")
            for old, new in patches:
                if old not in text:
                    raise BuildError(f"patch for {pkg}/{dst_rel} no longer applies: {old!r}")
                text = text.replace(old, new)
            if not dst.is_file() or dst.read_text(encoding="utf-8") != text:
                dst.write_text(text, encoding="utf-8")
                copied += 1
        elif not dst.is_file() or not filecmp.cmp(src, dst, shallow=False):
            shutil.copyfile(src, dst)
            copied += 1
        written.append(dst)

    # Remove leftovers from previous builds (e.g. files dropped on upgrade).
    keep = {p.resolve() for p in written} | {MANIFEST.resolve()}
    for path in sorted(VENDOR.rglob("*"), reverse=True):
        if path.is_file() and path.resolve() not in keep:
            path.unlink()
            print(f"[vendor] removed stale {path.relative_to(STATIC).as_posix()}")
        elif path.is_dir() and not any(path.iterdir()):
            path.rmdir()
    return written, copied


def write_manifest(versions: dict[str, str]) -> dict:
    manifest: dict = {}
    for name, (pkg, dst_rel) in MANIFEST_ENTRIES.items():
        target = VENDOR / pkg / dst_rel
        if not target.is_file():
            raise BuildError(f"manifest entry {name} points at missing {rel(target)}")
        manifest[name] = target.relative_to(STATIC).as_posix()
    manifest["versions"] = dict(sorted(versions.items()))
    text = json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"
    if not MANIFEST.is_file() or MANIFEST.read_text(encoding="utf-8") != text:
        MANIFEST.write_text(text, encoding="utf-8")
    return manifest


# --------------------------------------------------------------------------- main
def main(argv: list[str]) -> int:
    verbose = "-v" in argv or "--verbose" in argv
    start = time.monotonic()
    try:
        needed, reason = npm_ci_needed()
        if needed:
            print(f"[vendor] {reason}")
            run_npm_ci()
        else:
            print(f"[vendor] skipping npm ci: {reason}")

        versions = installed_versions()
        VENDOR.mkdir(parents=True, exist_ok=True)
        files, copied = copy_files()

        problems = check_css_references(files)
        notes, url_problems = scan_external_urls(files)
        problems += url_problems
        if problems:
            raise BuildError(
                "\n  ".join(
                    [
                        "vendored files would not work offline:",
                        *problems,
                        "(vendor the resource and add a rewrite to PATCHES, or, if the "
                        "URL is never fetched, add it to REVIEWED_URLS)",
                    ]
                )
            )
        write_manifest(versions)
    except BuildError as exc:
        print(f"[vendor] ERROR: {exc}", file=sys.stderr)
        return 1

    total = sum(p.stat().st_size for p in VENDOR.rglob("*") if p.is_file())
    print(
        f"[vendor] external-URL scan clean; {len(notes)} reviewed absolute URL(s) that the "
        "browser never fetches" + (":" if verbose else " (use -v to list)")
    )
    if verbose:
        for note in notes:
            print(f"           {note}")
    print(
        f"[vendor] {len(files)} files in {rel(VENDOR)} ({copied} updated), "
        f"{total / 1024 / 1024:.2f} MiB, manifest {rel(MANIFEST)}; "
        f"done in {time.monotonic() - start:.1f}s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
