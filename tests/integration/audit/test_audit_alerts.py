"""Unusual-access alerts computed from the log on both databases; every alert raised is
itself recorded, once per member, rule and window; rules are data checked by a schema."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

import pytest

from hub.audit.events import AccessEvent, pseudonymise
from hub.errors import InvalidAlertRules
from hub.services.audit.alerts import Alert, load_rules, unusual_accesses
from tests.factories import Clock

pytestmark = pytest.mark.integration

KEY = b"a" * 32
# A Wednesday, 15:00 in Paris: inside working hours.
NOW = dt.datetime(2026, 11, 25, 14, 0, tzinfo=dt.UTC)


@pytest.fixture
def clocked(hub):
    clock = Clock(NOW)
    return dataclasses.replace(hub, clock=clock), clock


def reads(member: str, porteurs: range, at: dt.datetime, action: str = "feed_pull",
          outcome: str = "allowed") -> list[AccessEvent]:
    return [AccessEvent(at=at, actor_member=member, action=action, outcome=outcome,
                        porteur_ref=pseudonymise(f"P-{n}", KEY)) for n in porteurs]


def steady_week(hub, member: str, per_day: int) -> None:
    for day in range(1, 8):
        hub.audit.append_many(reads(member, range(per_day), NOW - dt.timedelta(days=day, hours=1)))


def test_a_member_reading_far_more_porteurs_than_its_baseline_is_flagged(clocked) -> None:
    hub, _clock = clocked
    steady_week(hub, "cci-puy-de-dome", 20)
    steady_week(hub, "pfil-livradois-forez", 20)
    hub.audit.append_many(reads("cci-puy-de-dome", range(200), NOW - dt.timedelta(hours=2)))
    hub.audit.append_many(reads("pfil-livradois-forez", range(25), NOW - dt.timedelta(hours=2)))
    alerts = [a for a in unusual_accesses(hub) if a.kind == "volume_porteurs"]
    assert [(a.member_id, a.count) for a in alerts] == [("cci-puy-de-dome", 200)]
    assert alerts[0].threshold == 60 and "200 porteurs distincts" in alerts[0].explanation_fr
    assert alerts[0].window_end == NOW and alerts[0].window_start == NOW - dt.timedelta(hours=24)


def console_reads(porteurs: range, at: dt.datetime) -> list[AccessEvent]:
    return [dataclasses.replace(e, actor_user="usr_coordinatrice")
            for e in reads("coordination", porteurs, at, action="porteur_view")]


def test_a_coordinator_working_through_the_console_raises_no_volume_alert(clocked) -> None:
    hub, _clock = clocked  # no baseline: the first day of the console
    hub.audit.append_many(console_reads(range(600), NOW - dt.timedelta(hours=2)))
    hub.audit.append_many(reads("coordination", range(3), NOW - dt.timedelta(hours=2),
                                action="console_view"))
    assert [a for a in unusual_accesses(hub) if a.kind.startswith("volume")] == []


def test_the_console_has_its_own_volume_floor_and_member_credentials_keep_theirs(clocked) -> None:
    hub, _clock = clocked
    hub.audit.append_many(console_reads(range(2_500), NOW - dt.timedelta(hours=2)))
    hub.audit.append_many(reads("coordination", range(60), NOW - dt.timedelta(hours=3),
                                action="api_read"))  # the coordination's own API key
    alerts = {(a.kind, a.member_id): a for a in unusual_accesses(hub)
              if a.kind.startswith("volume")}
    assert set(alerts) == {("volume_console", "coordination"), ("volume_porteurs", "coordination")}
    assert alerts["volume_console", "coordination"].count == 2_500
    assert alerts["volume_console", "coordination"].threshold == 2_000
    assert alerts["volume_porteurs", "coordination"].count == 60


def test_reads_outside_working_hours_are_flagged(clocked) -> None:
    hub, _clock = clocked
    night = dt.datetime(2026, 11, 25, 1, 30, tzinfo=dt.UTC)  # 02:30 in Paris
    hub.audit.append_many(reads("cci-puy-de-dome", range(25), night, action="porteur_view"))
    hub.audit.append_many(reads("pfil-livradois-forez", range(25), NOW - dt.timedelta(hours=1),
                                action="porteur_view"))
    alerts = [a for a in unusual_accesses(hub) if a.kind == "hors_horaires"]
    assert [(a.member_id, a.count, a.threshold) for a in alerts] == [("cci-puy-de-dome", 25, 20)]


def test_bulk_exports_and_repeated_refused_logins_are_flagged(clocked) -> None:
    hub, _clock = clocked
    hub.audit.append_many(reads("cci-puy-de-dome", range(6), NOW - dt.timedelta(hours=3), action="export"))
    hub.audit.append_many(reads("pfil-livradois-forez", range(12), NOW - dt.timedelta(minutes=10),
                                action="login", outcome="denied"))
    hub.audit.append_many(reads("non-authentifie", range(40), NOW - dt.timedelta(minutes=10),
                                action="login", outcome="denied"))  # counted, never believed
    kinds = {(a.kind, a.member_id) for a in unusual_accesses(hub)}
    assert kinds == {("exports_massifs", "cci-puy-de-dome"),
                     ("authentification_refusee", "pfil-livradois-forez")}


def test_an_alert_is_recorded_in_the_log_once_per_window(clocked) -> None:
    hub, clock = clocked
    hub.audit.append_many(reads("cci-puy-de-dome", range(6), NOW - dt.timedelta(hours=3), action="export"))
    first = unusual_accesses(hub)
    clock.advance(minutes=30)
    again = unusual_accesses(hub)
    assert [a.kind for a in first] == [a.kind for a in again] == ["exports_massifs"]
    recorded = hub.audit.search(action="audit_alert")
    assert [(e.actor_member, e.fields) for e in recorded] == [("cci-puy-de-dome", ("exports_massifs",))]


def test_since_widens_the_window(clocked) -> None:
    hub, _clock = clocked
    hub.audit.append_many(reads("cci-puy-de-dome", range(6), NOW - dt.timedelta(days=3), action="export"))
    assert unusual_accesses(hub) == []
    found = unusual_accesses(hub, since=NOW - dt.timedelta(days=4))
    assert [a.kind for a in found] == ["exports_massifs"]
    assert isinstance(found[0], Alert) and dataclasses.is_dataclass(found[0])


def test_a_rules_file_that_breaks_its_schema_is_refused(tmp_path) -> None:
    path = tmp_path / "rules.json"
    path.write_text(json.dumps({"version": "1", "regles": [
        {"id": "x", "type": "seuil", "actions": ["export"], "fenetre_heures": 1, "explication": "t"}]}))
    with pytest.raises(InvalidAlertRules):
        load_rules(path)
