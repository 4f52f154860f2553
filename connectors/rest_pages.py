"""What the REST source's paging kinds share: the pages a listing read, the API's origin
(links are followed only on it), where APIs name their next page in the body, and the
errors that say which setting to change."""

from __future__ import annotations

import hashlib
import json
from typing import Any
from urllib.parse import urlsplit

from connectors.errors import ConfigurationError, SourceError
from connectors.mapping import MappingProblem, dig, path_parts


class PagesRead:
    """The pages read, by the cursor or URL that asked for them (a digest of each)."""

    def __init__(self) -> None:
        self._pages: dict[str, set[str]] = {}

    def read(self, asked: str) -> bool:
        return asked in self._pages

    def again(self, asked: str, items: list[Any]) -> bool:
        """True when `asked` answered these items before; else remembers them."""
        digest = hashlib.sha256(json.dumps(items, sort_keys=True, default=str)
                                .encode()).hexdigest()
        answered = self._pages.setdefault(asked, set())
        if digest in answered:
            return True
        answered.add(digest)
        return False


_DEFAULT_PORTS = {"http": 80, "https": 443}


def origin(url: str) -> tuple[str, str, int | None]:
    """Scheme, lower-cased host and effective port: `https://A.fr:443` is `https://a.fr`."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    return scheme, (parts.hostname or ""), parts.port or _DEFAULT_PORTS.get(scheme)


NOT_AN_OBJECT = MappingProblem(
    "$", "element_non_objet",
    "Élément de la liste qui n'est pas un objet JSON (null, texte ou nombre au lieu d'un "
    "contact) : corrigez l'export de l'API ou l'élément à cette position.",
    "List item that is not a JSON object (null, a text or a number instead of a contact): "
    "fix the API's export or the item at this position.")


# where APIs name their next page in the body: Django REST framework, Laravel, Salesforce,
# JSON:API, HAL, Facebook's Graph API
_BODY_NEXT_PATHS = ("$.next", "$.next_page_url", "$.nextRecordsUrl", "$.links.next",
                    "$._links.next.href", "$.paging.next")


def body_next_path(answer: Any) -> str | None:
    """The first of `_BODY_NEXT_PATHS` holding a URL in `answer`, if any."""
    for path in _BODY_NEXT_PATHS:
        value = dig(answer, path_parts(path))
        if isinstance(value, str) and value:
            return path
    return None


def link_in_body(path: str) -> ConfigurationError:
    return ConfigurationError(
        f"L'API nomme sa page suivante dans sa réponse (« {path} ») et non dans l'en-tête "
        f"« Link » : indiquez \"chemin_lien\": \"{path}\" dans la configuration (sans "
        "quoi seule la première page serait lue).",
        f"The API names its next page in its answer ('{path}'), not in a Link header: set "
        f"\"chemin_lien\": \"{path}\" (else only the first page would be read).")


def cursor_missing(path: str) -> ConfigurationError:
    return ConfigurationError(
        f"La première page est pleine mais sa réponse n'a pas de curseur en « {path} » "
        "(« chemin_curseur ») : seule la première page serait lue. Indiquez dans "
        "\"chemin_curseur\" où l'API donne le curseur de la page suivante.",
        f"The first page is full but its answer holds no cursor at '{path}' "
        "('chemin_curseur'): only the first page would be read. Set \"chemin_curseur\" to "
        "where the API gives the next page's cursor.")


def not_offset(param: str) -> SourceError:
    return SourceError(
        f"L'API répond la même page quel que soit le décalage (« {param} ») : elle ne pagine "
        "pas par décalage sous ce nom. Indiquez le nom de son paramètre dans "
        "\"parametre_decalage\", ou \"pagination\": \"page\", \"curseur\" ou \"lien\".",
        f"The API answers the same page whatever the offset ('{param}'): set its parameter "
        "name in \"parametre_decalage\", or another \"pagination\".")


def one_item_a_request() -> SourceError:
    return SourceError(
        "L'API ne répond qu'un seul contact par requête, quelle que soit la limite demandée : "
        "la pagination par décalage ne peut pas y vérifier qu'aucun contact n'a glissé d'une "
        "page à l'autre. Indiquez \"pagination\": \"page\", \"curseur\" ou \"lien\" si "
        "l'API le permet.",
        "The API answers one contact a request whatever the limit asked: offset paging "
        "cannot check that no contact slid between pages. Set another \"pagination\".")


def not_numbered() -> SourceError:
    return SourceError(
        "L'API répond la même page quel que soit le numéro de page : elle ne pagine pas "
        "par numéro. Indiquez \"pagination\": \"curseur\" ou \"lien\" dans la configuration.",
        "The API answers the same page whatever the page number: it does not page by "
        "number. Set \"pagination\": \"curseur\" or \"lien\".")


def bad_answer() -> SourceError:
    return SourceError("Réponse du système source illisible (liste JSON attendue).",
                       "Unreadable source answer (JSON list expected).")
