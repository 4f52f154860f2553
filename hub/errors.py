"""One exception tree for the hub.

Every class carries its HTTP status and a stable machine code; the API maps the
whole family with one handler. Messages say what was wrong and how to fix it, in
French and English, and never echo personal data. An error whose fix is the operator's
(a command to run, a folder or a setting to mend) also carries `public`: what the API
and the console tell partners and agents instead (what happened, when to try again),
the message itself going to the operator's log (docs/protocol.md, "Errors").

    HubError                        500 internal_error
    ├── BadRequest                  400 bad_request
    │   ├── MalformedBody           400 malformed_body
    │   ├── MalformedRequest        400 malformed_request (answered below the app)
    │   ├── InvalidBatch            400 invalid_batch
    │   ├── InvalidConsent          400 invalid_consent (carries `erreurs`)
    │   │   ├── InvalidParameter    422 invalid_parameter
    │   │   ├── InvalidNotice       400 invalid_notice
    │   │   └── NoticePurposesMismatch 400 notice_purposes_mismatch
    │   ├── MalformedNoticeHash     400 malformed_notice_hash
    │   ├── UnknownNotice           400 unknown_notice
    │   ├── NoticeHashMismatch      400 notice_hash_mismatch
    │   ├── UnknownConsentReference 400 unknown_consent_reference
    │   ├── ConsentOfAnotherPorteur 400 consent_of_another_porteur
    │   ├── InvalidCsvFile          400 invalid_csv_file
    │   ├── InvalidDecision         400 invalid_decision
    │   │   └── RevisionRequired    422 revision_required
    │   ├── InvalidAccount          400 invalid_account
    │   └── NotASignedHeadSize      400 not_a_signed_head_size
    ├── PayloadTooLarge             413 payload_too_large
    ├── HeadersTooLarge             431 headers_too_large (answered below the app)
    ├── RequestTimeout              408 request_timeout (answered below the app)
    ├── UnsupportedMediaType        415 unsupported_media_type
    │   └── UnsupportedEncoding     415 unsupported_encoding
    ├── AuthenticationFailed        401 authentication_failed
    │   ├── BadSignature            401 bad_signature
    │   │   └── ContentDigestMismatch 401 content_digest_mismatch
    │   ├── StaleRequest            401 stale_request
    │   ├── ReplayedRequest         401 replayed_request
    │   ├── SignInFailed            401 sign_in_failed
    │   ├── LegacySignatureRetired  401 legacy_signature_retired
    │   └── SessionRequired         401 session_required
    ├── Forbidden                   403 forbidden
    │   ├── FicheNotOwned           403 fiche_not_owned
    │   ├── OutsideTerritory        403 outside_territory
    │   ├── ConsoleMemberNotInNetwork 403 console_member_not_in_network
    │   ├── WrongRole               403 wrong_role
    │   └── CsrfRejected            403 csrf_rejected
    ├── NotFound                    404 not_found
    │   ├── ConsentNotFound         404 consent_not_found
    │   ├── NoticeNotFound          404 notice_not_found
    │   ├── RouteNotFound           404 route_not_found
    │   ├── NoticeNotSent           404 notice_not_sent
    │   ├── UnknownMember           404 unknown_member
    │   └── ReviewItemNotFound      404 review_item_not_found
    ├── Conflict                    409 conflict
    │   ├── ConsentAlreadyWithdrawn 409 consent_already_withdrawn
    │   ├── NoticeConflict          409 notice_conflict
    │   ├── DuplicateConsentReference 409 duplicate_consent_reference
    │   ├── AlreadyErased           409 already_erased
    │   ├── ReviewItemClosed        409 review_item_closed
    │   ├── ReviewItemChanged       409 review_item_changed
    │   ├── ConfirmationRequired    409 confirmation_required (carries `a_confirmer`)
    │   ├── ReviewItemNotConsultable 409 review_item_not_consultable
    │   ├── NothingToUnmerge        409 nothing_to_unmerge
    │   ├── ReferentProposalMade    409 referent_proposal_made
    │   └── AccountExists           409 account_exists
    ├── MethodNotAllowed            405 method_not_allowed (Allow lists the path's methods)
    ├── DataErased                  410 data_erased
    ├── AccountLocked               429 account_locked
    ├── RateLimited                 429 rate_limited
    ├── TooManyRefusals             429 too_many_refusals
    ├── UnreadableData              500 unreadable_data
    ├── ConfigurationError          500 configuration_error
    │   ├── InvalidNetworkFile      500 invalid_network_file
    │   ├── NetworkChangeUnconfirmed 500 network_change_unconfirmed
    │   ├── MissingSetting          500 missing_setting
    │   ├── InvalidPolicy           500 invalid_policy
    │   ├── InvalidMatchingModel    500 invalid_matching_model
    │   └── InvalidAlertRules       500 invalid_alert_rules
    ├── AuditIntegrityError         503 audit_integrity_error
    ├── NotReady                    503 not_ready
    │   └── SchedulerStopped        503 scheduler_stopped
    ├── BrokerUnavailable           503 broker_unavailable
    └── StoreUnavailable            503 store_unavailable (Retry-After)
        ├── StoreTimeout            503 store_timeout (Retry-After)
        ├── IndexOfAnotherVersion   503 index_of_another_version (Retry-After)
        ├── LockStripesMissing      503 lock_stripes_missing (Retry-After)
        ├── StoreFull               503 store_full (Retry-After)
        ├── NoticeVersionUnavailable 503 notice_version_unavailable (Retry-After)
        ├── DatabaseUnreadable      503 database_unreadable
        ├── DataDirectoryReadOnly   503 data_directory_read_only
        │   └── DataDirectoryFull   503 data_directory_full (Retry-After)
        └── KeyDirectoryReadOnly    503 key_directory_read_only
            └── KeyDirectoryFull    503 key_directory_full (Retry-After)
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType


class HubError(Exception):
    """Base of every error the hub raises on purpose."""

    status = 500
    code = "internal_error"
    answered_by_api = True  # False: console pages and operator commands only (no `/v1` answer)
    # (fr, en) told to partners and agents when the message is the operator's to act on
    public: tuple[str, str] | None = None

    def __init__(self, message_fr: str, message_en: str | None = None) -> None:
        super().__init__(message_en or message_fr)
        self.message_fr = message_fr
        self.message_en = message_en or message_fr

    def to_dict(self) -> dict[str, object]:
        return {"code": self.code, "message_fr": self.message_fr, "message_en": self.message_en}

    def for_the_log(self, cause: str | None = None) -> str:
        """What the operator's log says of this error: its code and class (or `cause`'s),
        and the message itself when partners are told `public` instead (the command to
        run, the folder or setting to mend; never personal data)."""
        said = f"{self.code} ({cause or type(self).__name__})"
        return said if self.public is None else f"{said}: {self.message_en}"

    def public_dict(self) -> dict[str, object]:
        """`to_dict` as a partner or an agent reads it: `public` in place of a message
        meant for the operator."""
        if self.public is None:
            return self.to_dict()
        return {"code": self.code, "message_fr": self.public[0], "message_en": self.public[1]}


class BadRequest(HubError):
    """The request cannot be understood as sent."""

    status = 400
    code = "bad_request"


class MalformedBody(BadRequest):
    """The body is not valid JSON or not of the expected shape."""

    code = "malformed_body"


class MalformedRequest(BadRequest):
    """The request line, a header or the body's framing is not HTTP/1.1 as written."""

    code = "malformed_request"


class InvalidBatch(BadRequest):
    """The batch envelope is wrong (empty, too many items, not a list)."""

    code = "invalid_batch"


class PayloadTooLarge(HubError):
    """The body is larger than the configured bound."""

    status = 413
    code = "payload_too_large"


class HeadersTooLarge(HubError):
    """The request line and headers are longer than the hub reads."""

    status = 431
    code = "headers_too_large"


class RequestTimeout(HubError):
    """The request stopped coming before its headers or its body were complete."""

    status = 408
    code = "request_timeout"


class UnsupportedMediaType(HubError):
    """The body is declared as something other than JSON (`Content-Type`)."""

    status = 415
    code = "unsupported_media_type"


class UnsupportedEncoding(UnsupportedMediaType):
    """The body is compressed (`Content-Encoding`): the hub reads bodies as sent only."""

    code = "unsupported_encoding"


class AuthenticationFailed(HubError):
    """Credentials are missing, unknown or wrong."""

    status = 401
    code = "authentication_failed"


class BadSignature(AuthenticationFailed):
    """The request signature does not verify with the member's public key."""

    code = "bad_signature"


class StaleRequest(AuthenticationFailed):
    """The signed timestamp is outside the accepted window."""

    code = "stale_request"


class ReplayedRequest(AuthenticationFailed):
    """This signed request (nonce) was already seen."""

    code = "replayed_request"


class Forbidden(HubError):
    """The authenticated member may not do this."""

    status = 403
    code = "forbidden"


class NotFound(HubError):
    """No such resource, or none visible to the caller."""

    status = 404
    code = "not_found"


class Conflict(HubError):
    """The request contradicts what the hub already holds."""

    status = 409
    code = "conflict"


class ConfigurationError(HubError):
    """The hub is misconfigured; the operator must fix a file or a setting."""

    code = "configuration_error"
    # The message names the file, folder or setting to mend: the operator's log alone
    # (a client learnt the server's layout from it).
    public = ("Le hub est mal configuré : rien n'a été fait. Son exploitant doit corriger sa "
              "configuration ; réessayez plus tard.",
              "The hub is misconfigured: nothing was done. Its operator has to fix its "
              "configuration; try again later.")


class InvalidNetworkFile(ConfigurationError):
    """The network file does not match its schema."""

    code = "invalid_network_file"
    answered_by_api = False


class NetworkChangeUnconfirmed(ConfigurationError):
    """A network file drops or brings back a member without the operator saying so."""

    code = "network_change_unconfirmed"
    answered_by_api = False


class MissingSetting(ConfigurationError):
    """A required setting is absent from the environment."""

    code = "missing_setting"


class BrokerUnavailable(HubError):
    """The message broker cannot be reached."""

    status = 503
    code = "broker_unavailable"


class StoreUnavailable(HubError):
    """The database cannot be reached or stays locked; the operation may be retried."""

    status = 503
    code = "store_unavailable"
    headers: Mapping[str, str] | None = MappingProxyType({"Retry-After": "5"})


class StoreTimeout(StoreUnavailable):
    """The database gave no answer in time (not answering, overloaded, or a lock held too
    long); the operation may be retried."""

    code = "store_timeout"


class IndexOfAnotherVersion(StoreUnavailable):
    """The matching index was written by another version of the hub than this process's."""

    code = "index_of_another_version"
    public = ("Le hub est en cours de mise à jour : rien n'a été fait ; réessayez après le "
              "délai de l'en-tête Retry-After.",
              "The hub is being upgraded: nothing was done; retry after the Retry-After "
              "header's delay.")


class LockStripesMissing(StoreUnavailable):
    """Rows of the worker's lock stripes went missing again as soon as it wrote them back
    (a restore or a manual change under it); the batch is retried."""

    code = "lock_stripes_missing"
    public = ("Le hub n'a pas pu terminer l'opération (ses verrous internes sont en cours de "
              "réparation) ; réessayez après le délai de l'en-tête Retry-After.",
              "The hub could not finish the operation (its internal locks are being "
              "repaired); retry after the Retry-After header's delay.")


class StoreFull(StoreUnavailable):
    """The database's disk is full (or a file-size limit reached): retried once freed."""

    code = "store_full"
    public = ("Le disque de la base de données du hub est plein : elle n'accepte plus "
              "d'écriture pour le moment ; réessayez après le délai de l'en-tête Retry-After.",
              "The hub database's disk is full: it takes no writes for now; retry after the "
              "Retry-After header's delay.")


class NoticeVersionUnavailable(StoreUnavailable):
    """Every notice version drawn at random was taken (as good as never over 2^31): the
    registration stored nothing and may be retried."""

    code = "notice_version_unavailable"


class DatabaseUnreadable(StoreUnavailable):
    """The database file is not a database, or a damaged one (restore a backup)."""

    code = "database_unreadable"
    headers = None  # waiting does not help: the operator has to act
    public = ("La base de données du hub est endommagée : le hub ne peut pas répondre tant "
              "que l'exploitant ne l'a pas remise en état ; réessayez plus tard.",
              "The hub's database is damaged: the hub cannot answer until the operator "
              "has mended it; try again later.")


class DataDirectoryReadOnly(StoreUnavailable):
    """The hub cannot write in its data directory (read-only, full or missing)."""

    code = "data_directory_read_only"
    headers: Mapping[str, str] | None = None  # waiting does not help: the operator acts
    public: tuple[str, str] | None = (
        "Le hub ne peut pas écrire dans son répertoire de données : il ne peut rien "
        "enregistrer tant que l'exploitant ne l'a pas rendu accessible ; réessayez plus tard.",
        "The hub cannot write in its data directory: it can store nothing until the "
        "operator has made it writable; try again later.")


class DataDirectoryFull(DataDirectoryReadOnly):
    """The data directory's disk is full (or a file-size limit reached): it takes writes
    again once there is room; a running worker waits for it."""

    code = "data_directory_full"
    headers = StoreUnavailable.headers
    public = ("Le disque du répertoire de données du hub est plein : il n'accepte plus "
              "d'écriture pour le moment ; réessayez après le délai de l'en-tête Retry-After.",
              "The disk of the hub's data directory is full: it takes no writes for now; "
              "retry after the Retry-After header's delay.")


class KeyDirectoryReadOnly(StoreUnavailable):
    """The hub cannot write in its key directory (HUB_KEY_DIR): nothing was changed."""

    code = "key_directory_read_only"
    headers: Mapping[str, str] | None = None  # waiting does not help: the operator acts
    public: tuple[str, str] | None = (
        "Le hub ne peut pas écrire dans son répertoire de clés : rien n'a été modifié ; "
        "réessayez plus tard (l'exploitant doit le rendre accessible en écriture).",
        "The hub cannot write in its key directory: nothing was changed; try again later "
        "(the operator has to make it writable).")


class KeyDirectoryFull(KeyDirectoryReadOnly):
    """The key directory's volume is full (or a file-size limit reached): nothing was
    changed, and the same request succeeds once there is room."""

    code = "key_directory_full"
    headers = StoreUnavailable.headers
    public = ("Le volume du répertoire de clés du hub est plein : rien n'a été modifié ; "
              "réessayez après le délai de l'en-tête Retry-After.",
              "The volume of the hub's key directory is full: nothing was changed; retry "
              "after the Retry-After header's delay.")


# --- consent registry (consent/) -------------------------------------------------


class InvalidConsent(BadRequest):
    """A consent submission does not follow schemas/consent.v1.json or its rules."""

    code = "invalid_consent"

    def __init__(
        self, message_fr: str, message_en: str | None = None,
        field_errors: list[dict[str, str]] | None = None,
    ) -> None:
        super().__init__(message_fr, message_en)
        self.field_errors = list(field_errors or [])

    def to_dict(self) -> dict[str, object]:
        body = super().to_dict()
        body["erreurs"] = self.field_errors
        return body


class MalformedNoticeHash(BadRequest):
    """A notice hash is not a lowercase hexadecimal SHA-256 (64 characters)."""

    code = "malformed_notice_hash"


class UnknownNotice(BadRequest):
    """The notice version cited by a consent was never stored at the hub."""

    code = "unknown_notice"


class NoticeHashMismatch(BadRequest):
    """The notice hash cited by a consent differs from the stored notice's hash."""

    code = "notice_hash_mismatch"


class UnknownConsentReference(BadRequest):
    """No consent with this reference was recorded by this member."""

    code = "unknown_consent_reference"


class ConsentSuperseded(BadRequest):
    """The consent an earlier version of the fiche cited, while its current version cites
    another (the consent in force): nothing more is pushed under it (per item of a push,
    per reference of the lookup; hub.services.delivery.superseded)."""

    code = "consent_superseded"


class ConsentOfAnotherPorteur(BadRequest):
    """The consent reference belongs to another fiche (another porteur) of the member."""

    code = "consent_of_another_porteur"


class FicheNotOwned(Forbidden):
    """A member records a consent for a fiche of another member."""

    code = "fiche_not_owned"


class OutsideTerritory(Forbidden):
    """A member subscribes to communes outside the territory the network gave it."""

    code = "outside_territory"


class ConsoleMemberNotInNetwork(Forbidden):
    """HUB_CONSOLE_MEMBER names a member that is not, or no longer, in the network."""

    code = "console_member_not_in_network"
    answered_by_api = False


class ConsentNotFound(NotFound):
    """No consent has this id: one answer for an unknown id and for another member's
    consent (a consent's existence is not told to who may not know it)."""

    code = "consent_not_found"

    def __init__(self, message_fr: str = "Aucun consentement ne porte cet identifiant.",
                 message_en: str | None = "No consent has this id.") -> None:
        super().__init__(message_fr, message_en)


class UnknownMember(NotFound):
    """No member of the network has this id; `path` names the parameter that gave it
    (in `erreurs`), never its value."""

    code = "unknown_member"

    def __init__(self, message_fr: str = "Aucun membre du réseau n'a cet identifiant.",
                 message_en: str | None = "No member of the network has this id.", *,
                 path: str | None = None) -> None:
        super().__init__(message_fr, message_en)
        self.path = path

    def to_dict(self) -> dict[str, object]:
        body = super().to_dict()
        if self.path is not None:
            body["erreurs"] = [{"path": self.path, "code": self.code,
                                "message_fr": "aucun membre du réseau n'a cet identifiant",
                                "message_en": "no member of the network has this id"}]
        return body


class NoticeNotSent(NotFound):
    """An acknowledgement names a withdrawal or erasure notice that was never sent."""

    code = "notice_not_sent"


class ConsentAlreadyWithdrawn(Conflict):
    """The consent was already withdrawn; a withdrawal is recorded once."""

    code = "consent_already_withdrawn"


class DuplicateConsentReference(Conflict):
    """The member already recorded a different consent under this reference."""

    code = "duplicate_consent_reference"


class DataErased(HubError):
    """The porteur's data key was destroyed (erasure): the data can no longer be read."""

    status = 410
    code = "data_erased"


class AlreadyErased(Conflict):
    """The data named was already erased."""

    code = "already_erased"


class UnreadableData(HubError):
    """Encrypted data does not decrypt with the porteur's key (wrong key or tampering)."""

    code = "unreadable_data"


class InvalidPolicy(ConfigurationError):
    """The field-policy file is malformed or names an unknown role, purpose or field."""

    code = "invalid_policy"


class InvalidCsvFile(BadRequest):
    """A CSV file cannot be read: bad encoding, unknown column or broken row (line named)."""

    code = "invalid_csv_file"
    answered_by_api = False

    def __init__(self, message_fr: str, message_en: str | None = None, line: int = 0) -> None:
        super().__init__(message_fr, message_en)
        self.line = line


class InvalidMatchingModel(ConfigurationError):
    """A matching model or matching settings file is unreadable or of an unknown version."""

    code = "invalid_matching_model"


class AuditIntegrityError(HubError):
    """The stored access log no longer matches its last signed head; the hub refuses to sign."""

    status = 503
    code = "audit_integrity_error"


# --- deduplication (review queue, merges) ----------------------------------------


class InvalidDecision(BadRequest):
    """A review decision is not one of same, different, unknown."""

    code = "invalid_decision"


class RevisionRequired(InvalidDecision):
    """A « same » or « different » that names no `revision` of the review item it decides."""

    status = 422
    code = "revision_required"


class ReviewItemNotFound(NotFound):
    """No review item has this id."""

    code = "review_item_not_found"


class ReviewItemClosed(Conflict):
    """The review item was already decided (or made obsolete by a merge)."""

    code = "review_item_closed"


class ReferentProposalMade(Conflict):
    """A referent proposal sent from a page older than a proposal made since about the porteur."""

    code = "referent_proposal_made"


class ReviewItemChanged(Conflict):
    """A decision on a review item scored again, on a new version of a side, since it was read."""

    code = "review_item_changed"


class ConfirmationRequired(Conflict):
    """A « same » on a review item the hub flagged, without confirming its flags by name."""

    code = "confirmation_required"

    def __init__(self, message_fr: str, message_en: str | None = None,
                 flags: list[str] | None = None) -> None:
        super().__init__(message_fr, message_en)
        self.flags = list(flags or [])

    def to_dict(self) -> dict[str, object]:
        body = super().to_dict()
        body["a_confirmer"] = self.flags
        return body


class ReviewItemNotConsultable(Conflict):
    """A « same » or « different » on a review item the coordination may not see in full."""

    code = "review_item_not_consultable"


class NothingToUnmerge(Conflict):
    """The fiche is not part of this porteur, or is its only fiche."""

    code = "nothing_to_unmerge"


class InvalidAlertRules(ConfigurationError):
    """The unusual-access rules file is unreadable or does not match schemas/audit_alerts.v1.json."""

    code = "invalid_alert_rules"


# --- console accounts (hub/web) ---------------------------------------------------


class InvalidAccount(BadRequest):
    """A console account is described wrongly (login form, role, password too short)."""

    code = "invalid_account"
    answered_by_api = False


class NotASignedHeadSize(BadRequest):
    """A consistency proof asked between tree sizes the hub signed no head at: proofs are
    given between signed heads only (another size's proof held the leaf hash of the entry
    the caller picked, a fingerprint of another member's access)."""

    code = "not_a_signed_head_size"


class SignInFailed(AuthenticationFailed):
    """Wrong login or password at the console (which of the two is never said)."""

    code = "sign_in_failed"
    answered_by_api = False


class SessionRequired(AuthenticationFailed):
    """No valid console session: the person must sign in (again)."""

    code = "session_required"
    answered_by_api = False


class WrongRole(Forbidden):
    """The signed-in person's role does not open this page."""

    code = "wrong_role"
    answered_by_api = False


class CsrfRejected(Forbidden):
    """A console form came without the right anti-forgery token."""

    code = "csrf_rejected"
    answered_by_api = False


class AccountExists(Conflict):
    """A console account already has this login."""

    code = "account_exists"
    answered_by_api = False


class AccountLocked(HubError):
    """Too many failed sign-ins in a row: the account is locked for a while."""

    status = 429
    code = "account_locked"
    answered_by_api = False


class NotReady(HubError):
    """A readiness check failed (GET /readyz): the answer lists every check."""

    status = 503
    code = "not_ready"


class SchedulerStopped(NotReady):
    """No scheduler (beat) beats while one did or workers do (GET /healthz only)."""

    code = "scheduler_stopped"
    public = ("Le planificateur du hub ne tourne plus : les fiches sont reçues, mais ni "
              "diffusées ni signées au journal tant que l'exploitant ne l'a pas relancé ; "
              "réessayez plus tard.",
              "The hub's scheduler no longer runs: fiches are taken in, but neither sent on "
              "nor signed in the log until the operator has restarted it; try again later.")


class RateLimited(HubError):
    """Too many requests from one member or one address: wait `retry_after` seconds."""

    status = 429
    code = "rate_limited"

    def __init__(self, retry_after: int) -> None:
        super().__init__(
            f"Trop de requêtes : réessayez dans {retry_after} s (en-tête Retry-After), "
            "ou espacez les envois.",
            f"Too many requests: retry in {retry_after} s (Retry-After header), or space the calls.",
        )
        self.retry_after = retry_after
        self.headers = {"Retry-After": str(retry_after)}


class TooManyRefusals(HubError):
    """Too many refused authentications from one source in a window: wait `Retry-After`."""

    status = 429
    code = "too_many_refusals"

    def __init__(self, message_fr: str, message_en: str, *, retry_after_s: int) -> None:
        super().__init__(message_fr, message_en)
        self.headers = {"Retry-After": str(retry_after_s)}


class ContentDigestMismatch(BadSignature):
    """Content-Digest missing for a body, malformed, or not the digest of the body received."""

    code = "content_digest_mismatch"


class LegacySignatureRetired(AuthenticationFailed):
    """A request signed with the retired X-Capactif-* scheme after its transition ended."""

    code = "legacy_signature_retired"


# --- the HTTP contract (hub/api): answers FastAPI and Starlette would give outside the envelope


class InvalidParameter(InvalidConsent):
    """A path or query parameter does not match what the operation declares (type, bounds)."""

    status = 422
    code = "invalid_parameter"

    def __init__(self, field_errors: list[dict[str, str]]) -> None:
        super().__init__(
            "Paramètre invalide : corrigez ceux que liste « erreurs » (voir /docs).",
            "Invalid parameter: fix those listed in 'erreurs' (see /docs).",
            field_errors,
        )


class RouteNotFound(NotFound):
    """No operation has this path (see /docs for the contract)."""

    code = "route_not_found"


class MethodNotAllowed(HubError):
    """The path exists but not with this method; the Allow header lists those that do."""

    status = 405
    code = "method_not_allowed"


# --- information notices (POST /v1/notices, capactif notices) ---------------------
# They carry `erreurs` like InvalidConsent (same envelope), hence the subclassing.


class InvalidNotice(InvalidConsent):
    """A notice submission does not follow schemas/notice_submission.v1.json."""

    code = "invalid_notice"


class NoticePurposesMismatch(InvalidConsent):
    """A consent names purposes that the notice it cites does not inform of."""

    code = "notice_purposes_mismatch"


class NoticeConflict(Conflict):
    """The notice text is already registered with another language or other purposes."""

    code = "notice_conflict"


class NoticeNotFound(NotFound):
    """No notice has this version."""

    code = "notice_not_found"


def every_error_class(root: type[HubError] = HubError) -> list[type[HubError]]:
    """`root` and every class under it, depth first (the tree drawn above)."""
    return [root, *(found for subclass in root.__subclasses__()
                    for found in every_error_class(subclass))]
