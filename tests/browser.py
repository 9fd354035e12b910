"""Headless Chromium for the browser tests: Debian's /usr/bin/chromium driven by Playwright."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager

from playwright.sync_api import Page, sync_playwright

# Without the background-networking flags Chromium calls Google's hosts at start-up, which
# would both fail on a closed network and pollute the "no other host" assertions.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-domain-reliability",
    "--metrics-recording-only",
]


def chromium_path() -> str:
    path = shutil.which("chromium") or "/usr/bin/chromium"
    if not shutil.which(path):
        raise RuntimeError(
            "Chromium is not installed: apt-get install chromium (make test installs it)"
        )
    return path


@contextmanager
def chromium_page(viewport: tuple[int, int] = (1366, 768)) -> Iterator[tuple[Page, list, list]]:
    """A fresh page; yields (page, every requested URL, every dialog message)."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        context = browser.new_context(
            viewport={"width": viewport[0], "height": viewport[1]},
            locale="zh-CN",
            timezone_id="Asia/Shanghai",
        )
        page = context.new_page()
        requests: list[str] = []
        dialogs: list[str] = []
        page.on("request", lambda request: requests.append(request.url))

        def on_dialog(dialog) -> None:
            dialogs.append(dialog.message)
            dialog.dismiss()

        page.on("dialog", on_dialog)
        try:
            yield page, requests, dialogs
        finally:
            context.close()
            browser.close()


def sign_in_page(
    page: Page, base_url: str, login: str, password: str, next_path: str = "/"
) -> None:
    """Sign in through the login form, as a person would, and land on `next_path`."""
    page.goto(f"{base_url}{next_path}")
    page.wait_for_url("**/login**")
    page.fill("input[name=username]", login)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base_url}{next_path}")
