"""One review item served to a real headless Chromium, on a SQLite file then PostgreSQL:
the world `build` makes (it leaves exactly one open item), the coordination's account, the
item and the signed-in browser. Shared by the duplicate pages' browser tests."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

from selenium.webdriver.common.by import By

from hub.api.app import create_app
from hub.bootstrap import Hub
from hub.services.accounts import users as accounts
from hub.services.matching import duplicates
from tests.conftest import _drop_pg_database
from tests.e2e.browser import chromium, console_database, served
from tests.e2e.test_console_browser import follow
from tests.integration.dedup_world import hub_for

PASSWORD = "coordination-du-reseau"
COORDINATION = "pnr-livradois-forez"


@contextlib.contextmanager
def one_item_console(request: Any, tmp_path_factory: Any, name: str,
                     build: Callable[[Hub], Any], **settings: Any) -> Iterator[dict[str, Any]]:
    folder, url = console_database(request, tmp_path_factory, name)
    world = hub_for(url, folder, **settings)
    hub, clock = next(world)
    build(hub)
    accounts.add_user(hub, "coord", "coordinator", PASSWORD)
    [item] = duplicates.list_review_items(hub, actor=COORDINATION)["items"]
    try:
        with served(create_app(hub=hub)) as base, chromium() as driver:
            yield {"hub": hub, "base": base, "driver": driver, "item": item, "clock": clock}
    finally:
        next(world, None)
        if request.param == "postgresql":
            _drop_pg_database(url)


def sign_in_coordination(console: dict[str, Any]) -> None:
    driver = console["driver"]
    driver.get(console["base"] + "/console/connexion")
    driver.find_element(By.ID, "login").send_keys("coord")
    driver.find_element(By.ID, "password").send_keys(PASSWORD)
    follow(driver, driver.find_element(By.CSS_SELECTOR, "main form button[type=submit]"))
