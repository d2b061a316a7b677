"""Manual check: /docs and /redoc render in headless Chromium with the network off, requesting nothing off-host.

    .venv/bin/python -m bench.offline_docs [--screenshots DIR]

Needs Debian's `chromium` (apt-get install chromium); not part of CI, which
does not install it (tests/test_service.py checks the served HTML and bundles
for off-host loads instead). Starts the app on 127.0.0.1, then for each page
runs Chromium with every host name unresolvable except 127.0.0.1 and a dead
proxy for everything but loopback, records Chromium's NetLog, and reports each
URL requested, the rendered DOM's size and marker, and a screenshot.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

from bench.__main__ import Server

# Text each page shows once its JavaScript has rendered the API document.
PAGES = {"/docs": "generate_workout", "/redoc": "Generate a safe, explained workout"}
OFFLINE_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-default-apps",
    "--disable-sync",
    "--proxy-server=127.0.0.1:9",
    "--proxy-bypass-list=<-loopback>;127.0.0.1",
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
    "--virtual-time-budget=15000",
    "--window-size=1280,1600",
]


def requested_urls(netlog: Path, origin: str) -> tuple[list[str], list[str]]:
    """From Chromium's NetLog: the URLs the page asked for (the navigation and whatever it started), and
    those the browser asked for by itself (update checks, accounts; no initiator, not the main frame)."""
    data = json.loads(netlog.read_text(encoding="utf-8"))
    start_job = data["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"]
    page: list[str] = []
    browser: list[str] = []
    for event in data.get("events", []):
        params = event.get("params") or {}
        if event["type"] != start_job or "url" not in params:
            continue
        mine = params.get("initiator") == origin or params.get("request_type") == "main frame"
        bucket = page if mine else browser
        if params["url"] not in bucket:
            bucket.append(params["url"])
    return page, browser


def check(base: str, page: str, marker: str, chromium: str, out: Path) -> bool:
    netlog = out / f"{page.strip('/')}-netlog.json"
    shot = out / f"{page.strip('/')}.png"
    common = [chromium, *OFFLINE_FLAGS, f"--user-data-dir={out / 'profile'}"]
    dom = subprocess.run(
        [*common, f"--log-net-log={netlog}", "--dump-dom", base + page],
        capture_output=True, text=True, timeout=120, check=False,
    ).stdout
    subprocess.run([*common, f"--screenshot={shot}", base + page], capture_output=True, timeout=120, check=False)
    urls, browser = requested_urls(netlog, base)
    outside = [u for u in urls if urlsplit(u).hostname != "127.0.0.1"]
    rendered = marker in dom
    print(f"{page}: DOM {len(dom)} chars, rendered={rendered}, {len(urls)} page requests, {len(outside)} off-host")
    for url in urls:
        print(f"    {'OFF-HOST ' if url in outside else ''}{url}")
    hosts = sorted({urlsplit(u).hostname or u for u in browser})
    print(f"    (Chromium's own background requests, not the page's; their names do not resolve here: {', '.join(hosts) or 'none'})")
    print(f"    screenshot: {shot}")
    return rendered and not outside


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--screenshots", type=Path, default=None, help="where to keep the PNGs and NetLogs")
    args = parser.parse_args()
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        print("chromium is not installed (Debian: apt-get install chromium)", file=sys.stderr)
        return 2
    out = args.screenshots or Path(tempfile.mkdtemp(prefix="hipflex-docs-"))
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as folder:
        env = {"HIPFLEX_DATABASE_URL": f"sqlite:///{folder}/docs.db", "HIPFLEX_ACCESS_LOG": "false"}
        server = Server("app.main:create_app", env, factory=True)
        try:
            base = f"http://127.0.0.1:{server.port}"
            results = [check(base, page, marker, chromium, out) for page, marker in PAGES.items()]
        finally:
            server.stop()
    print("offline docs: OK" if all(results) else "offline docs: FAILED")
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
