"""The API's documentation page, `/docs`: the operations of the OpenAPI document listed in
plain HTML, with links to `/openapi.json` for tools. It shares its origin with the
console, whose pages a script there could read with the coordinator's session cookie: so
no Swagger UI or ReDoc (their code, favicon and fonts come from third-party hosts), no
script at all, and a Content-Security-Policy that lets the page load nothing."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from markupsafe import escape

HEADERS = {
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; "
                               "form-action 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}
_METHODS = ("get", "post", "put", "patch", "delete")


def install(app: FastAPI) -> None:
    @app.get("/docs", include_in_schema=False)
    def docs_page() -> HTMLResponse:
        return HTMLResponse(page(app.openapi()), headers=HEADERS)


def page(document: dict[str, Any]) -> str:
    """The operations of `document`, one row each (method, path, summary), escaped."""
    rows = "".join(
        f"<tr><td>{escape(method.upper())}</td><td><code>{escape(path)}</code></td>"
        f"<td>{escape(operation.get('summary', ''))}</td></tr>\n"
        for path, item in document["paths"].items()
        for method, operation in item.items() if method in _METHODS)
    title = escape(f"{document['info']['title']} — API v{document['info']['version']}")
    return (f"<!DOCTYPE html>\n<html lang=\"fr\"><head><meta charset=\"utf-8\">"
            f"<title>{title}</title></head><body><h1>{title}</h1>\n"
            f"<p>{escape(document['info'].get('description', ''))}</p>\n"
            "<p>Le contrat lisible par machine : <a href=\"/openapi.json\">/openapi.json</a> "
            "(OpenAPI 3.1), à ouvrir dans un outil (générateur de client, Swagger UI ou "
            "Redoc installés chez vous). Le protocole : docs/protocol.md.</p>\n"
            "<table><thead><tr><th>Méthode</th><th>Chemin</th><th>Opération</th></tr></thead>"
            f"<tbody>\n{rows}</tbody></table></body></html>\n")
