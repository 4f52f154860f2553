"""The consent package as the hub uses it: the one module of `consent` that `hub` imports
(an import-linter contract in pyproject.toml keeps it so).

Records and the rules on them (`decision`), the registry port and its SQL implementation,
receipts, the tables, and the data keys whose destruction makes an erasure final."""

from consent.decision import Decision, Reason, refused, usable
from consent.model import (
    HUB_ACTOR,
    AckStatus,
    ConsentRecord,
    NoticeAck,
    NoticeKind,
    as_stored,
    as_utc,
    from_stored,
    scope,
    takes_away,
)
from consent.notices import MAX_VERSION as MAX_NOTICE_VERSION
from consent.receipts import build_receipt, sign_receipt
from consent.registry import ConsentRegistry
from consent.shredding import check_master_key, cipher, is_sealed, new_key, seal, unseal, unwrap_key, wrap_key
from consent.sql import SqlConsentRegistry
from consent.submission import require_collector
from consent.tables import define_tables

__all__ = [
    "HUB_ACTOR",
    "MAX_NOTICE_VERSION",
    "AckStatus",
    "ConsentRecord",
    "ConsentRegistry",
    "Decision",
    "NoticeAck",
    "NoticeKind",
    "Reason",
    "SqlConsentRegistry",
    "as_stored",
    "as_utc",
    "build_receipt",
    "check_master_key",
    "cipher",
    "define_tables",
    "from_stored",
    "is_sealed",
    "new_key",
    "refused",
    "require_collector",
    "scope",
    "seal",
    "sign_receipt",
    "takes_away",
    "unseal",
    "unwrap_key",
    "usable",
    "wrap_key",
]
