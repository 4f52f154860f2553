"""A CRM record whose `id` holds a lone surrogate (half of a UTF-16 pair, which JSON may
escape as "\\ud800"): its fiche was sent as CCI-12-, then the checkpoint could not write
its key (TypeError) and every later run sent it again and died the same way."""

import orjson

from capactif_demo.sim import crm_server
from capactif_demo.sim.crm_server import CrmServer
from connectors.checkpoint import Checkpoint
from connectors.mapping import Mapping
from connectors.rejects import RejectsFile, read_rejects
from connectors.rest_source import RestSettings, RestSource
from connectors.runner import Runner
from tests.integration.connectors.test_connector_rest import EXAMPLES

_MARK = "<demi-caractere>"


class _Escaping:
    """orjson for the fake CRM, writing `_MARK` as the JSON escape of a lone surrogate
    (orjson itself refuses to write one)."""

    @staticmethod
    def dumps(payload) -> bytes:
        return orjson.dumps(payload).replace(_MARK.encode(), b"\\ud800")


class _CrmWithAnOddId(CrmServer):
    """Answers one of its contacts (always the same) with that id."""

    def answer(self, path, query, auth):
        status, page = super().answer(path, query, auth)
        odd = next(iter(self.contacts))
        if status == 200:
            page["data"] = [{**c, "id": f"12{_MARK}"} if c["id"] == odd else c
                            for c in page["data"]]
        return status, page


def _run(tmp_path, client, crm):
    mapping = Mapping.load(EXAMPLES / "cci-crm" / "correspondance.json")
    settings = RestSettings(url=crm.url + "/api/contacts", token="jeton-crm", page_size=10)
    return Runner(RestSource(mapping, settings, sleep=lambda s: None), client,
                  Checkpoint(tmp_path / "reprise.json"), RejectsFile(tmp_path / "rejets.jsonl"),
                  batch_size=20).run()


def test_a_lone_surrogate_in_a_crm_record_id_rejects_that_record_before_its_fiche_is_built(
        tmp_path, client, hub, monkeypatch):
    monkeypatch.setattr(crm_server, "orjson", _Escaping)
    with _CrmWithAnOddId(20, token="jeton-crm") as crm:
        first = _run(tmp_path, client, crm)
        again = _run(tmp_path, client, crm)
    assert (first.accepted, first.rejected_local) == (19, 1)
    assert (again.complete, again.accepted, again.rejected_local) == (True, 0, 1)
    assert len(hub.fiches) == 19
    assert not any(fiche_id.endswith("-") for _, fiche_id in hub.fiches)
    assert len(Checkpoint(tmp_path / "reprise.json").load().known) == 19
    [reject] = read_rejects(tmp_path / "rejets.jsonl")
    assert reject["dossier"] is None and reject["fiche_id"] is None
    assert [(e["code"], e["colonne"]) for e in reject["erreurs"]] == [("format", "$.id")]
    assert "U+D800" in reject["erreurs"][0]["message_fr"]
