"""A connector run's configuration file (schema `schemas/connector_config.v1.json`).

Relative paths are resolved from the configuration file's folder. The REST token
is read from the environment variable named by `jeton_env` (preferred) or from
`jeton`; it never appears in errors or in `repr`. An unknown key is named with the
closest known one. A `csv` source whose file is a workbook (.xlsx, .ods...) is read
as the `tableur` source it is.
"""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path
from typing import Any

from connectors.base import Connector
from connectors.checkpoint import Checkpoint
from connectors.client import HubClient
from connectors.csv_source import CsvSource
from connectors.errors import ConfigurationError
from connectors.mapping import Mapping
from connectors.rejects import RejectsFile
from connectors.rest_source import RestSettings, RestSource
from connectors.runner import DELETION_SHARE_MAX, WITHDRAWAL_BATCH, Runner
from connectors.sheet_source import SUFFIXES, SheetSource
from connectors.typos import check_keys


@dataclasses.dataclass(frozen=True)
class ConnectorConfig:
    kind: str
    source: dict[str, Any] = dataclasses.field(repr=False)
    mapping_path: Path
    credentials_path: Path
    checkpoint_path: Path
    rejects_path: Path
    batch_size: int = 500
    hub_timeout_s: float = 30.0
    hub_retries: int = 4
    deletion_share_max: float = DELETION_SHARE_MAX
    confirm_deletions: bool = False
    withdrawal_batch: int = WITHDRAWAL_BATCH
    folder: Path = Path(".")

    @classmethod
    def load(cls, path: str | Path) -> ConnectorConfig:
        path = Path(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8-sig"))  # Notepad may add a BOM
        except (OSError, ValueError, RecursionError) as exc:  # or nested past the parser
            raise ConfigurationError(
                "Configuration du connecteur illisible (JSON UTF-8 attendu).",
                "Unreadable connector configuration (UTF-8 JSON expected).",
            ) from exc
        check_keys("connector_config", data, "Configuration du connecteur invalide",
                   "Invalid connector configuration")
        folder = path.resolve().parent
        return cls(
            kind=data["type"], source=data["source"],
            mapping_path=folder / data["correspondance"],
            credentials_path=folder / data["identifiants"],
            checkpoint_path=folder / data["reprise"], rejects_path=folder / data["rejets"],
            batch_size=data.get("taille_lot", 500), hub_timeout_s=data.get("delai_hub_s", 30.0),
            hub_retries=data.get("essais_hub", 4),
            deletion_share_max=data.get("part_suppressions_max", DELETION_SHARE_MAX),
            confirm_deletions=data.get("confirmer_suppressions", False),
            withdrawal_batch=data.get("taille_lot_retraits", WITHDRAWAL_BATCH), folder=folder,
        )

    def build_source(self) -> Connector:
        mapping = Mapping.load(self.mapping_path)
        s = self.source
        if self.kind == "tableur" or (
                self.kind == "csv" and s["chemin"].lower().endswith(SUFFIXES)):
            return SheetSource(mapping, self.folder / s["chemin"], sheet=s.get("feuille"),
                               mode=s.get("suivi", "auto"))
        if self.kind == "csv":
            return CsvSource(mapping, self.folder / s["chemin"], separator=s.get("separateur"),
                             encoding=s.get("encodage", "auto"), mode=s.get("suivi", "auto"))
        return RestSource(mapping, self.rest_settings())

    def rest_settings(self) -> RestSettings:
        s = self.source
        token = s.get("jeton")
        if "jeton_env" in s:
            token = os.environ.get(s["jeton_env"])
            if not token:
                raise ConfigurationError(
                    f"Variable d'environnement {s['jeton_env']} absente : elle doit contenir le "
                    "jeton de l'API source.",
                    f"Environment variable {s['jeton_env']} missing: it must hold the source "
                    "API token.",
                )
        return RestSettings(
            url=s["url"], token=token, pagination=s.get("pagination", "page"),
            page_size=s.get("taille_page", 100),
            since_param=s.get("parametre_depuis", "updated_since"),
            items_path=s.get("chemin_elements", "$.data"),
            cursor_path=s.get("chemin_curseur", "$.next_cursor"),
            next_link_path=s.get("chemin_lien"),
            offset_param=s.get("parametre_decalage", "offset"),
            max_retry_after_s=s.get("attente_max_s", 120.0),
        )

    def build_client(self) -> HubClient:
        return HubClient.from_credentials_file(
            self.credentials_path, timeout=self.hub_timeout_s, retries=self.hub_retries)

    def build_runner(self, client: HubClient | None = None, *,
                     confirm_deletions: bool | None = None) -> Runner:
        """A ready runner; pass `client` to reuse one HubClient across runs.
        `confirm_deletions` None takes the configuration's `confirmer_suppressions`; a
        caller running turns (`--every`) passes False after the first one, whatever the
        configuration says: a later turn reads an export no one looked at."""
        confirm = self.confirm_deletions if confirm_deletions is None else confirm_deletions
        return Runner(self.build_source(), client or self.build_client(),
                      Checkpoint(self.checkpoint_path), RejectsFile(self.rejects_path),
                      batch_size=self.batch_size, deletion_share_max=self.deletion_share_max,
                      confirm_deletions=confirm, withdrawal_batch=self.withdrawal_batch)

