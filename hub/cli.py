"""The `capactif` command."""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import datetime as dt
import functools
import getpass
import json
import logging
import os
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hub.config import Settings
from hub.errors import (
    ConfigurationError,
    HubError,
    InvalidAccount,
    NotFound,
    StoreUnavailable,
    UnknownMember,
)
from hub.logs import configure_logging, uvicorn_log_config
from hub.private_files import open_private

MAX_CONCURRENCY = 256

if TYPE_CHECKING:  # imported on use: most commands need no hub
    from hub.bootstrap import Hub


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args, rest = parser.parse_known_args(argv)
    if rest and not getattr(args, "passthrough", False):
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    args.rest = rest
    configure_logging("INFO", os.environ.get("HUB_LOG_FORMAT", "text"))  # hub.logs: tracebacks
    # kept, exception messages dropped
    logging.getLogger("alembic").setLevel(logging.WARNING)
    if not hasattr(args, "run"):
        parser.print_help()
        return 2
    try:
        return int(args.run(args) or 0)
    except HubError as exc:
        _say_error(exc)
        return 1
    except Exception as exc:
        error = _store_error(exc)
        if error is None:
            raise
        _say_error(error)
        return 1


def _say_error(exc: HubError) -> None:
    print(f"erreur ({exc.code}) : {exc.message_fr}\nerror ({exc.code}): {exc.message_en}",
          file=sys.stderr)


def _store_error(exc: Exception) -> HubError | None:
    """A database outage met outside a unit of work, said as every command says it."""
    if "sqlalchemy" not in sys.modules:  # no command reached a database
        return None
    from hub.services.ops.admin import command_error

    return command_error(exc)


class _Parser(argparse.ArgumentParser):
    """Wrong arguments: one line naming the command and the fault, and exit 2 (usage)."""

    def error(self, message: str) -> Any:  # argparse's own ends the process too
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _within(low: int, high: int) -> Any:
    """An argparse type: a whole number from `low` to `high`, else a usage error."""
    def number(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = low - 1
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"expected a whole number from {low} to {high}, "
                                             f"got {text!r}")
        return value
    return number


def _groups_show_their_help(parser: argparse.ArgumentParser) -> None:
    """A group named without its command (`capactif members`) prints the group's help,
    not the top-level one, and exits 2."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for group in action.choices.values():
                if any(isinstance(a, argparse._SubParsersAction) for a in group._actions):
                    group.set_defaults(run=functools.partial(_show_help, group))
                    _groups_show_their_help(group)


def _show_help(group: argparse.ArgumentParser, _args: argparse.Namespace) -> int:
    group.print_help()
    return 2


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="capactif", description="capactif-hub")
    sub = parser.add_subparsers(title="commandes")

    init = sub.add_parser("init", help="create or migrate the database and the hub key")
    init.set_defaults(run=_init)

    serve = sub.add_parser("serve", help="run the HTTP API and the console (/console)")
    serve.add_argument("--data-dir", type=Path, help="the hub's data directory (HUB_DATA_DIR)")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.set_defaults(run=_serve)

    worker = sub.add_parser("worker", help="run a Celery worker (with the periodic sweep)")
    worker.add_argument("--concurrency", type=_within(1, MAX_CONCURRENCY),
                        help=f"worker processes (1..{MAX_CONCURRENCY}; HUB_WORKER_CONCURRENCY)")
    worker.add_argument("--no-beat", action="store_true", help="do not run the periodic sweep here")
    worker.set_defaults(run=_worker)

    members = sub.add_parser("members", help="load the network file, list members")
    members_sub = members.add_subparsers(title="members")
    load = members_sub.add_parser("load", help="create/update members and issue credentials")
    load.add_argument("network_file", type=Path)
    load.add_argument("--credentials-dir", type=Path)
    load.add_argument("--rotate", action="store_true", help="issue new credentials to everyone")
    load.add_argument("--leave", action="append", default=[], metavar="MEMBER",
                      help="confirm that a member missing from the file leaves the network: "
                      "its credentials are revoked, nothing more is sent to it (repeat per member)")
    load.add_argument("--readmit", action="append", default=[], metavar="MEMBER",
                      help="confirm that a member that left is back in the network, with new "
                      "credentials (repeat per member)")
    load.add_argument("--by", metavar="LOGIN", help="the console account deciding a departure "
                      "or a readmission (recorded with it; default: the command line)")
    load.set_defaults(run=_members_load)
    rotate = members_sub.add_parser("rotate", help="new credentials for one member; the former "
                                    "stay valid for HUB_CREDENTIAL_OVERLAP_HOURS")
    rotate.add_argument("member")
    rotate.add_argument("--credentials-dir", type=Path,
                        help="default: $HUB_DATA_DIR/credentials (as members load)")
    rotate.add_argument("--now", action="store_true", help="refuse the former credentials at "
                        "once, without overlap (credentials leaked; a member leaving the "
                        "network: members load --leave)")
    rotate.set_defaults(run=_members_rotate)
    listing = members_sub.add_parser("list", help="list members")
    listing.set_defaults(run=_members_list)

    users = sub.add_parser("users", help="console accounts (coordinators, DPOs, administrators)")
    users_sub = users.add_subparsers(title="users")
    add = users_sub.add_parser("add", help="create an account; the password is read from "
                               "standard input (first line) or asked twice at the terminal")
    add.add_argument("--login", required=True)
    add.add_argument("--role", required=True, choices=["coordinator", "dpo", "admin"])
    add.add_argument("--data-dir", type=Path, help="the hub's data directory (HUB_DATA_DIR)")
    add.set_defaults(run=_users_add)
    users_list = users_sub.add_parser("list", help="list accounts")
    users_list.add_argument("--data-dir", type=Path, help="the hub's data directory (HUB_DATA_DIR)")
    users_list.set_defaults(run=_users_list)

    status = sub.add_parser("status", help="pipeline counts (fiches, processed, outbox)")
    status.set_defaults(run=_status)
    reindex = sub.add_parser("reindex", help="bring the console's index of porteurs up to date "
                             "now (after an upgrade) rather than in the first console request")
    reindex.set_defaults(run=_reindex)

    policy = sub.add_parser("policy", help="field policy tools")
    policy_sub = policy.add_subparsers(title="policy")
    check = policy_sub.add_parser("check", help="check a policy file before putting it in force")
    check.add_argument("file", type=Path)
    check.set_defaults(run=_policy_check)

    dedup = sub.add_parser("dedup", help="batch deduplication of a CSV of people")
    dedup.add_argument("--input", type=Path, required=True,
                       help="people CSV (README: \"The files of capactif dedup\")")
    dedup.add_argument("--output", type=Path, required=True,
                       help="id,cluster_id; rows not read are listed in NAME.rejects.csv "
                            "beside it; in every file written, an id beginning with =, +, -, @, "
                            "a tab or a carriage return (a spreadsheet would run it) or with ' "
                            "is written after an apostrophe ' (text for a spreadsheet): drop "
                            "that first ' to read the input's id")
    dedup.add_argument("--model", type=Path, help="a trained model (default: train on the file)")
    dedup.add_argument("--settings", type=Path, metavar="JSON",
                       help="matching settings to train with (thresholds, rules, "
                            "apprentissage.m_par_identite...): the sections named replace the "
                            "shipped ones (schemas/matching_settings.v1.json); not with --model, "
                            "whose settings are its own")
    dedup.add_argument("--model-out", type=Path, help="where to save the trained model")
    dedup.add_argument("--review-out", type=Path, help="pairs left for a coordinator's review")
    dedup.set_defaults(run=_dedup)
    feedback = sub.add_parser("dedup-feedback",
                              help="refine the matching model's m with the coordinators' decisions")
    feedback.add_argument("--model", type=Path, help="the model to refine (default: the hub's)")
    feedback.add_argument("--model-out", type=Path, required=True)
    feedback.set_defaults(run=_dedup_feedback)

    audit = sub.add_parser("audit", help="access log tools")
    audit_sub = audit.add_subparsers(title="audit")
    verify = audit_sub.add_parser("verify", help="verify an exported log offline", add_help=False)
    verify.set_defaults(run=_audit_verify, passthrough=True)
    archive = audit_sub.add_parser("archive", help="archive entries past HUB_AUDIT_RETENTION_DAYS now")
    archive.set_defaults(run=_audit_archive)
    alerts = audit_sub.add_parser("alerts", help="unusual accesses (recorded in the log)")
    alerts.add_argument("--since", type=dt.datetime.fromisoformat)
    alerts.set_defaults(run=_audit_alerts)
    audit_export = audit_sub.add_parser("export", help="export the log (JSONL to verify, or CSV)")
    audit_export.add_argument("--output", type=Path, required=True)
    audit_export.add_argument("--format", choices=["jsonl", "csv"], default="jsonl")
    audit_export.add_argument("--porteur")
    audit_export.add_argument("--member")
    audit_export.add_argument("--action")
    audit_export.set_defaults(run=_audit_export)

    connector = sub.add_parser("connector", help="run or check a connector", add_help=False)
    connector.set_defaults(run=_connector, passthrough=True)

    deliveries = sub.add_parser("deliveries", help="dead-lettered webhook deliveries")
    deliveries_sub = deliveries.add_subparsers(title="deliveries")
    dead = deliveries_sub.add_parser("dead", help="list dead-lettered deliveries")
    dead.add_argument("--member")
    dead.add_argument("--after", type=int, default=0, help="the id the previous page ended at")
    dead.add_argument("--limit", type=_within(1, 1000), default=500, help="rows per page (1..1000)")
    dead.set_defaults(run=_deliveries_dead)
    replay = deliveries_sub.add_parser("replay", help="put dead-lettered deliveries back in line")
    replay.add_argument("--id", type=int)
    replay.add_argument("--member")
    replay.set_defaults(run=_deliveries_replay)

    keys = sub.add_parser("keys", help="rotate the hub's keys while it runs")
    keys_sub = keys.add_subparsers(title="keys")
    rotate_data = keys_sub.add_parser("rotate-data", help="replace every key-encryption key of "
                                      "the fiches' data keys (resumable)")
    rotate_data.set_defaults(run=_keys_rotate_data)
    announce = keys_sub.add_parser("announce-signing", help="create the next signing key and "
                                   "publish it (webhooks signed by both keys from now on)")
    announce.set_defaults(run=_keys_signing, step="announce")
    activate = keys_sub.add_parser("activate-signing", help="sign with the announced key from "
                                   "now on; the former key stays in the public history")
    activate.set_defaults(run=_keys_signing, step="activate")

    backup = sub.add_parser("backup", help="a consistent copy of the database (never the keys)")
    backup.add_argument("--output", type=Path, required=True, help="a new folder for the copy")
    backup.set_defaults(run=_backup)
    restore = sub.add_parser("restore", help="restore a backup, then replay the erasures, "
                             "withdrawals, departures, revocations, separations and other "
                             "decisions made since (every hub process stopped)")
    restore.add_argument("folder", type=Path)
    restore.add_argument("--force", action="store_true",
                         help="restore even if a worker heartbeat is recent (stale heartbeat)")
    restore.set_defaults(run=_restore)

    from hub import cli_notices

    cli_notices.add_parser(sub, _hub)

    demo = sub.add_parser("demo", help="run the whole pipeline on the embedded default")
    demo.add_argument("--data-dir", type=Path, default=Path("var/demo"))
    demo.add_argument("--fiches", type=int, default=300)
    demo.add_argument("--port", type=int, default=0, help="0: a free port")
    demo.set_defaults(run=_demo)
    _groups_show_their_help(parser)
    return parser


def _settings(data_dir: Path | None = None) -> Settings:
    if data_dir is None:
        return Settings.from_env()
    return Settings.from_env({**os.environ, "HUB_DATA_DIR": str(data_dir)})


def _hub(settings: Settings | None = None) -> Hub:
    from hub.bootstrap import Hub
    from hub.services.delivery.publisher import NullPublisher

    return Hub.from_settings(settings or _settings(), publisher=NullPublisher())


def _init(_args: argparse.Namespace) -> int:
    from hub.services.ops.admin import initialise

    settings = _settings()
    upgraded = initialise(settings)
    print(f"base prête : {settings.database_url}")
    if any(upgraded.values()):
        print("mises à jour : " + ", ".join(f"{k} {v}" for k, v in upgraded.items()))
    return 0


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from hub.api.app import create_app
    from hub.api.wire import envelope_protocol
    from hub.collector import tune_for_batches
    from hub.outages import quiet_outages
    from hub.services.ops.admin import initialise
    from hub.services.ops.health import writable_unless_full

    settings = _settings(args.data_dir)
    settings = settings.replace(host=args.host or settings.host, port=args.port or settings.port)
    writable_unless_full(settings)
    initialise(settings)
    quiet_outages(settings.broker_outage_reminder_s)  # the publisher's
    tune_for_batches()  # a push parses, validates and stores up to 1,000 fiches at once
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port,
                log_level=settings.log_level.lower(), access_log=False,
                http=envelope_protocol(settings.request_header_timeout_s,
                                       settings.request_body_idle_timeout_s,
                                       settings.max_body_bytes,
                                       settings.request_body_timeout_s),
                log_config=uvicorn_log_config(settings.log_level, settings.log_format))
    return 0


def _worker(args: argparse.Namespace) -> int:
    """Runs until stopped; the exit code is Celery's (non-zero after a fatal error), so a
    supervisor restarting on failure restarts it."""
    from hub.services.ops.admin import initialise
    from hub.services.ops.health import writable_or_wait

    settings = _settings()
    writable_or_wait(settings)
    initialise(settings)
    from hub.outages import quiet_outages
    from worker import app

    quiet_outages(settings.broker_outage_reminder_s)

    argv = ["worker", "--loglevel", settings.log_level, "--without-gossip", "--without-mingle",
            "--without-heartbeat", "--concurrency", str(args.concurrency or settings.worker_concurrency)]
    if not args.no_beat:
        argv += ["--beat", "--schedule", str(settings.data_dir / "celerybeat-schedule")]
    return _run_celery(app, argv)


def _run_celery(app: Any, argv: list[str]) -> int:
    """Celery's command line with its exit code: `app.start` drops the code click returns
    when a worker stops on an unrecoverable error, and would end 0 after a crash."""
    from celery.bin.celery import celery
    from click.exceptions import Exit

    celery.params[0].default = app
    try:
        code = celery.main(args=argv, standalone_mode=False)
    except Exit as exc:
        code = exc.exit_code
    finally:
        celery.params[0].default = None
    return code if isinstance(code, int) else 0


def _members_load(args: argparse.Namespace) -> int:
    from hub.services.accounts.departures import COMMAND_LINE, account_id
    from hub.services.accounts.members import load_network
    from hub.services.ops.admin import initialise

    settings = _settings()
    initialise(settings)
    hub = _hub(settings)
    folder = args.credentials_dir or settings.data_dir / "credentials"
    try:
        by = account_id(hub, args.by) if args.by else COMMAND_LINE
        summary = load_network(hub, args.network_file, folder, rotate=args.rotate,
                               leave=args.leave, readmit=args.readmit, by=by)
    finally:
        hub.close()
    print(f"membres créés : {len(summary.created)}, mis à jour : {len(summary.updated)}, "
          f"identifiants émis : {len(summary.credentials_issued)} (dans {folder})")
    for gone in summary.left:
        print(f"sorti du réseau : {gone.member_id} ; identifiants révoqués, "
              f"{gone.subscriptions_closed} abonnement(s) clos, livraisons annulées : "
              f"{gone.webhooks_cancelled} webhook(s), {gone.feed_cancelled} dans son flux")
    if summary.readmitted:
        print(f"réadmis au réseau avec de nouveaux identifiants : {', '.join(summary.readmitted)}")
    return 0


def _members_rotate(args: argparse.Namespace) -> int:
    from hub.services.accounts.members import rotate_member

    folder = args.credentials_dir or _settings().data_dir / "credentials"
    hub = _hub()
    try:
        until = rotate_member(hub, args.member, folder, overlap=not args.now)
    finally:
        hub.close()
    print(f"identifiants renouvelés : {folder / (args.member + '.json')} ; " + (
        "les anciens sont refusés dès maintenant" if args.now
        else f"les anciens restent valides jusqu'au {until.isoformat()}"))
    return 0


def _members_list(_args: argparse.Namespace) -> int:
    from hub.services.accounts.members import list_members

    for member in list_members(_hub()):
        print(json.dumps(member, ensure_ascii=False))
    return 0


def _users_add(args: argparse.Namespace) -> int:
    from hub.services.accounts.users import add_user
    from hub.services.ops.admin import initialise

    settings = _settings(args.data_dir)
    initialise(settings)
    user = add_user(_hub(settings), args.login, args.role, _read_password())
    print(f"compte créé : {user['login']} ({user['role']}, {user['id']})")
    return 0


def _read_password() -> str:
    """From the terminal (asked twice) or the first line of standard input: never argv."""
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("Mot de passe (12 caractères au moins) : ")
    if getpass.getpass("Confirmez : ") != first:
        raise InvalidAccount("Les deux mots de passe diffèrent.", "The two passwords differ.")
    return first


def _users_list(args: argparse.Namespace) -> int:
    from hub.services.accounts.users import list_users

    for user in list_users(_hub(_settings(args.data_dir))):
        print(json.dumps(user, ensure_ascii=False, default=str))
    return 0


def _reindex(_args: argparse.Namespace) -> int:
    from hub.services.console.porteur_index import refresh

    hub = _hub()
    try:
        print(json.dumps({"porteurs_relus": refresh(hub)}))
    finally:
        hub.close()
    return 0


def _status(_args: argparse.Namespace) -> int:
    from hub.services.ingest.processing import pipeline_status
    from hub.services.ops.health import refuse_read_only

    settings = _settings()
    hub = _hub(settings)
    try:
        print(json.dumps(pipeline_status(hub), indent=2))
    except StoreUnavailable:  # not "busy, retry" when retrying cannot help
        refuse_read_only(
            settings, "SQLite y écrit ses fichiers de journal même pour lire.",
            "SQLite writes its journal files there even to read.")
        raise
    finally:
        hub.close()
    return 0


def _policy_check(args: argparse.Namespace) -> int:
    """Load the file as the hub would (schema, then roles, purposes, categories, paths) and
    print what each role sees per purpose; exits 1 naming the fault otherwise."""
    from hub.services.ingest.policy_loader import load_policy_file

    policy = load_policy_file(args.file)
    print(f"politique {policy.version} : conforme / policy {policy.version}: valid")
    for (role, purpose), rule in sorted(policy.rules.items()):
        print(f"  {role:<15} {purpose:<15} {len(rule.for_anyone):>3} champs"
              f" (+{len(rule.for_referent - rule.for_anyone)} pour la structure référente)")
    return 0


def _dedup(args: argparse.Namespace) -> int:
    from hub.services.matching.dedup_batch import load_settings, run_batch
    from hub.services.matching.people_csv import rejects_path

    if args.settings and args.model:
        raise ConfigurationError(
            "--settings et --model s'excluent : un modèle porte ses propres réglages "
            "(entraînez-en un avec --settings et --model-out).",
            "--settings and --model exclude each other: a model carries its own settings "
            "(train one with --settings and --model-out).")
    settings = load_settings(args.settings) if args.settings else None
    summary = run_batch(args.input, args.output, model_path=args.model, model_out=args.model_out,
                        settings=settings, review_out=args.review_out)
    _warn(summary.notes)
    if summary.rejected:
        _warn([f"{summary.rejected} lignes non lues, listées (ligne, id, motif) dans / rows "
               f"not read, listed (line, id, reason) in {rejects_path(args.output)}"])
    print(summary)
    return 0


def _dedup_feedback(args: argparse.Namespace) -> int:
    from hub.services.matching.dedup_batch import model_notices
    from hub.services.matching.duplicates import retrain_from_decisions

    hub = _hub()
    if args.model:
        hub = hub.with_settings(matching_model_file=args.model)
    model = retrain_from_decisions(hub, output=args.model_out)
    print(f"modèle écrit dans {args.model_out} ({model.training.get('paires_jugees_memes', 0)} "
          "paires jugées identiques)")
    _warn(model_notices(model, args.model_out))
    return 0


def _warn(notes: Iterable[str]) -> None:
    """What a matching command's user should know (no personal data), on stderr."""
    for note in notes:
        print(f"avertissement / warning : {note}", file=sys.stderr)


def _audit_verify(args: argparse.Namespace) -> int:
    from hub.audit.verify import main as verify_main

    return verify_main(args.rest)


def _audit_archive(args: argparse.Namespace) -> int:
    from hub.services.audit.retention import archive_expired

    hub = _hub()
    try:
        moved = archive_expired(hub)
    finally:
        hub.close()
    if moved is None:
        days = hub.settings.audit_retention_days
        print(f"rien à archiver : aucune entrée de plus de {days} jours "
              "(HUB_AUDIT_RETENTION_DAYS) sous une tête signée / nothing to archive: no entry "
              f"older than {days} days (HUB_AUDIT_RETENTION_DAYS) under a signed head")
        return 0
    print(json.dumps(moved, ensure_ascii=False))
    return 0


def _audit_alerts(args: argparse.Namespace) -> int:
    from hub.services.audit.alerts import alert_dict, unusual_accesses

    for alert in unusual_accesses(_hub(), since=args.since):
        print(json.dumps(alert_dict(alert), ensure_ascii=False))
    return 0


def _audit_export(args: argparse.Namespace) -> int:
    """Run on the hub machine by its operator for the DPO; logged as an export by `hub`."""
    from hub.services.audit import trail as audit
    from hub.services.ops.health import refuse_read_only

    if not args.output.parent.is_dir() or args.output.is_dir():
        raise ConfigurationError(
            f"La sortie doit être un fichier dans un dossier existant : {args.output}.",
            f"The output must be a file in an existing folder: {args.output}.")
    settings = _settings()
    refuse_read_only(
        settings, "`capactif audit export` enregistre l'export dans le journal et signe une "
        "tête : pour une copie en lecture seule, copiez le dossier de données (cp -a) dans un "
        "dossier accessible en écriture et lancez l'export avec HUB_DATA_DIR sur la copie.",
        "`capactif audit export` logs the export and signs a head: for a read-only copy, copy "
        "the data directory (cp -a) to a writable folder and export with HUB_DATA_DIR on the "
        "copy.")
    hub = _hub(settings)
    made = not args.output.exists()
    try:  # opened (made) before the export is logged: one it cannot write is none
        with open_private(args.output, newline="") as output:
            if args.format == "jsonl" and not (args.porteur or args.member or args.action):
                done = audit.export_whole(hub, output, "hub")
                print(done.lines)
                return _mismatch_said(done.mismatch)
            output.writelines(audit.export_events(hub, "hub", args.format,
                                                  porteur_id=args.porteur,
                                                  member=args.member, action=args.action))
    except OSError as exc:
        _remove_made(args.output, made)
        raise ConfigurationError(
            f"Export impossible à écrire dans {args.output} ({exc.strerror}).",
            f"Cannot write the export to {args.output} ({exc.strerror}).") from exc
    except BaseException:
        _remove_made(args.output, made)  # a failed export leaves no file to take for one
        raise
    finally:
        hub.close()
    return 0


EXPORTED_WITH_WARNING = 3  # `capactif audit export`: written, but see stderr and the file


def _mismatch_said(mismatch: HubError | None) -> int:
    """0, or the exit code of an export of a store that no longer matches its signed head."""
    if mismatch is None:
        return 0
    print(f"avertissement ({mismatch.code}) : {mismatch.message_fr} Export écrit jusqu'à la "
          "dernière tête signée, sans en signer de nouvelle.\n"
          f"warning ({mismatch.code}): {mismatch.message_en} Export written up to the last "
          "signed head, without signing a new one.", file=sys.stderr)
    return EXPORTED_WITH_WARNING


def _remove_made(path: Path, made: bool) -> None:
    if made and path.is_file():
        path.unlink(missing_ok=True)


def _connector(args: argparse.Namespace) -> int:
    from connectors.cli import main as connector_main

    return connector_main(args.rest)


def _deliveries_dead(args: argparse.Namespace) -> int:
    """One JSON line per dead letter on stdout; the total and the next page on stderr."""
    from hub.services.delivery.webhooks import dead_letter_page

    hub = _hub()
    try:
        with _member_named(args.member):
            page = dead_letter_page(hub, args.member, after=args.after, limit=args.limit)
    finally:
        hub.close()
    for row in page["livraisons"]:
        print(json.dumps(row, ensure_ascii=False))
    shown = len(page["livraisons"])
    following = "" if page["suivant"] is None else \
        f" ; page suivante / next page: --after {page['suivant']}"
    print(f"livraisons en échec : {page['total']} au total, {shown} affichées / dead letters: "
          f"{page['total']} in all, {shown} shown{following}", file=sys.stderr)
    return 0


def _deliveries_replay(args: argparse.Namespace) -> int:
    from hub.services.delivery.webhooks import replay_dead

    hub = _hub()
    try:
        with _member_named(args.member):
            replayed = replay_dead(hub, delivery_id=args.id, member_id=args.member)
    finally:
        hub.close()
    if args.id is not None and not (replayed.replayed or replayed.superseded or replayed.erased):
        raise NotFound(
            f"Aucune livraison en échec n'a l'identifiant {args.id} (capactif deliveries dead "
            "les liste, avec --member M : par leur position dans la file du membre) ; rien "
            "n'a été remis en file.",
            f"No dead-lettered delivery has the id {args.id} (capactif deliveries dead lists "
            "them, with --member M: by their position in the member's line); nothing was put "
            "back in line.")
    print(f"livraisons remises en file / deliveries put back in line: {replayed.replayed}")
    if replayed.superseded:
        print(f"non remises en file, une version plus récente de leur fiche ayant été envoyée "
              f"ou étant en file (réglées comme remplacées) / not put back in line, a later "
              f"version of their fiche having been sent or being in line (settled as "
              f"superseded): {replayed.superseded}")
    if replayed.erased:
        print(f"non remises en file, leurs données ayant été effacées depuis (réglées comme "
              f"effacées) / not put back in line, their data having been erased since "
              f"(settled as erased): {replayed.erased}")
    return 0


@contextlib.contextmanager
def _member_named(member_id: str | None) -> Iterator[None]:
    """The operator is told the id it typed, and how to find the right one."""
    try:
        yield
    except UnknownMember:
        raise UnknownMember(f"Aucun membre du réseau n'a l'identifiant {str(member_id)[:64]!r} "
                            "(capactif members list les nomme).",
                            f"No member of the network has the id {str(member_id)[:64]!r} "
                            "(capactif members list names them).") from None


def _keys_rotate_data(_args: argparse.Namespace) -> int:
    from hub.services.privacy.key_rotation import rotate_data_keys

    print(f"groupes de clés renouvelés : {rotate_data_keys(_hub())}")
    return 0


def _keys_signing(args: argparse.Namespace) -> int:
    hub = _hub()
    key = getattr(hub.hub_keys, args.step)(hub.clock())
    print(f"clé {key.key_id} : {'annoncée' if args.step == 'announce' else 'active'} "
          "(historique : GET /v1/hub-keys)")
    return 0


def _backup(args: argparse.Namespace) -> int:
    from hub.services.ops.recovery import backup

    manifest = backup(_hub(), args.output)
    print(f"sauvegarde écrite : {args.output / manifest['fichier']} (sha256 {manifest['sha256'][:16]}…); "
          "les clés n'y sont pas : le répertoire de clés se sauvegarde à part (docs/deploy.md)")
    return 0


def _restore(args: argparse.Namespace) -> int:
    from hub.services.ops.recovery import restore

    done = restore(_settings(), args.folder, force=args.force)
    print(json.dumps(dataclasses.asdict(done), ensure_ascii=False))
    if not done.freed_space_purged:
        print("ATTENTION : la purge des pages libérées par les effacements n'a pas abouti "
              "(verrou ou délai) : lancez « VACUUM » (PostgreSQL) ou, le hub arrêté, « PRAGMA "
              "wal_checkpoint(TRUNCATE) » (SQLite), sans quoi des pages des fiches effacées "
              "restent sur le disque jusqu'à la prochaine purge. / WARNING: the purge of the "
              "erased fiches' freed pages did not finish (a lock or a deadline): run VACUUM "
              "(PostgreSQL) or, the hub stopped, PRAGMA wal_checkpoint(TRUNCATE) (SQLite), or "
              "pages of the erased fiches stay on disk until the next purge.", file=sys.stderr)
    if not done.statistics_gathered:
        print("ATTENTION : ANALYZE n'a pas abouti : lancez « ANALYZE » sur la base, sans "
              "quoi le planificateur devine la taille des tables jusqu'à l'autovacuum. / "
              "WARNING: ANALYZE did not finish: run ANALYZE on the database, or the planner "
              "guesses the tables' make-up until autovacuum.", file=sys.stderr)
    return 0 if done.keys_unrecoverable == 0 else 1


def _demo(args: argparse.Namespace) -> int:
    try:
        from capactif_demo.run import run_demo
    except ModuleNotFoundError as exc:  # the demo is scaffolding, installed with the [demo] extra
        raise ConfigurationError(
            "La démo demande l'extra [demo] (pip install 'capactif-hub[demo]') ; "
            f"module absent : {exc.name}.",
            "The demo needs the [demo] extra (pip install 'capactif-hub[demo]'); "
            f"missing module: {exc.name}.",
        ) from exc

    return run_demo(args.data_dir, fiche_count=args.fiches, port=args.port)


if __name__ == "__main__":
    raise SystemExit(main())
