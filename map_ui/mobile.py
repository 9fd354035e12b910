"""The phone page (/m, 网格通): report, my tasks, patrol, and what waits to be sent.

Plain HTML and static scripts (no inline script, no inline handler, nothing from a CDN): the
page's data is one JSON block (`type="application/json"`, never run), read by
`static/js/mobile.js`. A web app manifest and a service worker (`static/js/mobile-sw.js`,
served at /m/sw.js with the version of the assets it keeps) let the page be added to the home
screen and open without a signal; reports wait in the browser's IndexedDB until they are sent.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from html import escape

from map_ui.vendor import STATIC_DIR, asset_url

SCOPE = "/m"
"""The page's URL and the service worker's scope."""


@dataclass(frozen=True)
class FormField:
    """One field of a task action's form, generated from the action's body schema."""

    name: str
    title: str
    kind: str  # text | choice | photos | datetime | order | line
    required: bool = False
    choices: tuple[tuple[str, str], ...] = ()  # (value, label) for a choice


@dataclass(frozen=True)
class PhoneAction:
    """A task action the phone offers (from the one action table)."""

    action: str
    label: str
    task_from: tuple[str, ...]  # the states the unit's task must be in (empty: any)
    fields: tuple[FormField, ...]


@dataclass(frozen=True)
class MobileConfig:
    """What the phone page needs to start and to work offline: plain data, from the API."""

    place: str = ""
    user: dict = field(default_factory=dict)  # login, name, role, unit_code, unit_name ...
    can_report: bool = True
    can_patrol: bool = True
    has_tasks: bool = True
    source: str = "grid_worker"  # the source the phone's reports carry
    categories: tuple[dict, ...] = ()  # code, name, parent_code, initials, urgent, natural
    actions: tuple[PhoneAction, ...] = ()
    action_labels: dict[str, str] = field(default_factory=dict)
    task_states: dict[str, str] = field(default_factory=dict)
    tiles: tuple[dict, ...] = ()  # the basemap's tile layers (map_ui.basemaps.tile_layers)
    bounds: tuple[float, float, float, float] | None = None
    patrol_interval_s: int = 30
    patrol_batch_points: int = 10
    gps_max_accuracy_m: float = 100.0
    poll_s: int = 30
    upload_max_bytes: int = 10 * 1024 * 1024
    max_photos: int = 9
    photo_max_px: int = 1600
    timezone: str = "Asia/Shanghai"
    api_prefix: str = "/api/v1"
    static_prefix: str = "/static"


# The files the page loads, which the service worker keeps for opening offline.
_SCRIPTS = ("js/shuxin-map.js", "js/mobile-store.js", "js/mobile.js")
_STYLES = ("css/mobile.css",)
_ICONS = ("icons/shuxin-192.png", "icons/shuxin-512.png", "favicon.svg")


def _own_files() -> tuple[str, ...]:
    return (*_STYLES, *_SCRIPTS, *_ICONS)


def _vendor_files() -> tuple[str, ...]:
    return tuple(asset_url(name, "").lstrip("/") for name in ("leaflet_css", "leaflet_js"))


@lru_cache(maxsize=1)
def assets_version() -> str:
    """A short hash of every file the page loads: the service worker's cache changes with it."""
    digest = hashlib.sha256()
    for relative in (*_own_files(), *_vendor_files(), "js/mobile-sw.js"):
        digest.update(relative.encode())
        digest.update((STATIC_DIR / relative).read_bytes())
    return digest.hexdigest()[:12]


def _url(relative: str, static_prefix: str) -> str:
    return f"{static_prefix}/{relative}?v={assets_version()}"


def cached_urls(static_prefix: str = "/static") -> list[str]:
    """What the service worker stores when it installs: the page, its manifest and files."""
    files = (*_own_files(), *_vendor_files())
    return [SCOPE, f"{SCOPE}/manifest.webmanifest", *(_url(f, static_prefix) for f in files)]


def render_mobile(config: MobileConfig) -> str:
    """The whole page as HTML (zh-CN)."""
    p = config.static_prefix
    payload = json.dumps(
        {**asdict(config), "version": assets_version()}, ensure_ascii=False
    ).replace("</", "<\\/")
    styles = "\n".join(
        f'<link rel="stylesheet" href="{_url(f, p)}">' for f in (*_vendor_files()[:1], *_STYLES)
    )
    scripts = "\n".join(
        f'<script defer src="{_url(f, p)}"></script>' for f in (*_vendor_files()[1:], *_SCRIPTS)
    )
    user = config.user
    who = " · ".join(x for x in (user.get("name"), user.get("unit_name")) if x)
    nav = [
        ("report", "上报", config.can_report),
        ("tasks", "待办", config.has_tasks),
        ("patrol", "巡查", config.can_patrol),
        ("outbox", "发送", config.can_report),
    ]
    buttons = "".join(
        f'<button type="button" data-tab="{key}"><span>{label}</span>'
        f'<b class="m-badge" data-badge="{key}" hidden></b></button>'
        for key, label, shown in nav
        if shown
    )
    return _PAGE.format(
        title=escape(f"舒心 · {config.place}" if config.place else "舒心"),
        place=escape(config.place),
        who=escape(who),
        timezone=escape(config.timezone),
        styles=styles,
        scripts=scripts,
        manifest=f"{SCOPE}/manifest.webmanifest",
        icon=_url("icons/shuxin-192.png", p),
        favicon=_url("favicon.svg", p),
        nav=buttons,
        config=payload,
        max_photos=config.max_photos,
    )


def render_manifest(static_prefix: str = "/static") -> str:
    """The web app manifest: the page added to the home screen opens full screen at /m."""
    name = "舒心网格通"
    icons = [
        {"src": f"{static_prefix}/icons/shuxin-{n}.png", "sizes": f"{n}x{n}",
         "type": "image/png", "purpose": "any maskable"}
        for n in (192, 512)
    ]  # fmt: skip
    return json.dumps(
        {
            "name": name,
            "short_name": "舒心",
            "description": "网格员和处置单位的手机端：上报、待办、巡查，弱信号可用",
            "lang": "zh-CN",
            "start_url": SCOPE,
            "scope": SCOPE,
            "display": "standalone",
            "orientation": "portrait",
            "background_color": "#0b2545",
            "theme_color": "#13315c",
            "icons": icons,
        },
        ensure_ascii=False,
    )


def render_service_worker(static_prefix: str = "/static") -> str:
    """The service worker: its version and the URLs it keeps, then the static script."""
    head = json.dumps({"version": assets_version(), "urls": cached_urls(static_prefix)})
    body = (STATIC_DIR / "js" / "mobile-sw.js").read_text()
    return f"self.SHUXIN_CACHE = {head};\n{body}"


_PAGE = """<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1, viewport-fit=cover">
<meta name="theme-color" content="#13315c">
<meta name="shuxin-timezone" content="{timezone}">
<title>{title}</title>
<link rel="manifest" href="{manifest}">
<link rel="icon" href="{favicon}">
<link rel="apple-touch-icon" href="{icon}">
{styles}
{scripts}
</head>
<body class="m-body">
<header class="m-top">
  <div class="m-brand"><b>舒心</b><span>{place}</span></div>
  <span id="m-net" class="m-net" role="status">在线</span>
  <span class="m-who">{who}</span>
</header>
<div id="m-banner" class="m-banner" role="alert" hidden></div>
<main class="m-main">
<section id="m-tab-report" class="m-tab" data-tab="report" hidden>
  <form id="m-report" class="m-form" autocomplete="off" novalidate>
    <div class="m-field"><span class="m-label">分类</span>
      <button type="button" id="m-category" class="m-pick">请选择事件分类</button></div>
    <label class="m-field"><span class="m-label">标题</span>
      <input name="title" maxlength="200" placeholder="一句话说明问题，如：桥头暴露垃圾"></label>
    <label class="m-field"><span class="m-label">描述</span>
      <textarea name="description" rows="3" maxlength="4000"
        placeholder="现场情况（可不填）"></textarea></label>
    <label class="m-check" id="m-urgent-box" hidden><input type="checkbox" name="urgent">
      <span>紧急事件（按自然时计时）</span></label>
    <div class="m-field"><span class="m-label">照片 <small id="m-photo-count">0/{max_photos}</small>
      </span>
      <div id="m-photos" class="m-photos"></div>
      <div class="m-row">
        <label class="m-button m-half">拍照<input id="m-camera" type="file" accept="image/*"
          capture="environment" hidden></label>
        <label class="m-button m-half">相册<input id="m-album" type="file" accept="image/*"
          multiple hidden></label>
      </div>
    </div>
    <div class="m-field"><span class="m-label">位置</span>
      <div id="m-gps" class="m-gps">正在定位…</div>
      <div id="m-map" class="m-map" aria-label="拖动图钉标出事发位置"></div>
      <div id="m-route" class="m-route" aria-live="polite"></div>
      <button type="button" id="m-locate" class="m-button">重新定位</button>
    </div>
    <label class="m-field"><span class="m-label">地址</span>
      <input name="address" maxlength="500" placeholder="路名门牌或地标（可不填）"></label>
    <button type="submit" id="m-send" class="m-primary">上报</button>
    <p id="m-report-note" class="m-note" aria-live="polite"></p>
  </form>
</section>
<section id="m-tab-tasks" class="m-tab" data-tab="tasks" hidden>
  <div class="m-tab-head"><h2>待办任务</h2><span id="m-tasks-when" class="m-muted"></span></div>
  <ol id="m-tasks" class="m-cards"></ol>
  <p id="m-tasks-empty" class="m-empty" hidden>暂无待办任务</p>
</section>
<section id="m-tab-patrol" class="m-tab" data-tab="patrol" hidden>
  <div class="m-patrol">
    <div id="m-patrol-state" class="m-patrol-state">未在巡查</div>
    <dl class="m-figures">
      <div><dt>时长</dt><dd id="m-patrol-time">0:00</dd></div>
      <div><dt>里程</dt><dd id="m-patrol-distance">0 米</dd></div>
      <div><dt>定位点</dt><dd id="m-patrol-points">0</dd></div>
      <div><dt>待上传</dt><dd id="m-patrol-waiting">0</dd></div>
    </dl>
    <div id="m-patrol-gps" class="m-gps"></div>
    <button type="button" id="m-patrol-toggle" class="m-primary">开始巡查</button>
    <p class="m-note">巡查时请保持本页面打开：手机锁屏或切到其他应用后，浏览器会暂停定位。</p>
  </div>
  <h3>今日巡查</h3>
  <ol id="m-patrols" class="m-list"></ol>
</section>
<section id="m-tab-outbox" class="m-tab" data-tab="outbox" hidden>
  <div class="m-tab-head"><h2>发送记录</h2>
    <button type="button" id="m-retry" class="m-button m-small">立即发送</button></div>
  <ol id="m-outbox" class="m-cards"></ol>
  <p id="m-outbox-empty" class="m-empty">还没有上报</p>
</section>
</main>
<nav class="m-nav" aria-label="功能">{nav}</nav>
<div id="m-sheet" class="m-sheet" hidden role="dialog" aria-modal="true"></div>
<div id="m-toast" class="m-toast" role="status" hidden></div>
<script id="sx-config" type="application/json">{config}</script>
</body>
</html>
"""
