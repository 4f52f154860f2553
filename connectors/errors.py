"""One exception tree for the connectors.

Errors of `requests`, `json` and `cryptography` are translated at the boundary
(`raise HubUnavailable(...) from exc`): no bare dependency exception escapes.
Messages say what was wrong and how to fix it, in French and English, and never
echo personal data (no field values, no tokens).

    ConnectorError                  connector_error
    ├── ConfigurationError          configuration_error   config, mapping or credentials file
    ├── CheckpointError             checkpoint_error      checkpoint file unreadable
    ├── RecordRejected              record_rejected       one source record cannot be a fiche
    ├── RunUnderWay                 run_under_way         another run of the connector holds
    │                                                     its checkpoint (exit 6)
    ├── SourceError                 source_error          the member's own system
    │   ├── SourceAuthError         source_auth_error     its token is refused
    │   ├── ColumnsGone             columns_gone          a column of the last complete
    │   │                                                 export is gone (held, exit 5)
    │   └── SourceChanged           source_changed        the file read changed before its
    │                                                     withdrawals (none more, exit 3)
    ├── HubCallError                hub_error             a call to the hub failed
    │   ├── HubUnavailable          hub_unavailable       network, timeout, 5xx (transient)
    │   │   └── HubRateLimited      hub_rate_limited      429 from the hub
    │   ├── HubAuthError            hub_auth_error        401/403: never retried
    │   ├── HubRequestRejected      hub_request_rejected  other 4xx (400, 404, 409, 413)
    │   │   └── HubNotFound         hub_not_found         404
    │   └── HubProtocolError        hub_protocol_error    an answer not in the protocol
    ├── WebhookVerificationError    webhook_invalid       a delivery that must be refused
    │   ├── BadWebhookSignature     webhook_bad_signature
    │   └── StaleWebhook            webhook_stale
    └── ForwardError                forward_failed        the member's endpoint did not take
                                                          a delivery (it stays with the hub)
"""

from __future__ import annotations

from typing import Any


class ConnectorError(Exception):
    """Base of every error a connector raises on purpose."""

    code = "connector_error"

    def __init__(self, message_fr: str, message_en: str | None = None) -> None:
        super().__init__(message_en or message_fr)
        self.message_fr = message_fr
        self.message_en = message_en or message_fr

    def to_dict(self) -> dict[str, str]:
        return {"code": self.code, "message_fr": self.message_fr, "message_en": self.message_en}


class ConfigurationError(ConnectorError):
    """A configuration, mapping or credentials file is missing or invalid."""

    code = "configuration_error"


class CheckpointError(ConnectorError):
    """The checkpoint file cannot be read; it is never silently reset."""

    code = "checkpoint_error"


class RecordRejected(ConnectorError):
    """One source record cannot become a fiche; `problems` say where and why (no values)."""

    code = "record_rejected"

    def __init__(self, problems: list[Any], partial: dict[str, Any] | None = None) -> None:
        super().__init__(
            "Enregistrement rejeté : voir le fichier des rejets.",
            "Record rejected: see the rejects file.",
        )
        self.problems = problems
        self.partial = partial


class RunUnderWay(ConnectorError):
    """Another run of the same connector (same checkpoint) is under way: this one stops."""

    code = "run_under_way"

    @classmethod
    def held_by(cls, holder: str, lock: Any) -> RunUnderWay:
        who = f" (processus {holder})" if holder.isdigit() else ""
        return cls(
            f"Un autre passage de ce connecteur est en cours{who} : celui-ci s'arrête sans "
            "rien lire ni envoyer. Attendez la fin de l'autre passage (avec --every, le "
            "passage suivant aura lieu à l'heure prévue). Le verrou est le fichier "
            f"« {lock} » ; le système le libère dès que ce processus se termine, même "
            "arrêté brutalement : ne le supprimez pas.",
            f"Another run of this connector is under way{who.replace('processus', 'process')}: "
            f"this one stops without reading or sending anything. Lock file: {lock}.")


class SourceError(ConnectorError):
    """The member's own system (file, CRM) cannot be read."""

    code = "source_error"


class SourceAuthError(SourceError):
    """The member's own system refuses the connector's token."""

    code = "source_auth_error"


class ColumnsGone(SourceError):
    """A column the mapping reads, in the last complete export, is missing from this one."""

    code = "columns_gone"


class SourceChanged(SourceError):
    """The file read has changed on disk since (written again while the run pushed): the
    rows gone from what was read may be in it; nothing more is withdrawn on this run."""

    code = "source_changed"

    def __init__(self) -> None:
        super().__init__(
            "Le fichier source a changé depuis sa lecture (réécrit ou en cours d'écriture) : "
            "aucune fiche n'est retirée à ce passage ; les fiches envoyées sont gardées et "
            "le passage suivant relira le fichier.",
            "The source file changed since it was read (written again or being written): "
            "no fiche is withdrawn on this run; the fiches sent are kept and the next run "
            "reads the file again.")


class HubCallError(ConnectorError):
    """A call to the hub failed; `status` and `hub_code` say how, when known."""

    code = "hub_error"

    def __init__(
        self,
        message_fr: str,
        message_en: str | None = None,
        *,
        status: int | None = None,
        hub_code: str | None = None,
    ) -> None:
        super().__init__(message_fr, message_en)
        self.status = status
        self.hub_code = hub_code


class HubUnavailable(HubCallError):
    """The hub cannot be reached or answers 5xx; the run may resume later."""

    code = "hub_unavailable"


class HubRateLimited(HubUnavailable):
    """The hub asks to slow down (429); `retry_after` is in seconds when given."""

    code = "hub_rate_limited"
    retry_after: float | None = None


class HubAuthError(HubCallError):
    """The hub refuses the credentials or the signature (401/403); not retried."""

    code = "hub_auth_error"


class HubRequestRejected(HubCallError):
    """The hub refuses the request as sent (4xx other than 401/403/429)."""

    code = "hub_request_rejected"


class HubNotFound(HubRequestRejected):
    """The hub has no such resource visible to this member (404)."""

    code = "hub_not_found"


class HubProtocolError(HubCallError):
    """The hub answered something the protocol does not describe."""

    code = "hub_protocol_error"


class WebhookVerificationError(ConnectorError):
    """A webhook delivery is malformed or unsigned and must be refused."""

    code = "webhook_invalid"


class BadWebhookSignature(WebhookVerificationError):
    """The webhook signature does not verify with the hub's public key."""

    code = "webhook_bad_signature"


class StaleWebhook(WebhookVerificationError):
    """The webhook timestamp is outside the accepted window (replay protection)."""

    code = "webhook_stale"


class ForwardError(ConnectorError):
    """The member's own endpoint did not take a delivery; the hub keeps and resends it."""

    code = "forward_failed"

    def __init__(self, message_fr: str, message_en: str | None = None, *,
                 status: int | None = None) -> None:
        super().__init__(message_fr, message_en)
        self.status = status
