"""The demo's network: the example network, with webhooks for two members pointing
at receivers the demo runs on 127.0.0.1."""

from __future__ import annotations

import json
from pathlib import Path

NETWORK_FILE = Path(__file__).resolve().parents[1] / "examples" / "network.json"


def demo_network(folder: Path, webhooks: dict[str, str]) -> Path:
    document = json.loads(NETWORK_FILE.read_text(encoding="utf-8"))
    for member in document["membres"]:
        if member["id"] in webhooks:
            member["webhook"] = webhooks[member["id"]]
    path = folder / "network.json"
    path.write_text(json.dumps(document, ensure_ascii=False, indent=2), encoding="utf-8")
    return path
