"""How a real worker takes a recipient's answers other than 2xx: a redirect is never
followed (the fiche's fields would go to an address the network never vetted, or a GET
elsewhere would count as the delivery), and a `Retry-After` is honoured."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from capactif_demo.processes import running, start_worker
from hub.services.ingest.processing import pipeline_status
from hub.store.delivery_tables import deliveries
from tests.integration import test_webhook_leases_processes as leases
from tests.integration.scale import wait_until
from tests.receiver import Recipient

pytestmark = [pytest.mark.integration, pytest.mark.slow]
world = leases.world  # the fixture: PostgreSQL, Redis, one recipient member


def outcomes(hub) -> list[tuple[str, int, str | None, dt.datetime | None]]:
    with hub.uow() as uow:
        rows = uow.connection.execute(sa.select(
            deliveries.c.status, deliveries.c.attempts, deliveries.c.last_error,
            deliveries.c.next_attempt_at).order_by(deliveries.c.id)).all()
    return [tuple(row) for row in rows]


@pytest.mark.parametrize("status", [302, 307, 308])
def test_a_redirect_is_not_followed_and_the_delivery_is_not_counted_sent(world, status):
    env, hub, recipient, logs = world
    recipient.delay_s = 0
    with Recipient() as elsewhere:
        recipient.status, recipient.headers = status, {"Location": elsewhere.url}
        with running([start_worker(env, logs)]):
            leases.push(hub, 0, 2)
            wait_until(lambda: pipeline_status(hub)["processed"] == 2, 60, "2 processed fiches")
            wait_until(lambda: outcomes(hub) and (outcomes(hub)[0][1] >= 2
                                                  or leases.sent_count(hub) > 0),
                       60, "two attempts recorded")
        assert elsewhere.arrivals == []  # before: a 307/308 re-posted the fiche there
    assert leases.sent_count(hub) == 0  # before: the GET answered by `elsewhere` counted
    assert leases.disclosure_events(hub) == 0
    assert outcomes(hub)[0][0] == "pending" and outcomes(hub)[0][2] == f"http_{status}"


def test_a_retry_after_is_honoured(world):
    env, hub, recipient, logs = world
    recipient.delay_s = 0
    recipient.status, recipient.headers = 429, {"Retry-After": "120"}
    before = dt.datetime.now(dt.UTC)
    with running([start_worker(env, logs)]):
        leases.push(hub, 0, 2)
        wait_until(lambda: outcomes(hub) and outcomes(hub)[0][1] == 1, 60, "a first attempt")
    _status, _attempts, error, retry_at = outcomes(hub)[0]
    retry_at = retry_at if retry_at.tzinfo else retry_at.replace(tzinfo=dt.UTC)
    assert error == "http_429"
    # before: the backoff's own delay (HUB_WEBHOOK_RETRY_MAX_S is 1 s here)
    assert retry_at >= before + dt.timedelta(seconds=120)
    assert len(recipient.arrivals) == 1
