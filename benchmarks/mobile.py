"""The phone page (/m) on a weak signal: its weight and its first render, beside the command
screen's (/screen) measured in the same run.

- Page weight: every document, script and stylesheet the page loads in Chromium (no map tiles,
  no API answers, no images), each gzipped at level 6 as a server or proxy would send it.
  Target: under 300 KB for /m.
- First render: first-contentful-paint of a cold load (empty cache, no service worker) in
  headless Chromium with DevTools' "Fast 3G" conditions (562.5 ms latency, 1.44 Mbit/s down,
  675 kbit/s up), the median of --runs loads. Target: under 2 s for /m. The phone page is also
  opened again without any network, from its service worker, for the "opens offline" figure.

Makes its own database (`shuxin_bench_mobile`) with the demo data, and drops it at the end.
"""

from __future__ import annotations

import argparse
import gzip
import statistics
import sys
import tempfile
import time
from pathlib import Path

from common import (
    REPO,
    Row,
    fresh_database,
    positive,
    print_summary,
    section,
    sign_in,
    start_cluster,
    start_server,
    stop_server,
    wait_for_health,
)

sys.path.insert(0, str(REPO))

FAST_3G = {  # DevTools' preset: 1.6 Mbit/s and 750 kbit/s at 90%, 150 ms RTT x 3.75
    "offline": False,
    "latency": 562.5,
    "downloadThroughput": 1.6 * 1000 * 1000 / 8 * 0.9,
    "uploadThroughput": 750 * 1000 / 8 * 0.9,
}
PAGE_TYPES = ("document", "script", "stylesheet")
FCP = "() => (performance.getEntriesByName('first-contentful-paint')[0] || {}).startTime"
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
DESK = {"viewport": {"width": 1366, "height": 768}}


def _context(browser, base: str, token: str, size: dict):
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", **size)
    context.add_cookies([{"name": "shuxin_token", "value": token, "url": base}])
    return context


def page_weight(browser, base: str, token: str, path: str, size: dict) -> tuple[int, int, int]:
    """(gzipped bytes, raw bytes, files) of the documents, scripts and stylesheets of `path`."""
    context = _context(browser, base, token, size)
    bodies: list[bytes] = []
    page = context.new_page()
    page.on(
        "response",
        lambda r: (
            bodies.append(r.body())
            if r.request.resource_type in PAGE_TYPES and r.status == 200
            else None
        ),
    )
    page.goto(f"{base}{path}", wait_until="networkidle")
    context.close()
    gz = sum(len(gzip.compress(b, compresslevel=6)) for b in bodies)
    return gz, sum(len(b) for b in bodies), len(bodies)


def first_render(browser, base: str, token: str, path: str, size: dict, runs: int) -> float:
    """Median first-contentful-paint (ms) of cold loads under Fast 3G."""
    times = []
    for _ in range(runs):
        context = _context(browser, base, token, size)
        page = context.new_page()
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
        cdp.send("Network.emulateNetworkConditions", FAST_3G)
        page.goto(f"{base}{path}", wait_until="load", timeout=120_000)
        page.wait_for_function(f"({FCP})() !== undefined", timeout=60_000)
        times.append(page.evaluate(FCP))
        context.close()
    return statistics.median(times)


def offline_open(browser, base: str, token: str) -> float:
    """First-contentful-paint (ms) of /m opened with no network, from its service worker."""
    context = _context(browser, base, token, PHONE)
    page = context.new_page()
    page.goto(f"{base}/m", wait_until="load")
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.wait_for_function("caches.keys().then(k => k.length > 0)", polling=200)
    page.wait_for_timeout(1000)  # the worker has stored every file
    page.close()
    context.set_offline(True)
    page = context.new_page()
    page.goto(f"{base}/m", wait_until="load")
    page.wait_for_function(f"({FCP})() !== undefined", timeout=30_000)
    shown = page.evaluate(FCP)
    assert page.evaluate("navigator.onLine") is False
    context.close()
    return shown


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=positive, default=3)
    parser.add_argument("--events", type=positive, default=500)
    args = parser.parse_args(argv)
    started, rows = time.perf_counter(), []
    url = fresh_database("shuxin_bench_mobile")
    from sqlalchemy import create_engine
    from sqlalchemy.orm import Session

    from api.demo.service import load_demo

    section(f"the demo with {args.events} events")
    engine = create_engine(url)
    with Session(engine) as session:
        load_demo(session=session, events=args.events)
        session.commit()
    engine.dispose()

    from playwright.sync_api import sync_playwright

    from tests.browser import CHROMIUM_ARGS, chromium_path

    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "server.log"
        process, base = start_server(url, log, {"SHUXIN_SWEEP_INTERVAL_S": "0"})
        try:
            wait_for_health(process, base, log)
            token = sign_in(base, "zhs")  # the commander may open both pages
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=chromium_path(), args=CHROMIUM_ARGS
                )
                figures = {}
                for path, size in (("/m", PHONE), ("/screen", DESK)):
                    section(f"{path}: weight, and first render under Fast 3G ({args.runs} runs)")
                    gz, raw, files = page_weight(browser, base, token, path, size)
                    fcp = first_render(browser, base, token, path, size, args.runs)
                    figures[path] = (gz, raw, files, fcp)
                    print(f"{files} files (HTML, JS, CSS): {raw / 1024:.0f} KB, "
                          f"{gz / 1024:.0f} KB gzipped; first render {fcp:.0f} ms")  # fmt: skip
                section("/m opened again without any network (service worker)")
                offline = offline_open(browser, base, token)
                print(f"first render without a network: {offline:.0f} ms")
                browser.close()
        finally:
            stop_server(process)
            start_cluster().drop_database("shuxin_bench_mobile")

    m, screen = figures["/m"], figures["/screen"]
    rows.append(
        Row(
            "/m page weight (gzipped)",
            f"{m[0] / 1024:.0f} KB",
            f"/screen {screen[0] / 1024:.0f} KB",
            "< 300 KB",
            m[0] < 300 * 1024,
        )
    )
    rows.append(
        Row(
            "/m first render, Fast 3G",
            f"{m[3]:.0f} ms",
            f"/screen {screen[3]:.0f} ms",
            "< 2000 ms",
            m[3] < 2000,
        )
    )
    rows.append(Row("/m opened offline (service worker)", f"{offline:.0f} ms",
                    f"online, Fast 3G {m[3]:.0f} ms", "-", None))  # fmt: skip
    return print_summary(rows, [], started)


if __name__ == "__main__":
    sys.exit(main())
