"""French labels of the codes the pages show (stages, steps, actions, roles)."""

from __future__ import annotations

STAGES = {"idee": "Idée", "emergence": "Émergence", "montage": "Montage",
          "financement": "Financement", "installe": "Installé", "post_creation": "Post-création",
          "abandonne": "Abandonné"}
STEPS = {"accueil": "Premier accueil", "diagnostic": "Diagnostic", "orientation": "Orientation",
         "accompagnement": "Accompagnement", "formation": "Formation",
         "financement": "Financement", "installation": "Installation",
         "suivi_post_creation": "Suivi post-création"}
ACTIONS = {"api_read": "lecture API", "porteur_view": "consultation d'un porteur",
           "feed_pull": "lecture du flux", "webhook_delivery": "livraison webhook",
           "webhook_attempt": "tentative de livraison webhook",
           "export": "export", "search": "recherche", "console_view": "page de la console",
           "merge": "fusion", "unmerge": "séparation", "consent_change": "consentement",
           "erasure": "effacement", "login": "connexion", "audit_view": "consultation du journal",
           "audit_export": "export du journal", "fiche_push": "envoi de fiches",
           "review_decision": "décision sur un doublon", "audit_archive": "archivage du journal",
           "audit_alert": "alerte d'accès inhabituel", "account_create": "création de compte",
           "account_role": "changement de rôle d'un compte",
           "account_password": "nouveau mot de passe d'un compte",
           "account_disable": "désactivation de compte", "account_enable": "réactivation de compte",
           "account_unlock": "déblocage de compte",
           "referent_proposal": "proposition d'une structure référente",
           "referent_answer": "réponse à une proposition de référent",
           "meeting_parrain": "parrain noté par la coordination",
           "meeting_a_voir": "point à voir en réunion",
           "meeting_item_seen": "point vu en réunion",
           "review_reopen": "doublon repris",
           "audit_alert_ack": "alerte prise en compte par le DPO",
           "member_leave": "sortie d'un membre du réseau",
           "member_readmit": "réadmission d'un membre au réseau",
           "erasure_request": "demande d'effacement transmise aux autres membres",
           "erasure_request_confirm": "effacement confirmé pour une demande",
           "erasure_request_decline": "effacement refusé pour une demande",
           "erasure_request_received": "demande d'effacement reçue d'un autre membre"}
ALERTS = {"volume_porteurs": "Volume inhabituel de porteurs",
          "volume_console": "Volume inhabituel dans la console", "hors_horaires": "Hors des heures ouvrées",
          "exports_massifs": "Exports en nombre",
          "authentification_refusee": "Authentifications refusées"}
OUTCOMES = {"allowed": "autorisé", "denied": "refusé", "error": "erreur"}
ROLES = {"coordinator": "Coordination", "dpo": "DPO", "admin": "Administration"}
CONSENT_STATUSES = {"active": "actif", "withdrawn": "retiré", "expired": "expiré"}
ACK_STATUSES = {"pending": "en attente", "acknowledged": "accusé", "overdue": "en retard",
                "left": "sorti du réseau (à suivre hors du hub)"}
PURPOSES = {"orientation": "orientation", "accompagnement": "accompagnement",
            "financement": "financement", "statistiques": "statistiques"}
MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
          "octobre", "novembre", "décembre")

# A fiche's field paths (porteur.adresse.code_postal) as a person reads them, part by part:
# the access report is written for the porteur who asked who saw their data.
FIELD_PARTS = {
    "porteur": "personne", "projet": "projet", "accompagnement[]": "accompagnement",
    "financement": "financement", "consentement": "consentement", "nom": "nom",
    "prenom": "prénom", "nom_naissance": "nom de naissance",
    "date_naissance": "date de naissance", "courriel": "adresse e-mail",
    "telephone": "téléphone", "situation": "situation", "adresse": "adresse",
    "ligne": "rue", "code_postal": "code postal", "commune": "commune",
    "code_insee": "code commune", "intitule": "intitulé", "description": "description",
    "type": "type", "stade": "étape", "code_naf": "code NAF", "siret": "SIRET",
    "besoins": "besoins", "commune_implantation": "commune d'implantation", "date": "date",
    "structure": "structure", "referent": "référent", "parrain": "parrain", "notes": "notes",
    "apport": "apport personnel", "besoin_total": "besoin total",
    "pret_honneur": "prêt d'honneur", "reference": "référence",
    "fiche_id": "numéro de la fiche", "membre": "structure qui tient la fiche",
    "version": "version de la fiche", "mis_a_jour_le": "date de mise à jour"}


def field_label(path: str) -> str:
    """« Personne — adresse — code postal » for porteur.adresse.code_postal (a part the
    table does not know is shown as it is)."""
    words = " — ".join(FIELD_PARTS.get(part, part) for part in path.split("."))
    return words[:1].upper() + words[1:]
