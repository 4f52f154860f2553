"""`capactif notices add|list|show`: the operator registers and reads information
notices (the same rules as `/v1/notices`, through the same service)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from hub.errors import BadRequest

PURPOSES = ("orientation", "accompagnement", "financement", "statistiques")


def add_parser(sub: Any, hub_factory: Any) -> None:
    """Add the `notices` command to the `capactif` parser; `hub_factory()` builds the hub."""
    notices = sub.add_parser("notices", help="information notices shown to porteurs")
    notices_sub = notices.add_subparsers(title="notices")
    add = notices_sub.add_parser("add", help="register a notice: FILE is its text (UTF-8), or a "
                                 "JSON document {texte, langue, finalites} when it ends in .json")
    add.add_argument("file", type=Path)
    add.add_argument("--membre", help="register it in this member's name (default: the operator)")
    add.add_argument("--langue", default="fr")
    add.add_argument("--finalite", action="append", choices=PURPOSES, dest="finalites",
                     help="a purpose the notice informs of (repeat; default: all four)")
    add.set_defaults(run=lambda args: _add(args, hub_factory()))
    listing = notices_sub.add_parser("list", help="a member's notices (default: the operator's)")
    listing.add_argument("--membre")
    listing.set_defaults(run=lambda args: _list(args, hub_factory()))
    show = notices_sub.add_parser("show", help="one notice by version")
    show.add_argument("version", type=int)
    show.set_defaults(run=lambda args: _show(args, hub_factory()))


def submission_from_file(path: Path, language: str, purposes: list[str] | None) -> Any:
    try:
        text = path.read_text(encoding="utf-8-sig")  # Notepad and Word save a BOM first
    except (OSError, UnicodeDecodeError) as exc:
        raise BadRequest("Fichier illisible (attendu : texte UTF-8).",
                         "Unreadable file (expected: UTF-8 text).") from exc
    if path.suffix == ".json":
        try:
            return json.loads(text)
        except (ValueError, RecursionError) as exc:  # RecursionError: nested past the parser
            raise BadRequest("Le fichier n'est pas du JSON valide.", "The file is not valid JSON.") from exc
    return {"texte": text, "langue": language, "finalites": purposes or list(PURPOSES)}


def _add(args: argparse.Namespace, hub: Any) -> int:
    from hub.services.privacy.information_notices import register_for

    submission = submission_from_file(args.file, args.langue, args.finalites)
    notice, created = register_for(hub, args.membre, submission)
    print(json.dumps(_summary(notice) | {"nouvelle": created}, ensure_ascii=False))
    return 0


def _list(args: argparse.Namespace, hub: Any) -> int:
    from hub.services.privacy.information_notices import list_notices_of

    after = 0
    while True:
        page = list_notices_of(hub, args.membre, after, 500)
        for notice in page["notices"]:
            print(json.dumps(_summary(notice), ensure_ascii=False))
        if not page["has_more"]:
            return 0
        after = page["next_after"]


def _show(args: argparse.Namespace, hub: Any) -> int:
    from hub.services.privacy.information_notices import read_notice

    print(json.dumps(read_notice(hub, None, args.version), ensure_ascii=False))
    return 0


def _summary(notice: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in notice.items() if k != "texte"}
