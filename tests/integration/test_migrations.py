"""The Alembic migrations build exactly the tables the code declares, on both databases."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from hub.store.schema import metadata

pytestmark = pytest.mark.integration


def test_migrations_match_the_declared_tables(db_engine):
    with db_engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": False})
        differences = compare_metadata(context, metadata)
    if db_engine.dialect.name == "sqlite":  # the keys SQLite keeps (migrations 0039, 0043)
        assert sorted(_key(d) for d in differences) == [
            ("remove_fk", "deliveries", "members"), ("remove_fk", "fiches", "porteurs")]
        return
    assert differences == []


def _key(difference: tuple) -> tuple[str, str, str] | tuple:
    """A foreign key's difference as (kind, table, referred table)."""
    if difference[0] != "remove_fk":
        return difference
    constraint = difference[1]
    return difference[0], constraint.table.name, constraint.referred_table.name


def test_0029_forgets_proof_digests_and_0030_keeps_notices_and_consents_citing_them(contract):
    """A store of before 0029 held an erased proof's unkeyed SHA-256; 0030 rebuilds the
    notices' table (SQLite) under the consents citing it: going down to 0028 and up again
    loses no notice nor consent, and forgets the digest."""
    import datetime as dt
    import hashlib

    from alembic import command

    from capactif_demo.consent_examples import NOTICE_TEXT, example_submission
    from hub.store.migrate import alembic_config, upgrade
    from tests.integration.contract_world import OWNER

    version, digest = contract.hub.consents.store_notice(NOTICE_TEXT)
    kept = "sha256:" + hashlib.sha256(b"Formulaire de Gaspard").hexdigest()
    submission = example_submission(version, digest, dt.datetime.now(dt.UTC), membre=OWNER,
                                    fiche_id="F-1", reference="CST-F-1",
                                    preuve={"type": "autre", "valeur": kept})
    assert contract.call(OWNER, "POST", "/v1/consents", submission).status_code == 201
    url = contract.hub.settings.database_url.reveal()
    contract.hub.engine.dispose()
    command.downgrade(alembic_config(url), "0028")
    upgrade(url)
    [consent] = contract.hub.consents.for_porteur([(OWNER, "F-1")])
    assert consent.proof_value == "" and consent.notice_version == version
    assert contract.hub.consents.notice(version).sha256 == digest
