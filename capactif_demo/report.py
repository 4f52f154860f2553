"""What the demo prints."""

from __future__ import annotations

from typing import Any


def say(line: str) -> None:
    print(line, flush=True)


def pushed(outcome: dict[str, Any]) -> None:
    rejected_total = sum(outcome["rejected"].values())
    say(f"Consentements : {outcome['consents']} enregistrés par les membres (POST /v1/consents)")
    say(f"Envoi : {outcome['pushed'] + 1} fiches de {outcome['members']} membres en "
        f"{outcome['batches']} lots signés")
    say(f"  acceptées : {outcome['accepted']}    rejetées : {rejected_total}")
    for (path, code, message), count in sorted(outcome["rejected"].items()):
        say(f"    {count:>3} × {path} [{code}] {message}")


def processed(status: dict[str, int], elapsed: float) -> None:
    say(f"Traitement : {status.get('processed', 0)} fiches traitées par le worker, "
        f"{status.get('porteurs', 0)} porteurs, {status.get('outbox_pending', '?')} en attente "
        f"({elapsed:.1f} s depuis le début de l'envoi)")


def duplicates(found: dict[str, Any]) -> None:
    say(f"Doublons entre membres : {found['auto']} fiches rattachées automatiquement à un "
        f"porteur existant, {found['review']} en attente de revue par la coordination")
    item = found["first"]
    if item:
        sides = " / ".join(f"{side.get('membre')} {side.get('fiche_id')}" for side in item["cotes"])
        say(f"  revue n° {item['id']} ({sides}) :")
        for line in item["explication"]["lignes"]:
            say(f"    {line}")


def showcase(shown: dict[str, Any], down_member: str) -> None:
    say(f"Une même fiche ({shown['fiche_id']}), trois membres, trois rôles, trois vues :")
    for member, document in shown["views"].items():
        if not document:
            say(f"  {member:<28} RIEN REÇU")
            continue
        fiche = document["fiche"]
        say(f"  {member:<28} finalité {document['finalite']:<15} {len(document['champs']):>2} champs ; "
            f"financement : {sorted(fiche.get('financement', {})) or 'aucun'}")
    counts = ", ".join(f"{m} : {n}" for m, n in shown["webhooks"].items())
    say(f"Webhooks reçus et vérifiés (signature Ed25519 du hub) : {counts} ; {down_member} était "
        "en panne au départ, rien n'a été perdu.")


def withdrawal(result: dict[str, Any]) -> None:
    say(f"Retrait du consentement {result['consent_id']} : statut {result['statut']}, avis de "
        f"retrait envoyés à {len(result['notified'])} membres ({', '.join(result['notified'])})")
    statuses = ", ".join(f"{a['membre']} : {a['statut']}" for a in result["acks"])
    say(f"  accusés de réception : {statuses}")


def erasure(result: dict[str, Any]) -> None:
    say(f"Effacement (RGPD art. 17) {result['erasure_id']} : {result['fiches']} fiche(s), clés de "
        f"chiffrement détruites ; relire la fiche répond {result['read_after']} ; avis "
        f"d'effacement envoyés à {len(result['notified'])} membres")
    statuses = ", ".join(f"{a['membre']} : {a['statut']}" for a in result["acks"])
    say(f"  accusés de réception : {statuses}")


def audit(result: dict[str, Any]) -> None:
    verdict = "vérifié" if result["verified"] else "ÉCHEC DE LA VÉRIFICATION"
    say(f"Journal d'accès : {result['lines']} lignes exportées dans {result['export']} ; "
        f"capactif audit verify (clé publique du hub seule) : {verdict}")
    for line in result["verifier"]:
        say(f"  {line}")
    say(f"Rapport d'accès (RGPD art. 15) du porteur {result['report']['porteur_id']} :")
    for row in result["report"]["destinataires"]:
        purposes = ", ".join(row["finalites"]) or "aucune (avis seulement)"
        say(f"  {row['nom']} ({row['membre']}) : {len(row['champs'])} champs, finalités "
            f"{purposes}, {row['acces']} accès")


def connectors(result: dict[str, Any]) -> None:
    say("Connecteurs (les membres gardent leur outil) :")
    for member, (first, second) in result["runs"].items():
        say(f"  {member:<18} 1er passage : {first.read} lus, {first.accepted} acceptés, "
            f"{first.rejected_local} rejetés localement, {first.rejected_hub} rejetés par le hub ; "
            f"2e passage : {second.sent} envoyés ({second.unchanged} inchangés, "
            f"{len(second.withdrawals)} supprimés à la source donc retirés du hub)")
    say(f"  lignes rejetées à corriger dans le tableur : {result['rejected_lines']} "
        f"({result['rejects']})")


def console(result: dict[str, Any]) -> None:
    say("Console des coordinateurs et des DPO sur les données de la démo :")
    say(f"  {result['command']}")
    logins = ", ".join(f"{login} / {password}" for login, password in result["passwords"].items())
    say(f"  puis ouvrez {result['url']} (comptes de démonstration, mots de passe affichés "
        f"une seule fois : {logins})")
    say(f"  doublons à trancher (compte coordination) : {result['url']}coordination/doublons")
