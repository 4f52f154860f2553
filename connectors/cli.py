"""`capactif connector ...`: run a connector, check a mapping, receive webhooks.

    capactif connector run CONFIG [--every 5m] [--max-runs N] [--confirmer-suppressions]
    capactif connector check CONFIG [--sample 200] [--sans-hub]
    capactif connector receive [--folder DIR] [--forward URL [--forward-token-env VAR]]
                               --hub-key KEY_ID=PUBLIC_KEY [--port 8200]

`main(argv)` takes the arguments after `connector` and answers the exit code:
0 done; 1 done with rejected rows (see the rejects file) or check found problems (rows
that do not map, or that cite a consent the hub does not hold or would refuse);
2 configuration error; 3 hub or source unavailable, or the file read changed on disk
before its withdrawals (the run stopped cleanly and resumes next time); 4 credentials
refused; 5 deletions held: the export looks incomplete and nothing was withdrawn
(confirm with `--confirmer-suppressions` if they are real; rows a CSV cell read as its
text, a quote never closed, need a corrected export instead);
6 another run of the same connector (same checkpoint) is under way: nothing was read nor
sent (with `--every`, that turn is skipped and the next one is run at its time).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections.abc import Sequence
from typing import Any

from connectors.config import ConnectorConfig
from connectors.consent_check import CitedConsent, check_consents
from connectors.errors import (
    CheckpointError,
    ConfigurationError,
    ConnectorError,
    HubAuthError,
    HubCallError,
    RecordRejected,
    RunUnderWay,
    SourceAuthError,
)
from connectors.runner import HELD, Runner, RunSummary, run_every, split_lenient
from schemas import validator

EXIT_OK, EXIT_PROBLEMS, EXIT_CONFIG, EXIT_UNAVAILABLE, EXIT_AUTH, EXIT_HELD = 0, 1, 2, 3, 4, 5
EXIT_BUSY = 6
_DURATION = re.compile(r"^(\d{1,9})\s*([smh]?)\Z", re.ASCII)


def parse_duration(text: str) -> float:
    """'90', '90s', '5m', '1h' -> seconds."""
    match = _DURATION.match(text.strip())
    if not match:
        raise argparse.ArgumentTypeError("durée attendue : 30s, 5m ou 1h")
    return int(match[1]) * {"": 1, "s": 1, "m": 60, "h": 3600}[match[2]]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="capactif connector")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="envoie les changements de la source au hub")
    run.add_argument("config")
    run.add_argument("--every", type=parse_duration, help="recommence toutes les N (5m, 30s)")
    run.add_argument("--max-runs", type=int, help="nombre maximal de passages avec --every")
    run.add_argument("--confirmer-suppressions", action="store_true",
                     help="retire les fiches disparues même d'un export qui paraît incomplet "
                          "(pas celles qu'un guillemet non fermé a fait lire comme texte) ; "
                          "avec --every, au premier passage seulement")
    check = commands.add_parser("check", help="vérifie la correspondance sur un échantillon")
    check.add_argument("config")
    check.add_argument("--sample", type=int, default=200)
    check.add_argument("--sans-hub", action="store_true",
                       help="ne vérifie que la source et la correspondance")
    receive = commands.add_parser("receive", help="reçoit les livraisons du hub (webhooks)")
    receive.add_argument("--folder", help="dossier où écrire chaque livraison")
    receive.add_argument("--forward", metavar="URL",
                         help="point de réception HTTP du membre où transmettre chaque livraison")
    receive.add_argument("--forward-token-env", metavar="VAR",
                         help="variable d'environnement du jeton du point de réception")
    receive.add_argument("--hub-key", action="append", required=True, metavar="KEY_ID=CLE")
    receive.add_argument("--host", default="127.0.0.1")
    receive.add_argument("--port", type=int, default=8200)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "run":
            return _run(args)
        if args.command == "check":
            return _check(args.config, args.sample, with_hub=not args.sans_hub)
        return _receive(args)
    except (ConfigurationError, CheckpointError) as exc:
        return _fail(exc, EXIT_CONFIG)
    except (HubAuthError, SourceAuthError) as exc:
        return _fail(exc, EXIT_AUTH)
    except RunUnderWay as exc:
        return _fail(exc, EXIT_BUSY)
    except ConnectorError as exc:
        return _fail(exc, EXIT_UNAVAILABLE)


def _fail(exc: ConnectorError, code: int) -> int:
    print(f"Erreur ({exc.code}) : {exc.message_fr}", file=sys.stderr)
    return code


def _print(data: dict[str, Any]) -> None:
    print(json.dumps(data, ensure_ascii=False), flush=True)


def _run(args: argparse.Namespace) -> int:
    config = ConnectorConfig.load(args.config)
    client = config.build_client()
    summaries: list[RunSummary] = []

    def report(summary: RunSummary) -> None:
        summaries.append(summary)
        _print({"resume": summary.to_dict()})
        if summary.raison:
            print(f"Attention : {summary.raison}", file=sys.stderr, flush=True)

    built: list[Runner] = []

    def runner() -> Runner:
        """`--confirmer-suppressions`, or `confirmer_suppressions` in the configuration,
        confirms the withdrawals of the first turn only: a later turn reads an export no
        one looked at."""
        confirm = args.confirmer_suppressions or config.confirm_deletions
        made = config.build_runner(client, confirm_deletions=confirm and not built)
        built.append(made)
        return made

    def busy(exc: RunUnderWay) -> None:
        print(f"Attention ({exc.code}) : {exc.message_fr}", file=sys.stderr, flush=True)

    with client:
        if args.every is None:
            report(runner().run())
        else:
            run_every(runner, args.every, max_runs=args.max_runs, on_summary=report,
                      on_busy=busy)
            if not summaries:
                return EXIT_BUSY  # every turn found another run under way
    return exit_code(summaries[-1]) if summaries else EXIT_UNAVAILABLE


def exit_code(summary: RunSummary) -> int:
    """Done, done with rejected rows, or stopped (and why)."""
    if summary.stopped == HELD:
        return EXIT_HELD
    if not summary.complete:
        return EXIT_UNAVAILABLE
    return EXIT_PROBLEMS if summary.rejected else EXIT_OK


def _check(config_path: str, sample: int, *, with_hub: bool = True) -> int:
    """Map and validate a sample of the source and, unless `with_hub` is False, reach the
    hub with the member's credentials and look up the consents the sample's fiches cite;
    nothing is sent, nothing is saved."""
    config = ConnectorConfig.load(config_path)
    hub = _check_hub(config) if with_hub else None
    source = config.build_source()
    fiche_validator = validator("fiche")
    problems: list[dict[str, Any]] = []
    warned: list[dict[str, Any]] = []
    cited: list[CitedConsent] = []
    checked = 0
    try:
        for record in source.sample(sample):
            checked += 1
            found, warnings, fiche = _record_problems(source, record, fiche_validator)
            if found:
                problems.append({"ligne": record.line, "erreurs": found})
            if warnings:
                warned.append({"ligne": record.line, "avertissements": warnings})
            reference = (fiche or {}).get("consentement", {}).get("reference")
            if fiche is not None and isinstance(reference, str) and reference:
                cited.append(CitedConsent(record.line or 0, fiche["fiche_id"], reference))
    finally:
        source.close()
    missing = source.missing_columns()
    consents = _check_consents(config, cited) if hub and hub["code"] == "ok" else None
    sheet = getattr(source, "sheet_read", None)
    _print({**({"feuille": sheet} if sheet else {}),
            "verifies": checked, "en_erreur": len(problems), "colonnes_absentes": missing,
            "problemes": problems, "avec_avertissement": len(warned),
            "avertissements": warned, **({"hub": hub} if hub else {}),
            **({"consentements": consents} if consents else {})})
    if consents and consents["problemes"]:
        print(f"Attention : {consents['message']}", file=sys.stderr, flush=True)
    if hub and hub["code"] == "identifiants_refuses":
        return EXIT_AUTH
    if hub and hub["code"] != "ok":
        return EXIT_UNAVAILABLE
    return EXIT_PROBLEMS if problems or missing or (consents and consents["problemes"]) \
        else EXIT_OK


def _check_hub(config: ConnectorConfig) -> dict[str, str]:
    """Reach the hub and have it accept the credentials with a read that changes nothing
    (one item of the member's own feed)."""
    try:
        with config.build_client() as client:
            client.feed(limit=1)
    except HubAuthError as exc:
        return {"code": "identifiants_refuses", "message": "Le hub refuse les identifiants "
                f"(fichier {config.credentials_path.name}) : {exc.message_fr}"}
    except HubCallError as exc:
        return {"code": "hub_injoignable", "message": "Hub injoignable avec les identifiants "
                f"du fichier {config.credentials_path.name} : {exc.message_fr}"}
    return {"code": "ok", "message": "Hub joignable, identifiants acceptés."}


def _check_consents(config: ConnectorConfig, cited: list[CitedConsent]) -> dict[str, Any]:
    """The sample's cited consents as the hub knows them (a read: nothing recorded)."""
    with config.build_client() as client:
        return check_consents(client, cited)


def _record_problems(source: Any, record: Any, fiche_validator: Any
                     ) -> tuple[list[dict[str, Any]], list[dict[str, Any]], dict[str, Any] | None]:
    """The record's mapping or schema errors, the warnings a run would write (optional
    values marked `si_invalide: ignorer` it would leave out), and its fiche when it could
    be mapped."""
    try:
        fiche = source.to_fiche(record)
    except RecordRejected as exc:
        problems = [p.to_dict() for p in exc.problems]
        if exc.partial is None:
            return problems, [w.to_dict() for w in source.warnings], None
        named = {p.get("path") for p in problems}
        fiche, rejected = _completed(source, record, exc.partial), True
    else:
        fiche, problems, named, rejected = _completed(source, record, fiche), [], set(), False
    found, ignorable = split_lenient(source.mapping, fiche_validator.errors(fiche), named)
    warnings = [w.to_dict() for w in [*source.warnings, *ignorable]]
    return problems + [e.to_dict() for e in found], warnings, None if rejected else fiche


def _completed(source: Any, record: Any, fiche: dict[str, Any]) -> dict[str, Any]:
    """`fiche` with the fields a run adds (identity, member, version, update date)."""
    fiche.setdefault("fiche_id", source.mapping.fiche_id(record.key or "x"))
    fiche.setdefault("membre", "membre-verification")
    fiche.setdefault("version", 1)
    if record.modified_at is not None:
        fiche.setdefault("mis_a_jour_le", record.modified_at.isoformat(timespec="seconds"))
    return fiche


def _receive(args: argparse.Namespace) -> int:
    from connectors.forwarder import Forwarder
    from connectors.receiver import WebhookReceiver, serve

    keys = dict(item.split("=", 1) for item in args.hub_key if "=" in item)
    if not keys:
        raise ConfigurationError("Clé du hub attendue sous la forme KEY_ID=CLE_PUBLIQUE.",
                                 "Hub key expected as KEY_ID=PUBLIC_KEY.")
    forwarder = None
    if args.forward:
        forwarder = Forwarder(args.forward, token=_env_token(args.forward_token_env))
    serve(WebhookReceiver(args.folder, keys, forwarder=forwarder), args.host, args.port)
    return EXIT_OK


def _env_token(name: str | None) -> str | None:
    if name is None:
        return None
    token = os.environ.get(name)
    if not token:
        raise ConfigurationError(
            f"Variable d'environnement {name} absente : elle doit contenir le jeton du point "
            "de réception.",
            f"Environment variable {name} missing: it must hold the endpoint's token.",
        )
    return token
