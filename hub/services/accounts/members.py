"""Members of the network: load the network file, issue credentials."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import secrets
from collections.abc import Collection
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

import schemas
from consent.api import as_utc
from hub.bootstrap import Hub
from hub.domain import actors, routing
from hub.errors import Conflict, DataDirectoryReadOnly, InvalidNetworkFile, NotFound
from hub.keys import private_key_text, public_key_text
from hub.services.accounts import departures, dpo, standing
from hub.services.accounts.auth import token_hash
from hub.services.accounts.departures import COMMAND_LINE, Departure
from hub.services.accounts.sessions import console_member


@dataclasses.dataclass(frozen=True)
class LoadSummary:
    created: list[str]
    updated: list[str]
    credentials_issued: list[str]
    left: list[Departure] = dataclasses.field(default_factory=list)  # confirmed by --leave
    readmitted: list[str] = dataclasses.field(default_factory=list)  # confirmed by --readmit


def read_network_file(path: Path) -> dict[str, Any]:
    """The network document at `path`, validated against `schemas/network.v1.json`."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidNetworkFile(
            f"Fichier réseau illisible ({path}) : {exc}.",
            f"Unreadable network file ({path}): {exc}.",
        ) from exc
    except RecursionError as exc:  # nested past the parser
        raise InvalidNetworkFile(
            f"Fichier réseau illisible ({path}) : JSON imbriqué trop profondément.",
            f"Unreadable network file ({path}): JSON nested too deeply.",
        ) from exc
    errors = schemas.validator("network").errors(document)
    if errors:
        details, details_en = schemas.summary(errors)
        raise InvalidNetworkFile(
            f"Fichier réseau {path} non conforme : {details}",
            f"Network file {path} does not match its schema: {details_en}",
        )
    ids = [m["id"] for m in document["membres"]]
    reserved = sorted(actors.RESERVED.intersection(ids))
    if reserved:
        raise InvalidNetworkFile(
            f"Identifiants réservés au hub dans {path} : {', '.join(reserved)}.",
            f"Member ids reserved to the hub in {path}: {', '.join(reserved)}.",
        )
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise InvalidNetworkFile(
            f"Identifiants de membres en double dans {path} : {', '.join(duplicates)}.",
            f"Duplicate member ids in {path}: {', '.join(duplicates)}.",
        )
    _subscribed_within_territories(path, document["membres"])
    return document


def _subscribed_within_territories(path: Path, members: list[dict[str, Any]]) -> None:
    """Each member's `abonnements` within its `territoire` (the coordination's and a
    network-wide member's anywhere), as `PUT /v1/subscriptions` holds them: routing
    ignores a commune outside, and the member would read subscriptions not in force."""
    found = [(m["id"], routing.outside(m.get("abonnements", []),
                                       routing.bound_of(m["role"], m.get("territoire", []))))
             for m in members]
    named = [f"{member_id} ({', '.join(codes)})" for member_id, codes in found if codes]
    if named:
        listed = "; ".join(named[:10]) + (" …" if len(named) > 10 else "")
        raise InvalidNetworkFile(
            f"Abonnements hors du territoire du membre dans {path} : {listed}. Retirez ces "
            "communes de ses « abonnements », ou ajoutez-les à son « territoire ».",
            f"Subscriptions outside the member's territory in {path}: {listed}. Remove "
            "these communes from its 'abonnements', or add them to its 'territoire'.")


def load_network(
    hub: Hub, path: Path, credentials_dir: Path, *, rotate: bool = False,
    leave: Collection[str] = (), readmit: Collection[str] = (), by: str = COMMAND_LINE,
) -> LoadSummary:
    """Create or update every member of the network file, and issue credentials to
    members that have none (all members with `rotate`). A member the file no longer lists
    leaves the network only when named in `leave`, and one that left comes back only when
    named in `readmit` (hub.services.accounts.departures); `by` recorded who decided."""
    document = read_network_file(path)
    now = hub.clock()
    decided = _Decided(leave, readmit, by, console_member(hub))
    staged: list[Path] = []

    def stage(folder: Path, member_id: str, credentials: dict[str, Any], hub: Hub, *,
              stem: str | None = None, token: str | None = None) -> None:
        staged.append(_stage_credentials(folder, member_id, credentials, hub,
                                         stem=stem, token=token))

    # Files are written beside their place while the load runs and put in place once it
    # has committed: a folder refusing one midway leaves every member's file as it was.
    try:
        summary = _load(hub, document, credentials_dir, rotate, now, stage, decided)
    except BaseException:
        for path in staged:
            path.unlink(missing_ok=True)
        raise
    for path in staged:
        os.replace(path, path.with_suffix(".json"))
    for departure in summary.left:  # revoked: no secret of theirs is kept lying around
        for stem in (departure.member_id, f"{departure.member_id}.dpo"):
            (credentials_dir / f"{stem}.json").unlink(missing_ok=True)
    return summary


@dataclasses.dataclass(frozen=True)
class _Decided:
    leave: Collection[str]
    readmit: Collection[str]
    by: str
    actor: str  # the member the log names for a departure: the coordination


def _load(hub: Hub, document: dict[str, Any], credentials_dir: Path, rotate: bool,
          now: dt.datetime, stage: Any, decided: _Decided) -> LoadSummary:
    created: list[str] = []
    updated: list[str] = []
    issued: list[str] = []
    listed = [member["id"] for member in document["membres"]]
    with hub.uow() as uow:
        changes = departures.confirmed_changes(uow, listed, decided.leave, decided.readmit)
        for member_id in changes.returning:  # back without any former credential
            departures.readmit(hub, uow, member_id, now, decided.by, decided.actor)
        for member in document["membres"]:
            values = _member_row(member, now)
            (created if uow.members.upsert(values) else updated).append(member["id"])
            uow.deliveries.replace_subscriptions(member["id"], member.get("abonnements", []),
                                                 "network", now)
            existing = uow.members.get(member["id"])
            if rotate or existing is None or not existing.token_hash or (
                member.get("cle_publique") and member["cle_publique"] != existing.public_key
            ):
                credentials = _issue(member)
                uow.members.set_credentials(
                    member["id"], token_hash(credentials["secret"]), credentials["public_key"]
                )
                stage(credentials_dir, member["id"], credentials, hub)
                issued.append(member["id"])
        issued += [f"dpo:{m}" for m in dpo.sync_credentials(
            hub, uow, document["membres"], credentials_dir, rotate, _issue, stage)]
        left = [departures.leave(hub, uow, member_id, now, decided.by, decided.actor)
                for member_id in changes.leaving]
        standing.journal(uow, [*listed, *changes.leaving], now, by=decided.by,
                         actor=decided.actor)  # a restore from an older copy keeps it
        uow.commit()
    return LoadSummary(created, updated, issued, left, changes.returning)


def rotate_member(hub: Hub, member_id: str, credentials_dir: Path, *,
                  overlap: bool = True) -> dt.datetime:
    """New credentials for one member, written to its credentials file; the former ones
    stay valid for HUB_CREDENTIAL_OVERLAP_HOURS, while the member deploys the new file
    (without `overlap`, they are refused at once). Answers the end of the overlap."""
    hours = hub.settings.credential_overlap_hours if overlap else 0
    until = hub.clock() + dt.timedelta(hours=hours)
    actor = console_member(hub)
    with hub.uow() as uow:
        member = uow.members.get(member_id)
        if member is not None and not member.active:
            raise Conflict("Ce membre a quitté le réseau : il n'a plus d'identifiants. Pour le "
                           "réadmettre : capactif members load FICHIER --readmit MEMBRE.",
                           "This member left the network and holds no credentials. To "
                           "readmit it: capactif members load FILE --readmit MEMBER.")
        if member is None or not member.token_hash:
            raise NotFound("Membre inconnu ou sans identifiants : chargez d'abord le réseau.",
                           "Unknown member or without credentials: load the network first.")
        credentials = _issue({})
        if not uow.members.rotate_credentials(member_id, token_hash(credentials["secret"]),
                                              credentials["public_key"], until):
            raise _left_meanwhile()
        # a restore from an older copy keeps the former credentials refused from `until`
        standing.journal(uow, [member_id], hub.clock(), by=COMMAND_LINE, actor=actor)
        # Written before the commit, put in place after it: a folder refusing the file
        # changes nothing (without the overlap, the former credentials would be refused
        # and the new ones be nowhere), and a failed commit leaves the former file.
        staged = _stage_credentials(credentials_dir, member_id, credentials, hub)
        try:
            uow.commit()
        except BaseException:
            staged.unlink(missing_ok=True)
            raise
    os.replace(staged, staged.with_suffix(".json"))
    with hub.uow() as uow:  # a departure committed since: its unlink may have come first
        member = uow.members.get(member_id)
    if member is None or not member.active:
        staged.with_suffix(".json").unlink(missing_ok=True)
        raise _left_meanwhile()
    return until


def _left_meanwhile() -> Conflict:
    return Conflict(
        "Ce membre a quitté le réseau pendant la rotation : aucun identifiant ne lui a été "
        "délivré. Pour le réadmettre : capactif members load FICHIER --readmit MEMBRE.",
        "This member left the network during the rotation: no credential was issued to it. "
        "To readmit it: capactif members load FILE --readmit MEMBER.")


def list_members(hub: Hub) -> list[dict[str, Any]]:
    with hub.uow() as uow:
        return [
            {"id": m.id, "nom": m.name, "nature": m.kind, "role": m.role,
             "webhook": m.webhook_url, "identifiants": bool(m.token_hash),
             "statut": "actif" if m.active else "sorti",
             "sorti_le": as_utc(m.left_at).isoformat() if m.left_at else None, "sortie_par": m.left_by}
            for m in uow.members.all()
        ]


def member_names(hub: Hub) -> dict[str, str]:
    """Each member's name as the console shows it to coordinators and DPOs: one that left
    the network still named (its past accesses stay in the log), and said to have left."""
    return {m["id"]: m["nom"] if m["statut"] == "actif" else f"{m['nom']} (sorti du réseau)"
            for m in list_members(hub)}


def _member_row(member: dict[str, Any], now: Any) -> dict[str, Any]:
    return {
        "id": member["id"],
        "name": member["nom"],
        "kind": member["nature"],
        "role": member["role"],
        "contact_email": member["contact"]["courriel"],
        "webhook_url": member.get("webhook"),
        "territory": member.get("territoire", []),
        "updated_at": now,
    }


def _issue(member: dict[str, Any]) -> dict[str, Any]:
    secret = secrets.token_urlsafe(32)
    if member.get("cle_publique"):
        return {"secret": secret, "public_key": member["cle_publique"], "private_key": None}
    key = Ed25519PrivateKey.generate()
    return {
        "secret": secret,
        "public_key": public_key_text(key.public_key()),
        "private_key": private_key_text(key),
    }


def _stage_credentials(folder: Path, member_id: str, credentials: dict[str, Any], hub: Hub, *,
                       stem: str | None = None, token: str | None = None) -> Path:
    """The credentials file written beside its place (`.tmp`), readable by its owner only."""
    document = {
        "membre": member_id,
        "token": token or f"{member_id}.{credentials['secret']}",
        "cle_privee": credentials["private_key"],
        "hub_url": f"http://{hub.settings.host}:{hub.settings.port}",
    }
    tmp = folder / f"{stem or member_id}.tmp"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(document, handle, indent=2)
    except OSError as exc:
        if tmp.is_file():
            tmp.unlink()  # a file half written holds a secret
        raise DataDirectoryReadOnly(
            f"Le dossier des identifiants {folder} refuse le fichier ({exc.strerror}) : "
            "rendez-le accessible en écriture, puis relancez ; rien n'a changé.",
            f"The credentials folder {folder} refuses the file ({exc.strerror}): make it "
            "writable, then run again; nothing changed.") from exc
    return tmp
