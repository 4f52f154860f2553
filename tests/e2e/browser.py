"""A real headless Chromium (Debian's `chromium` and `chromium-driver`) driven by
Selenium, and the hub's app served by a real uvicorn on 127.0.0.1."""

from __future__ import annotations

import contextlib
import shutil
import socket
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import uvicorn

from tests.waiting import wait_until

CHROMIUM, CHROMEDRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--window-size=1280,900", "--lang=fr-FR"]


def console_database(request: Any, tmp_path_factory: Any, name: str) -> tuple[Path, str]:
    """A browser test module's folder and migrated database (`request.param`: a SQLite file
    in the folder, or a fresh PostgreSQL database the module drops with
    `_drop_pg_database`), once Chromium and axe-core are found (else the tests fail, or
    skip outside CI, as `service_missing` says)."""
    from tests.conftest import _fresh_pg_database, service_missing

    missing = browser_missing() or axe_missing()
    if missing:
        service_missing("Chromium and axe-core", RuntimeError(missing))
    folder = tmp_path_factory.mktemp(f"{name}-{request.param}")
    if request.param == "sqlite":
        from hub.store.migrate import upgrade

        url = f"sqlite:///{folder / 'hub.sqlite3'}"
        upgrade(url)
        return folder, url
    return folder, _fresh_pg_database(request.getfixturevalue("postgres_url"))


def browser_missing() -> str | None:
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.exists()]
    return f"{', '.join(missing)} missing: run `make browser`" if missing else None


@contextlib.contextmanager
def chromium() -> Iterator[Any]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = Path(tempfile.mkdtemp(prefix="capactif-chromium-"))
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in [*FLAGS, f"--user-data-dir={profile}"]:
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


@contextlib.contextmanager
def served(app: Any) -> Iterator[str]:
    """`app` on a free port of 127.0.0.1 under a real uvicorn; yields the base URL."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                            access_log=False, lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    def started() -> bool:
        if not thread.is_alive():
            raise RuntimeError("uvicorn stopped before it started")
        return server.started

    wait_until(started, 30, "uvicorn to start", interval=0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


AXE = Path(__file__).resolve().parents[2] / ".venv/axe/node_modules/axe-core/axe.min.js"
_RUN_AXE = """
const done = arguments[arguments.length - 1];
axe.run(document, {resultTypes: ["violations"]}).then(function (result) {
  done(result.violations.map(function (v) {
    return v.id + " (" + v.impact + "): " + v.help + " — " +
      v.nodes.map(function (n) { return n.target.join(" "); }).join(", ");
  }));
}, function (error) { done(["axe failed: " + error]); });
"""


def axe_missing() -> str | None:
    return None if AXE.exists() else f"{AXE} missing: run `make axe`"


def axe_violations(driver: Any) -> list[str]:
    """axe-core's violations on the page the browser shows (WCAG 2.x A and AA rules and
    axe's best practices), one line per rule with the elements at fault."""
    driver.set_script_timeout(60)
    driver.execute_script(AXE.read_text(encoding="utf-8"))
    return list(driver.execute_async_script(_RUN_AXE))


@contextlib.contextmanager
def console_world_served(request: Any, tmp_path_factory: Any, name: str) -> Iterator[dict]:
    """`tests.console_world`'s network on a browser test module's database (as
    `console_database`), with a settable clock, served to a Chromium; yields the hub, the
    clock, the base URL, the driver and what `build_world` returns."""
    from hub.api.app import create_app
    from tests.conftest import _drop_pg_database
    from tests.console_world import build_world, console_hub
    from tests.factories import Clock

    folder, url = console_database(request, tmp_path_factory, name)
    clock = Clock()
    hub = console_hub(url, folder, clock)
    try:
        world = build_world(hub, folder)
        with served(create_app(hub=hub)) as base, chromium() as driver:
            yield {"hub": hub, "clock": clock, "base": base, "driver": driver, **world}
    finally:
        hub.close()
        if request.param == "postgresql":
            _drop_pg_database(url)

