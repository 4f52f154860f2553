"""The blocking index keeps each fiche's normalised record in compact form, sealed with
the fiche's data key as its identity is: written when the fiche is indexed, read back
(not normalised again) when it is a candidate, written again by `capactif init` when the
normalisation changed, and gone with the fiche at its erasure."""

from __future__ import annotations

import json

import orjson
import pytest
import sqlalchemy as sa
from alembic import command

from hub.domain.matching.record import normalise_record
from hub.domain.matching.record_form import FORM_VERSION, read_form, record_form
from hub.services.matching.online import identity_of
from hub.services.matching.reindex import FORMS_MARKER, reindex_forms
from hub.services.ops.admin import initialise
from hub.services.privacy import erasure
from hub.store.erasure_tables import store_markers
from hub.store.matching_tables import match_records
from hub.store.migrate import alembic_config
from hub.store.sealing import record_form_context
from hub.store.tables import fiches
from tests.factories import other_porteur
from tests.integration.world import OWNER, fiche, push_and_process

pytestmark = pytest.mark.integration


def _pk(hub, fiche_id: str) -> int:
    with hub.engine.connect() as conn:
        return conn.execute(sa.select(fiches.c.id).where(fiches.c.fiche_id == fiche_id)
                            ).scalar_one()


def _porteur_of(hub, fiche_id: str) -> str:
    with hub.engine.connect() as conn:
        return conn.execute(sa.select(fiches.c.porteur_id).where(
            fiches.c.fiche_id == fiche_id)).scalar_one()


def _stored_form(hub, pk: int) -> str | None:
    with hub.engine.connect() as conn:
        return conn.execute(sa.select(match_records.c.record_form).where(
            match_records.c.fiche_pk == pk)).scalar_one_or_none()


def _opened_form(hub, pk: int) -> str | None:
    sealed = _stored_form(hub, pk)
    with hub.uow() as uow:
        return None if sealed is None else uow.keys.open(pk, record_form_context(pk), sealed)


def _set_form(hub, pk: int, clear: str | None) -> None:
    """Replace a fiche's stored form (sealed with its key, as the index seals it)."""
    with hub.uow() as uow:
        sealed = None if clear is None else uow.keys.seal(pk, record_form_context(pk), clear)
        uow.connection.execute(sa.update(match_records).where(
            match_records.c.fiche_pk == pk).values(record_form=sealed))
        uow.commit()


def _sharing_a_phone() -> dict:
    """Another person (name, first name, birth date, e-mail, address) with F-1's phone:
    a candidate of F-1 under the phone key, and never linked to it."""
    document = fiche("F-2")
    document["porteur"] = {**other_porteur(1), "telephone": fiche()["porteur"]["telephone"]}
    return document


def test_an_indexed_fiche_has_its_record_form_sealed_with_its_key(network):
    hub = network[0]
    push_and_process(hub, fiche("F-1"))
    pk = _pk(hub, "F-1")

    sealed = _stored_form(hub, pk)
    clear = _opened_form(hub, pk)

    assert sealed is not None and sealed.startswith("v1.")
    surname = normalise_record(identity_of(fiche()["porteur"])).nom or ""
    assert surname and surname not in sealed.upper()
    assert clear is not None and surname in clear
    assert read_form(clear) == normalise_record(identity_of(fiche()["porteur"]))


def test_a_candidate_is_compared_in_its_stored_form_not_normalised_again(network):
    """F-1's form is replaced by the record of F-2's person: F-2 then links to F-1's
    porteur, which only a matcher reading the form can do (F-1's identity says another
    person)."""
    hub = network[0]
    push_and_process(hub, fiche("F-1"))
    other = _sharing_a_phone()
    _set_form(hub, _pk(hub, "F-1"), record_form(normalise_record(identity_of(other["porteur"]))))

    push_and_process(hub, other)

    assert _porteur_of(hub, "F-2") == _porteur_of(hub, "F-1")


def test_without_the_forged_form_the_two_people_stay_apart(network):
    """The same two fiches, F-1's form left as written: another porteur (what the test
    above changes by the form alone)."""
    hub = network[0]
    push_and_process(hub, fiche("F-1"))
    push_and_process(hub, _sharing_a_phone())
    assert _porteur_of(hub, "F-2") != _porteur_of(hub, "F-1")


def test_a_form_of_another_normalisation_is_never_compared(network):
    """A form written by another normalisation version (here: F-2's person) is left
    aside: the candidate is normalised from its identity, so F-2 stays apart."""
    hub = network[0]
    push_and_process(hub, fiche("F-1"))
    other = _sharing_a_phone()
    values = json.loads(record_form(normalise_record(identity_of(other["porteur"]))))
    _set_form(hub, _pk(hub, "F-1"), json.dumps([FORM_VERSION - 1, *values[1:]]))

    push_and_process(hub, other)

    assert _porteur_of(hub, "F-2") != _porteur_of(hub, "F-1")


def test_a_fiche_indexed_before_forms_existed_is_matched_on_its_identity(network):
    """No form (a row written before migration 0024): the candidate is normalised from
    its identity, and the same person's new fiche links to it."""
    hub = network[0]
    push_and_process(hub, fiche("F-1"))
    _set_form(hub, _pk(hub, "F-1"), None)

    push_and_process(hub, fiche("F-2"))

    assert _porteur_of(hub, "F-2") == _porteur_of(hub, "F-1")


def test_init_writes_the_forms_missing_or_of_another_version_once(network):
    hub = network[0]
    push_and_process(hub, fiche("F-1"), fiche("F-2", porteur=other_porteur(2)))
    first, second = _pk(hub, "F-1"), _pk(hub, "F-2")
    _set_form(hub, first, None)  # indexed before forms existed
    _set_form(hub, second, orjson.dumps([FORM_VERSION - 1, "STALE"]).decode())

    done = initialise(hub.settings)

    assert done["formes_reecrites"] == 2
    assert read_form(_opened_form(hub, first) or "") == normalise_record(
        identity_of(fiche()["porteur"]))
    assert read_form(_opened_form(hub, second) or "") == normalise_record(
        identity_of(other_porteur(2)))
    assert initialise(hub.settings)["formes_reecrites"] == 0  # the store says: done


def test_an_interrupted_rewrite_of_the_forms_resumes_where_it_stopped(network):
    hub = network[0]
    push_and_process(hub, fiche("F-1"), fiche("F-2", porteur=other_porteur(2)))
    for fiche_id in ("F-1", "F-2"):
        _set_form(hub, _pk(hub, fiche_id), None)

    assert reindex_forms(hub, chunk=1, max_chunks=1) == 1
    with hub.engine.connect() as conn:
        assert conn.execute(sa.select(store_markers.c.value).where(
            store_markers.c.name == FORMS_MARKER)).scalar_one_or_none() is None
    assert _stored_form(hub, _pk(hub, "F-1")) is not None
    assert _stored_form(hub, _pk(hub, "F-2")) is None
    assert reindex_forms(hub, chunk=1) == 1  # the second fiche only
    assert _stored_form(hub, _pk(hub, "F-2")) is not None


def test_erasure_removes_the_form_and_makes_a_copy_of_it_unreadable(network):
    hub = network[0]
    push_and_process(hub, fiche("F-1"))
    pk = _pk(hub, "F-1")
    copy = _stored_form(hub, pk)  # e.g. in a backup
    assert copy is not None

    erasure.request_erasure(hub, OWNER, {"fiche_id": "F-1"})

    with hub.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(match_records)
                            ).scalar_one() == 0
    with hub.uow() as uow:
        assert uow.keys.open(pk, record_form_context(pk), copy) is None


def test_forms_dropped_by_a_downgrade_are_written_again_after_the_upgrade(network):
    """Downgrading below 0024 drops the forms: the store must stop saying they were
    written (its markers go with the column), or `capactif init` after the next upgrade
    would leave every candidate normalised from its identity for good."""
    hub = network[0]
    push_and_process(hub, fiche("F-1"), fiche("F-2", porteur=other_porteur(2)))
    initialise(hub.settings)
    config = alembic_config(hub.settings.database_url.reveal())

    command.downgrade(config, "0023")
    with hub.engine.connect() as conn:
        left = conn.execute(sa.select(store_markers.c.name).where(
            store_markers.c.name.like(f"{FORMS_MARKER}%"))).scalars().all()
    command.upgrade(config, "heads")
    done = initialise(hub.settings)

    assert left == []
    assert done["formes_reecrites"] == 2
    assert read_form(_opened_form(hub, _pk(hub, "F-1")) or "") == normalise_record(
        identity_of(fiche()["porteur"]))
