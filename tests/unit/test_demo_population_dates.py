"""The demo's population is seen from the day the demo runs: a console opened that day
sees porteurs met over the last eighteen months, some with recent news and some
without, never a date after that day (the demo once showed 2024–25 porteurs on a
December 2026 "today", every one of them stalled)."""

from __future__ import annotations

import datetime as dt

import pytest

from capactif_demo.population import HISTORY_DAYS, Population

MEMBERS = ["pfil-livradois-forez", "cci-puy-de-dome", "commune-ambert"]


@pytest.mark.parametrize("now", [dt.datetime(2026, 12, 4, 3, 0, tzinfo=dt.UTC),
                                 dt.datetime(2031, 6, 30, 23, 59, tzinfo=dt.UTC)])
def test_every_date_lies_in_the_months_before_the_day_the_demo_runs(now):
    population = Population(seed=2026, now=now)
    fiches = [population.fiche(MEMBERS[n % 3], f"F-{n}") for n in range(300)]
    updated = [dt.datetime.fromisoformat(f["mis_a_jour_le"]) for f in fiches]
    steps = [dt.date.fromisoformat(s["date"]) for f in fiches for s in f["accompagnement"]]
    oldest = now - dt.timedelta(days=HISTORY_DAYS)
    assert all(oldest <= moment <= now for moment in updated)
    assert all(oldest.date() <= day <= now.date() for day in steps)
    first = sorted(dt.date.fromisoformat(f["accompagnement"][0]["date"]) for f in fiches)
    assert (first[-1] - first[0]).days > 365  # a history worth a steering committee
    recent = sum(1 for moment in updated if now - moment < dt.timedelta(weeks=8))
    assert 0.1 < recent / len(fiches) < 0.9  # some with news, some to follow up


def test_the_population_is_the_same_people_whatever_the_day():
    one = Population(seed=5, now=dt.datetime(2026, 1, 1, tzinfo=dt.UTC)).fiche("m", "F-1")
    other = Population(seed=5, now=dt.datetime(2029, 1, 1, tzinfo=dt.UTC)).fiche("m", "F-1")
    assert one["porteur"] == other["porteur"] and one["projet"] == other["projet"]
