"""Unusual accesses: rules (data, `schemas/audit_alerts.v1.json`) applied to the access log.

Each rule counts, per acting member over a window, the events of its actions: far more
distinct porteurs than the member's own baseline, reads outside working hours, bulk
exports, repeated refused authentication. Every alert raised is itself appended to the
log (action `audit_alert`, once per member, rule and window). The rules file is
HUB_AUDIT_ALERT_RULES_FILE (default `examples/audit_alerts.json`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import schemas
from hub.audit import stats
from hub.bootstrap import Hub
from hub.domain.ids import whole_number
from hub.errors import BadRequest, InvalidAlertRules, NotFound
from hub.services.audit import trail as audit
from hub.services.audit.refusals import UNATTRIBUTED

DEFAULT_RULES_FILE = Path(__file__).resolve().parents[3] / "examples" / "audit_alerts.json"
ALERT_ACTION, ACK_ACTION = "audit_alert", "audit_alert_ack"
_ACK_FIELD = "alerte."


@dataclasses.dataclass(frozen=True)
class Acknowledgement:
    """A DPO took an alert into account: who (console account) and when."""

    user: str | None
    at: dt.datetime


def recorded(hub: Hub, alerts: list[Alert]) -> dict[str, int]:
    """The log entry (seq) recording each alert (by alert id): an alert is recorded once
    per member, rule and window, so its entry names it across page loads."""
    if not alerts:
        return {}
    entries = hub.audit.search(action=ALERT_ACTION, since=min(a.window_start for a in alerts),
                               limit=100_000)
    latest = {(e.actor_member, e.fields[0]): e.seq for e in entries if e.fields and e.seq}
    return {a.id: latest[(a.member_id, a.kind)] for a in alerts
            if (a.member_id, a.kind) in latest}


def acknowledge(hub: Hub, seq: int, member: str, user: str) -> None:
    """Record in the access log that the DPO account `user` took the alert recorded at
    log entry `seq` into account; an entry that records no alert is a 404."""
    entry = next(iter(hub.audit.search(after=seq - 1, limit=1)), None)
    if entry is None or entry.seq != seq or entry.action != ALERT_ACTION:
        raise NotFound("Alerte inconnue : rechargez la page des alertes.", "Unknown alert.")
    audit.record(hub, [audit.event(hub, ACK_ACTION, member, user=user,
                                   fields=(f"{_ACK_FIELD}{seq}",))])


def acknowledgements(hub: Hub) -> dict[int, Acknowledgement]:
    """The first acknowledgement of each recorded alert, by its log entry (seq)."""
    found: dict[int, Acknowledgement] = {}
    for entry in hub.audit.search(action=ACK_ACTION, limit=100_000):
        for name in entry.fields:
            seq = whole_number(name[len(_ACK_FIELD):]) if name.startswith(_ACK_FIELD) else None
            if seq is not None:
                found.setdefault(seq, Acknowledgement(entry.actor_user, entry.at))
    return found


@dataclasses.dataclass(frozen=True)
class Alert:
    id: str
    kind: str  # the rule's id, e.g. "volume_porteurs"
    member_id: str
    detected_at: dt.datetime
    window_start: dt.datetime
    window_end: dt.datetime
    count: int
    threshold: float
    explanation_fr: str
    zone: str = "Europe/Paris"  # the time zone of the explanation's times


@dataclasses.dataclass(frozen=True)
class Rule:
    id: str
    type: str
    actions: tuple[str, ...]
    window: dt.timedelta
    explanation: str
    outcome: str | None = None
    threshold: int = 0
    minimum: int = 0
    factor: float = 0.0
    baseline_windows: int = 0
    day_start: int = 0
    day_end: int = 24
    working_days: frozenset[int] = frozenset()
    origin: str | None = None  # "console", "api" or None (both)


@dataclasses.dataclass(frozen=True)
class Rules:
    version: str
    timezone: ZoneInfo
    rules: tuple[Rule, ...]


def unusual_accesses(hub: Hub, *, since: dt.datetime | None = None) -> list[Alert]:
    """Alerts over [since, now) (default: each rule's own window ending now); the new
    ones are recorded in the access log."""
    rules, now = hub.alert_rules.get(), hub.clock()
    _check_since(hub, since, now)
    found = [alert for rule in rules.rules
             for alert in _evaluate(hub, rules, rule, since or now - rule.window, now)]
    _record_new(hub, found, rules.version)
    return found


def _check_since(hub: Hub, since: dt.datetime | None, now: dt.datetime) -> None:
    """`since` lies within the retention period (what the log still holds) and not in
    the future: the baseline windows before it must stay computable."""
    days = hub.settings.audit_retention_days
    if since is not None and not now - dt.timedelta(days=days) <= since <= now:
        raise BadRequest(
            f"« depuis » doit être dans les {days} derniers jours (durée de conservation du journal).",
            f"'depuis' must lie within the last {days} days (the log's retention period).")


def alert_dict(alert: Alert) -> dict[str, Any]:
    return {"id": alert.id, "type": alert.kind, "membre": alert.member_id,
            "detectee_le": alert.detected_at.isoformat(), "debut": alert.window_start.isoformat(),
            "fin": alert.window_end.isoformat(), "nombre": alert.count, "seuil": alert.threshold,
            "explication": alert.explanation_fr}


def _load(path: Path) -> Rules:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidAlertRules(f"Fichier de règles d'alerte illisible ({path}).",
                                f"Unreadable alert rules file ({path}).") from exc
    errors = schemas.validator("audit_alerts").errors(document)
    if errors:
        details_fr, details_en = schemas.summary(errors)
        raise InvalidAlertRules(f"Règles d'alerte {path} non conformes : {details_fr}",
                                f"Alert rules {path} do not match their schema: {details_en}")
    return Rules(document["version"], ZoneInfo(document.get("fuseau", "Europe/Paris")),
                 tuple(_rule(item) for item in document["regles"]))


def load_rules(path: Path | None) -> Rules:
    """The rules of `path` (None: the default file), validated (`Hub.alert_rules` keeps them)."""
    return _load(path or DEFAULT_RULES_FILE)


def _rule(item: dict[str, Any]) -> Rule:
    return Rule(
        id=item["id"], type=item["type"], actions=tuple(item["actions"]),
        window=dt.timedelta(hours=item["fenetre_heures"]), explanation=item["explication"],
        outcome=item.get("resultat"), threshold=item.get("seuil", 0), minimum=item.get("minimum", 0),
        factor=item.get("facteur", 0.0), baseline_windows=item.get("periodes_reference", 0),
        day_start=item.get("heure_debut", 0), day_end=item.get("heure_fin", 24),
        working_days=frozenset(item.get("jours_ouvres", ())), origin=item.get("origine"),
    )


def _evaluate(hub: Hub, rules: Rules, rule: Rule, start: dt.datetime, end: dt.datetime) -> list[Alert]:
    if rule.type == "volume_inhabituel":
        observed = _counts(hub, rule, start, end, distinct=True)
        baseline = _baseline(hub, rule, start, end - start)
        limits = {m: max(rule.minimum, rule.factor * baseline.get(m, 0.0)) for m in observed}
    elif rule.type == "hors_horaires":
        observed = {m: sum(1 for t in times if _off_hours(rule, t.astimezone(rules.timezone)))
                    for m, times in stats.times_by_member(hub.engine, rule.actions, rule.outcome,
                                                          start, end).items()}
        limits = dict.fromkeys(observed, rule.threshold - 0.5)  # "at least seuil"
    else:
        observed = _counts(hub, rule, start, end, distinct=False)
        limits = dict.fromkeys(observed, rule.threshold - 0.5)
    now = hub.clock()
    for unattributed in (UNATTRIBUTED, "inconnu"):  # "inconnu": refusals logged before 0.12
        observed.pop(unattributed, None)  # alerts count only what a member can be held to
    return [_alert(rules, rule, member, count, limits[member], start, end, now)
            for member, count in sorted(observed.items()) if count > limits[member]]


def _counts(hub: Hub, rule: Rule, start: dt.datetime, end: dt.datetime, *, distinct: bool) -> dict[str, int]:
    return stats.counts_by_member(hub.engine, rule.actions, rule.outcome, start, end,
                                  distinct_porteurs=distinct, origin=rule.origin)


def _baseline(hub: Hub, rule: Rule, start: dt.datetime, span: dt.timedelta) -> dict[str, float]:
    """Each member's mean of distinct porteurs per window over the windows before `start`."""
    totals: dict[str, float] = {}
    for back in range(1, rule.baseline_windows + 1):
        window_start = start - span * back
        for member, count in _counts(hub, rule, window_start, window_start + span, distinct=True).items():
            totals[member] = totals.get(member, 0.0) + count / rule.baseline_windows
    return totals


def _off_hours(rule: Rule, local: dt.datetime) -> bool:
    return local.isoweekday() not in rule.working_days or not rule.day_start <= local.hour < rule.day_end


def _alert(rules: Rules, rule: Rule, member: str, count: int, limit: float, start: dt.datetime,
           end: dt.datetime, now: dt.datetime) -> Alert:
    threshold = round(limit + 0.5) if rule.type != "volume_inhabituel" else round(limit, 1)
    local = {"debut": _local(start, rules), "fin": _local(end, rules)}
    text = rule.explanation.format(membre=member, nombre=count, seuil=threshold, **local)
    key = f"{rule.id}|{member}|{start.isoformat()}|{end.isoformat()}".encode()
    return Alert(hashlib.sha256(key).hexdigest()[:32], rule.id, member, now, start, end, count,
                 threshold, text, rules.timezone.key)


def _local(moment: dt.datetime, rules: Rules) -> str:
    return moment.astimezone(rules.timezone).strftime("%d/%m/%Y %H:%M")


def _record_new(hub: Hub, alerts: list[Alert], version: str) -> None:
    """Record each alert once per member, rule and window."""
    if not alerts:
        return
    earliest = min(a.window_start for a in alerts)
    seen = {(e.actor_member, e.fields[0]) for e in hub.audit.search(
        action=ALERT_ACTION, since=earliest, limit=100_000) if e.fields}
    fresh = [a for a in alerts if (a.member_id, a.kind) not in seen]
    audit.record(hub, [audit.event(hub, ALERT_ACTION, a.member_id, fields=(a.kind,),
                                   policy_version=version) for a in fresh])
