"""Pydantic models of the requests and answers that have no JSON Schema in `schemas/`.

They document the contract in the OpenAPI document (`responses=` / request bodies); the
services build the answers. Documents that `schemas/*.json` define (fiche, consent,
subscription) are referenced, never copied: `SchemaRef("Fiche")`.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, RootModel, WithJsonSchema

from hub.domain.fiches import MAX_WITHDRAWALS
from hub.domain.ids import MAX_INT64

Id64 = Annotated[int, Field(ge=0, le=MAX_INT64)]


COMPONENT = "x-composant"


def schema_ref(name: str) -> Any:
    """A field typed by a component built from `schemas/*.json`: a marker that
    hub.api.openapi turns into a `$ref` (pydantic resolves `$ref`s only to its own models)."""
    return WithJsonSchema({COMPONENT: name})


FicheDocument = Annotated[dict[str, Any], schema_ref("Fiche")]
NoticeDocument = Annotated[dict[str, Any], schema_ref("Notice")]
ConsentRecordDocument = Annotated[dict[str, Any], schema_ref("EnregistrementConsentement")]


class _Open(BaseModel):
    """An answer object: the fields listed are always there; more may be added (v1 grows
    by adding fields only)."""

    model_config = ConfigDict(extra="allow")


class FieldError(_Open):
    path: str
    code: str
    message_fr: str
    message_en: str


class ErrorDetail(_Open):
    code: str = Field(description="Code machine stable (hub/errors.py).")
    message_fr: str
    message_en: str
    erreurs: list[FieldError] | None = Field(
        None, description="Chaque champ ou paramètre refusé et la règle enfreinte (400 invalid_consent, "
                          "invalid_notice ; 422 invalid_parameter) ; jamais la valeur envoyée.")


class ErrorEnvelope(_Open):
    error: ErrorDetail


class HubKey(_Open):
    key_id: str
    algorithme: Literal["ed25519"]
    cle_publique: str = Field(description="32 octets bruts en base64url sans remplissage.")
    whpk: str = Field(description="La même clé au format Standard Webhooks : whpk_ + base64.")
    etat: Literal["active", "annoncee", "retiree"] = Field(
        description="active : signe aujourd'hui ; annoncee : signera après la rotation "
        "(les webhooks portent déjà sa signature) ; retiree : ne signe plus, vérifie le passé.")
    depuis: str = Field(description="Début de l'état (ISO 8601, UTC).")
    jusqu_a: str | None = Field(description="Fin d'usage d'une clé retirée (ISO 8601, UTC).")


class HubKeys(_Open):
    cles: list[HubKey]


class Alive(_Open):
    statut: Literal["vivant"]


class ReadinessCheck(_Open):
    ok: bool
    detail: str | None = Field(None, description="Ce qui manque (jamais un secret).")


class Readiness(_Open):
    statut: Literal["pret", "indisponible"]
    verifications: dict[str, ReadinessCheck] = Field(
        description="base, courtier, cles, politique, repertoire_donnees (mode embarqué).")


class Health(_Open):
    status: Literal["ok"]


class SchemaList(_Open):
    schemas: list[str]


class Receipt(_Open):
    receipt_id: str
    membre: str
    fiche_id: str
    version: int
    content_hash: str
    received_at: str


class PushResult(_Open):
    index: int
    status: Literal["accepted", "rejected"]
    fiche_id: str | None = None
    version: int | None = None
    duplicate: bool | None = None
    receipt: Receipt | None = None
    errors: list[FieldError] | None = None


class PushAnswer(_Open):
    accepted: int
    rejected: int
    results: list[PushResult]


class FicheRead(_Open):
    membre: str
    fiche_id: str
    version: int
    porteur_id: str | None
    processed: bool
    fiche: FicheDocument


class ReferentAnswer(BaseModel):
    """A member's answer to a referent proposal of the coordination."""

    model_config = ConfigDict(extra="forbid")
    reponse: Literal["acceptee", "refusee"]
    note: str | None = Field(None, max_length=1000)  # meeting_actions.MAX_NOTE


class ReferentAnswered(_Open):
    proposition: str = Field(description="L'identifiant de la proposition (prp_…)")
    porteur_id: str
    reponse: Literal["acceptee", "refusee"]


_REFERENCE = "Référence de la demande ; stockée hachée."


class ErasureByFiche(BaseModel):
    """A member's erasure: the porteur named by one of the caller's fiches."""

    model_config = ConfigDict(extra="forbid")
    fiche_id: str
    reference: str | None = Field(None, min_length=1, max_length=200, description=_REFERENCE)


class ErasureByPorteur(BaseModel):
    """The coordination's erasure of every member's fiches of a porteur."""

    model_config = ConfigDict(extra="forbid")
    porteur_id: str
    reference: str | None = Field(None, min_length=1, max_length=200, description=_REFERENCE)


def _one_of(schema: dict[str, Any]) -> None:
    schema["oneOf"] = schema.pop("anyOf")  # no body is both: fiche_id or porteur_id


class ErasureRequest(RootModel[ErasureByFiche | ErasureByPorteur]):
    """Exactly one of `fiche_id` (one of the caller's fiches) or `porteur_id`
    (coordination only)."""

    model_config = ConfigDict(json_schema_extra=_one_of)


# The keys an erasure body may hold (the route reads the raw body itself).
ERASURE_KEYS = frozenset(ErasureByFiche.model_fields) | frozenset(ErasureByPorteur.model_fields)


class ErasureRequestStatus(_Open):
    """Another owner asked about its own fiches of the porteur, shown only when the reader
    may know that member holds one (docs/protocol.md, "Need-to-know")."""

    membre: str
    statut: Literal["pending", "overdue", "confirmed", "declined", "left"] = Field(
        description="`left`: the owner left the network before answering (or was out of it "
                    "when asked, and never sent the request); the coordination confirms "
                    "for it in the console, or it is followed up outside the hub.")
    motif: Literal["obligation_legale", "mission_interet_public", "archives_statistiques",
                   "droits_en_justice", "autre"] | None = Field(
        None, description="Motif du refus (RGPD art. 17.3), si refusée.")
    precision: str | None = None


class ErasureDone(_Open):
    effacement: str
    portee: Literal["porteur", "fiche"]
    porteur_id: str | None
    fiches_effacees: int
    livraisons_annulees: int
    avis_envoyes: list[str]
    demandes: list[ErasureRequestStatus]
    termine: bool
    reste: dict[str, str] | None


# The form of a fiche's id and of a consent's reference (schemas/fiche.v1.json,
# schemas/consent.v1.json): any other text names nothing, and would only be repeated back
# (a name, a line break).
_MemberKey = Annotated[str, Field(min_length=1, max_length=64,
                                  pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$")]


class FicheWithdrawals(BaseModel):
    """The caller's own fiches to remove from the network at once (its `fiche_id`s)."""

    model_config = ConfigDict(extra="forbid")
    fiche_ids: list[_MemberKey] = Field(min_length=1, max_length=MAX_WITHDRAWALS)


class WithdrawalLine(_Open):
    fiche_id: str
    statut: Literal["effacee", "refusee"]
    error: ErrorDetail | None = None


class WithdrawalsDone(_Open):
    effacement: str | None
    effacees: int
    refusees: int
    resultats: list[WithdrawalLine]
    livraisons_annulees: int
    avis_envoyes: list[str]
    termine: bool
    reste: dict[str, str] | None


ErasureMotif = Literal["obligation_legale", "mission_interet_public", "archives_statistiques",
                      "droits_en_justice", "autre"]


class ErasureAnswer(BaseModel):
    """An owner's answer to another member's erasure request about its own fiches."""

    model_config = ConfigDict(extra="forbid")
    reponse: Literal["confirmee", "refusee"]
    motif: ErasureMotif | None = Field(
        None, description="Obligatoire pour un refus (RGPD art. 17.3).")
    precision: str | None = Field(None, max_length=500, description=(
        "Précision du motif, montrée au membre demandeur s'il peut vous connaître et à la "
        "coordination ; obligatoire pour « autre » ; sans donnée personnelle."))


class ErasureAnswered(_Open):
    effacement: str
    membre: str
    statut: Literal["confirmed", "declined"]
    fiches_effacees: int | None = None
    effacement_des_fiches: str | None = Field(None, description=(
        "L'effacement de vos fiches (suivez ses accusés de réception comme les vôtres)."))
    termine: bool | None = Field(None, description=(
        "Confirmée : faux si les anciennes clés de chiffrement restent à détruire (voir "
        "`reste`), comme pour un effacement."))
    reste: dict[str, str] | None = None
    motif: ErasureMotif | None = Field(None, description="Le motif d'un refus.")


class NoticeStatus(_Open):
    membre: str
    statut: Literal["pending", "acknowledged", "overdue", "left"]


class ErasureRead(_Open):
    effacement: str
    portee: Literal["porteur", "fiche"]
    porteur_id: str | None
    demande_par: str | None = Field(None, description=(
        "Le membre demandeur : absent pour un membre avisé ou sollicité qui ne peut pas le "
        "connaître (docs/protocol.md, « Need-to-know »)."))
    demande_le: str
    fiches_effacees: int | None = Field(None, description=(
        "Pour le demandeur, son DPO et le DPO du réseau ; absent pour un membre avisé ou "
        "sollicité."))
    avis: list[NoticeStatus]
    demandes: list[ErasureRequestStatus]


class ErasureAck(NoticeStatus):
    effacement: str


class ConsentAck(NoticeStatus):
    consentement: str


class ConsentAcks(_Open):
    accuses: list[NoticeStatus]


class PorteurConsents(_Open):
    consentements: list[ConsentRecordDocument]


class ConsentLookup(BaseModel):
    """The caller's own consent references to look up (its `consentement.reference`s)."""

    model_config = ConfigDict(extra="forbid")
    references: list[_MemberKey] = Field(min_length=1, max_length=1000)


class ConsentLookupLine(_Open):
    reference: str
    connue: bool = Field(description="Un consentement que l'appelant a enregistré porte cette "
                                     "référence (la référence d'un autre membre : false).")
    utilisable: bool = Field(description="Une fiche qui la cite passerait le contrôle du "
                                         "consentement à l'envoi, maintenant.")
    code: str = Field(description="unknown_consent_reference, consent_covers, "
                                  "consent_withdrawn, consent_expired, purpose_not_covered.")
    consentement: str | None = Field(None, description="Identifiant du consentement (connue).")
    fiche_id: str | None = Field(None, description="La fiche de l'appelant qu'il couvre (connue).")


class ConsentLookupAnswer(_Open):
    references: list[ConsentLookupLine]


class ReceiptSignature(_Open):
    alg: str
    kid: str
    valeur: str


class ConsentReceipt(_Open):
    version: str
    recu_id: str
    emis_le: str
    consentement_id: str
    signature: ReceiptSignature


class Delivery(_Open):
    """One delivery, projected to the fields the caller may see (docs/protocol.md)."""

    position: int
    delivery_id: str
    evenement: str


class OwnFiche(_Open):
    """One of the caller's own fiches linked to the porteur (`fiche` is empty once erased)."""

    membre: str
    fiche_id: str
    version: int
    efface: bool
    fiche: dict[str, Any]


class PorteurView(_Open):
    """A porteur as the caller may see it: its own fiches, and what was delivered to it."""

    porteur_id: str
    fiches: list[OwnFiche]
    livraisons: list[Delivery]
    livraisons_tronquees: bool


class Notices(_Open):
    notices: list[NoticeDocument]
    next_after: int
    has_more: bool


class FeedPage(_Open):
    deliveries: list[Delivery]
    next_cursor: int
    has_more: bool
    cursor_ahead: bool = Field(description=(
        "`after` était au-delà de votre dernière position (base restaurée) : "
        "`next_cursor` est votre dernière position réelle ; reprenez de là."))


class DeadLetter(_Open):
    id: int = Field(description="Sa position dans la file du destinataire (comme dans son flux).")
    delivery_id: str = Field(description="L'identifiant de la livraison (webhook-id).")
    destinataire: str
    evenement: str
    porteur_id: str | None
    tentatives: int
    erreur: str | None
    cree_le: str


class DeadLetters(_Open):
    total: int = Field(description="Livraisons en lettre morte en tout (pour l'appelant).")
    livraisons: list[DeadLetter]
    suivant: int | None = Field(description="Le `after` de la page suivante ; null : fin.")
    par_membre: dict[str, int] | None = Field(None, description=(
        "Pour l'animation du réseau : le nombre de livraisons en échec de chaque membre."))


class Replayed(_Open):
    rejouees: int
    remplacees: int  # not replayed: a later version of their fiche was sent or is pending
    effacees: int  # not replayed: their data was erased since (nothing left to send)


class Subscriptions(BaseModel):
    abonnements: list[Annotated[dict[str, Any], schema_ref("Abonnement")]]


class AuditEvents(_Open):
    evenements: list[dict[str, Any]]


class Recipients(_Open):
    destinataires: list[dict[str, Any]]


class Alerts(_Open):
    alertes: list[dict[str, Any]]


class TreeHead(_Open):
    tete: dict[str, Any] | None


class InclusionProof(_Open):
    seq: int
    taille: int | None
    preuve: list[str]


class ConsistencyProof(_Open):
    premiere: int
    seconde: int | None
    preuve: list[str]


class ReviewSide(_Open):
    porteur_id: str | None
    fiche: dict[str, Any]
    champs: list[str]


class ReviewItem(_Open):
    id: int
    statut: str
    ouvert_le: str | None  # None: the new side is not consultable (when its member pushed)
    probabilite: float | None  # None: the explanation is not told whole
    cotes: list[ReviewSide]
    explication: dict[str, Any]
    # One more each time a new version of a side is scored again; None: a side is not
    # consultable (its versions are not told). A decision names it (`Decision.revision`).
    revision: int | None


class ReviewItems(_Open):
    items: list[ReviewItem]
    next_after: int | None
    has_more: bool


class Decision(BaseModel):
    model_config = ConfigDict(extra="forbid")
    decision: Literal["same", "different", "unknown"]
    # The item's flags a « same » confirms by name (`identite_seule_a_verifier`,
    # `autre_domicile_a_verifier`): without them, 409 confirmation_required.
    confirme: list[Literal["identite_seule_a_verifier", "autre_domicile_a_verifier"]] = []
    # The item's `revision` as read: scored again since (a new version of a side), 409
    # review_item_changed and nothing changes. Required with same and different.
    revision: int | None = Field(None, ge=1, le=MAX_INT64, description=(
        "La « revision » du doublon lue (GET /v1/duplicates/{id}). Obligatoire avec same et "
        "different (422 revision_required sans elle) ; unknown peut s'en passer (le doublon "
        "est alors mis de côté tel qu'il est à l'arrivée de la décision). Le doublon comparé "
        "de nouveau depuis : 409 review_item_changed, rien n'est changé."))


class MergeChange(_Open):
    evenement: int
    porteur_id: str
    autre_porteur_id: str | None
    fiches: list[dict[str, str]]
    membres_avertis: list[str]
    fiche_seule: bool = False


class DecisionDone(_Open):
    id: int
    decision: Literal["same", "different", "unknown"]
    porteur_id: str | None
    fusion: MergeChange | None
    fiche_seule: bool = False


class Unmerge(BaseModel):
    """Both fields are required: one missing (or not a text) is 400 `malformed_body`
    naming it, never 409 `nothing_to_unmerge`."""

    model_config = ConfigDict(extra="forbid")
    membre: str = Field(min_length=1, description="Le membre propriétaire de la fiche à séparer.")
    fiche_id: str = Field(min_length=1, description="La fiche à séparer du porteur.")


class MergeHistory(_Open):
    historique: list[dict[str, Any]]
