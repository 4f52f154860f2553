"""Online deduplication in the worker, on both databases: link, review, new porteur,
thin and garbage records, the pair memory, and two workers racing on one person."""

from __future__ import annotations

import threading

import pytest

from hub.services.ingest import processing
from hub.services.matching import duplicates
from hub.services.privacy import erasure
from tests.integration.dedup_world import (
    CCI,
    COMMUNE,
    NAMES_ONLY,
    PERSON,
    PFIL,
    RETYPED,
    WAITING_FOR_A_LOCK,
    fiche_of,
    links_of,
    pg_hub_for,
    porteur_of,
    push,
    takes_stripe,
    world_in_process,  # noqa: F401  (the `world` fixture)
)

pytestmark = pytest.mark.integration


def test_the_same_person_typed_differently_by_two_members_is_linked_automatically(world):
    hub, _clock = world
    push(hub, COMMUNE, fiche_of(COMMUNE, "A-1", PERSON))
    push(hub, CCI, fiche_of(CCI, "C-1", RETYPED))
    assert porteur_of(hub, CCI, "C-1") == porteur_of(hub, COMMUNE, "A-1")
    link = links_of(hub, CCI, "C-1")[-1]
    assert link.method == "auto" and link.evidence["probabilite"] >= 0.98
    levels = {t["champ"]: t["niveau"] for t in link.evidence["explication"]["champs"]}
    # 04 73 ...: a landline, the household's (fuzzy), weighed on its own
    assert levels["date_naissance"] == "exact" and levels["telephone"] == "fuzzy"
    assert "Chassaing" not in str(link.evidence)  # evidence: levels and weights, no value
    assert processing.pipeline_status(hub)["porteurs"] == 1


def test_an_erased_fiche_is_never_a_candidate_again_though_the_worker_opened_it_before(world):
    hub, _clock = world
    push(hub, COMMUNE, fiche_of(COMMUNE, "A-1", PERSON))
    push(hub, CCI, fiche_of(CCI, "C-1", RETYPED))  # reads A-1's identity: the worker keeps it
    assert porteur_of(hub, CCI, "C-1") == porteur_of(hub, COMMUNE, "A-1")
    erasure.delete_fiche(hub, COMMUNE, COMMUNE.member_id, "A-1")
    erasure.delete_fiche(hub, CCI, CCI.member_id, "C-1")
    push(hub, PFIL, fiche_of(PFIL, "P-1", PERSON))
    assert links_of(hub, PFIL, "P-1")[-1].method == "new"
    assert duplicates.list_review_items(hub)["items"] == []


def test_an_uncertain_match_gets_a_provisional_porteur_and_a_review_item(world):
    hub, _clock = world
    push(hub, COMMUNE, fiche_of(COMMUNE, "A-1", PERSON))
    push(hub, CCI, fiche_of(CCI, "C-1", NAMES_ONLY))
    provisional, existing = porteur_of(hub, CCI, "C-1"), porteur_of(hub, COMMUNE, "A-1")
    assert provisional != existing
    [item] = duplicates.list_review_items(hub, actor="pnr-livradois-forez")["items"]
    assert [side["porteur_id"] for side in item["cotes"]] == [provisional, existing]
    with hub.uow() as uow:
        assert uow.matching.porteur_status(provisional) == "provisional"


def test_a_stranger_gets_a_new_porteur_and_no_review_item(world):
    hub, _clock = world
    push(hub, COMMUNE, fiche_of(COMMUNE, "A-1", PERSON))
    push(hub, CCI, fiche_of(CCI, "C-1", {"nom": "Vialatte", "prenom": "Benoît",
                                          "date_naissance": "1971-09-30"}))
    assert porteur_of(hub, CCI, "C-1") != porteur_of(hub, COMMUNE, "A-1")
    assert links_of(hub, CCI, "C-1")[-1].method == "new"
    assert duplicates.list_review_items(hub)["items"] == []


def test_two_fiches_of_one_new_person_in_one_batch_end_as_one_porteur(world):
    hub, _clock = world
    push(hub, COMMUNE, fiche_of(COMMUNE, "A-1", PERSON), fiche_of(COMMUNE, "A-2", RETYPED))
    assert porteur_of(hub, COMMUNE, "A-1") == porteur_of(hub, COMMUNE, "A-2")


def test_a_record_with_names_alone_never_auto_links(world):
    hub, _clock = world
    push(hub, COMMUNE, fiche_of(COMMUNE, "A-1", NAMES_ONLY))
    push(hub, CCI, fiche_of(CCI, "C-1", NAMES_ONLY))
    assert porteur_of(hub, CCI, "C-1") != porteur_of(hub, COMMUNE, "A-1")
    assert links_of(hub, CCI, "C-1")[-1].method == "new"


def test_garbage_dates_and_phones_count_as_missing_and_do_not_block_the_fiche(world):
    hub, _clock = world
    # Names and a commune, the rest placeholders: a review item (a thin pair's bound).
    garbage = {**NAMES_ONLY, "date_naissance": "1970-01-01", "telephone": "01 00 00 00 00",
               "adresse": {"commune": "Ambert"}}
    push(hub, COMMUNE, fiche_of(COMMUNE, "A-1", {**garbage, "courriel": "mhc63@orange.fr"}))
    push(hub, CCI, fiche_of(CCI, "C-1", {**garbage, "courriel": "marie.ch@laposte.net"}))
    assert processing.pipeline_status(hub)["processed"] == 2
    assert links_of(hub, CCI, "C-1")[-1].method == "new"  # placeholders are no evidence
    [item] = duplicates.list_review_items(hub)["items"]
    levels = {t["champ"]: t["niveau"] for t in item["explication"]["champs"]}
    assert levels["date_naissance"] == "missing" and levels["telephone"] == "missing"


def test_a_pair_judged_different_never_comes_back_as_a_review_item(world):
    hub, _clock = world
    push(hub, COMMUNE, fiche_of(COMMUNE, "A-1", PERSON))
    push(hub, CCI, fiche_of(CCI, "C-1", NAMES_ONLY))
    [item] = duplicates.list_review_items(hub)["items"]
    duplicates.decide(hub, item["id"], "different", actor="pnr-livradois-forez")
    push(hub, CCI, fiche_of(CCI, "C-1", {**NAMES_ONLY, "adresse": {"commune": "Ambert"}},
                            version=2))
    assert duplicates.list_review_items(hub)["items"] == []
    assert porteur_of(hub, CCI, "C-1") != porteur_of(hub, COMMUNE, "A-1")


def test_a_changed_identity_on_update_opens_a_review_item_but_never_moves_the_fiche(world):
    hub, _clock = world
    push(hub, COMMUNE, fiche_of(COMMUNE, "A-1", PERSON))
    push(hub, CCI, fiche_of(CCI, "C-1", {"nom": "Vialatte", "prenom": "Benoît"}))
    before = porteur_of(hub, CCI, "C-1")
    push(hub, CCI, fiche_of(CCI, "C-1", RETYPED, version=2))
    assert porteur_of(hub, CCI, "C-1") == before
    assert len(duplicates.list_review_items(hub)["items"]) == 1


@pytest.mark.parametrize("db_url", ["postgresql", "sqlite"], indirect=True)
def test_two_workers_racing_on_one_new_person_end_with_one_porteur(world):
    hub, _clock = world
    _race_on_new_people(hub, rounds=6)


def _race_on_new_people(hub, rounds: int) -> None:
    """Two workers at once, each with one fiche of the same new person, `rounds` times:
    the two fiches end linked, or one waits in the review queue; never two silent
    porteurs."""
    for round_ in range(rounds):
        person = {**PERSON, "nom": f"Chassaing-{'abcdef'[round_]}x", "courriel": f"r{round_}@ex.fr",
                  "telephone": f"06 12 34 56 {round_:02d}"}
        first = push(hub, COMMUNE, fiche_of(COMMUNE, f"R-{round_}", person), process=False)
        second = push(hub, CCI, fiche_of(CCI, f"R-{round_}", {**person, "nom": person["nom"].upper()}),
                      process=False)
        barrier = threading.Barrier(2)
        errors = []

        def work(ids, barrier=barrier, errors=errors):
            try:
                barrier.wait(timeout=10)
                processing.process_outbox(hub, ids)
            except Exception as exc:  # reported below, with the round
                errors.append(exc)

        threads = [threading.Thread(target=work, args=(ids,)) for ids in (first, second)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert not errors, (round_, errors)
        linked = porteur_of(hub, COMMUNE, f"R-{round_}") == porteur_of(hub, CCI, f"R-{round_}")
        queued = len(duplicates.list_review_items(hub, limit=200)["items"])
        assert linked or queued == 1, f"round {round_}: two silent porteurs"


@pytest.fixture
def pg_world(postgres_url, tmp_path):
    yield from pg_hub_for(postgres_url, tmp_path)


STRANGER = {**PERSON, "nom": "Vialatte", "prenom": "Odile", "date_naissance": "1971-02-03",
            "courriel": "o.vialatte@exemple.fr", "telephone": "04 73 11 22 33",
            "adresse": {"ligne": "3 place du Marché", "code_postal": "63120",
                        "commune": "Courpière"}}


def _person_retyped_beside_a_stranger(hub) -> list[int]:
    """PERSON processed at COMMUNE (A-1); the outbox ids of CCI's C-1 (PERSON retyped)
    and C-2 (a stranger), pushed and not processed."""
    push(hub, COMMUNE, fiche_of(COMMUNE, "A-1", PERSON))
    return push(hub, CCI, fiche_of(CCI, "C-1", RETYPED), fiche_of(CCI, "C-2", STRANGER),
                process=False)


def _process_while_the_person_keys_are_held(hub, ids: list[int], meanwhile) -> None:
    """`process_outbox(ids)` in a thread while another worker's transaction holds
    PERSON's keys (RETYPED's), `meanwhile(thread)` run before the holder commits; then
    the thread is seen to end."""
    from hub.services.matching.online import OnlineMatcher, identity_of

    holder = hub.uow()
    uow = holder.__enter__()
    try:
        OnlineMatcher(hub, uow).lock([identity_of(RETYPED)])
        worker = threading.Thread(target=processing.process_outbox, args=(hub, ids))
        worker.start()
        meanwhile(worker)
    finally:
        holder.__exit__(None, None, None)
    worker.join(timeout=30)
    assert not worker.is_alive()


def test_a_worker_never_waits_for_another_transaction_over_one_shared_key(pg_world):
    """PostgreSQL (SQLite serialises its writers anyway): the fiches whose keys are free
    are processed at once; the one sharing a key with an open transaction waits for it
    at the end of the line, and ends linked as if processed in order."""
    hub, _clock = pg_world

    def meanwhile(worker: threading.Thread) -> None:
        deadline = threading.Event()
        for _ in range(100):  # the stranger goes through while the keys are held
            with hub.uow() as probe:
                if probe.fiches.porteur_of(CCI.member_id, "C-2").porteur_id is not None:
                    break
            deadline.wait(0.1)
        with hub.uow() as probe:
            assert probe.fiches.porteur_of(CCI.member_id, "C-2").porteur_id is not None
            assert probe.fiches.porteur_of(CCI.member_id, "C-1").porteur_id is None
        assert worker.is_alive()  # C-1 waits for the keys' holder

    _process_while_the_person_keys_are_held(hub, _person_retyped_beside_a_stranger(hub),
                                            meanwhile)
    assert porteur_of(hub, CCI, "C-1") == porteur_of(hub, COMMUNE, "A-1")
    assert porteur_of(hub, CCI, "C-2") != porteur_of(hub, COMMUNE, "A-1")


def test_a_fiche_put_back_waits_for_the_keys_at_its_next_try_rather_than_going_round_again(
        pg_world, monkeypatch):
    """The fiches put back once make the next transaction alone: it waits for the keys'
    holder (no lock of its own is held then, so no deadlock), rather than trying again
    without waiting, meeting the same keys and committing a transaction that took nothing."""
    import sqlalchemy as sa

    hub, _clock = pg_world
    ids = _person_retyped_beside_a_stranger(hub)
    taken: list[int] = []
    chunk = processing._process_chunk

    def counted(hub, outbox_ids, *, wait):
        outcome, deferred = chunk(hub, outbox_ids, wait=wait)
        taken.append(outcome.claimed)
        return outcome, deferred

    monkeypatch.setattr(processing, "_process_chunk", counted)

    def meanwhile(worker: threading.Thread) -> None:
        pause = threading.Event()
        for _ in range(300):  # until the worker waits for a key stripe the holder has
            with hub.engine.connect() as probe:
                if probe.execute(sa.text(WAITING_FOR_A_LOCK)).scalar():
                    break
            pause.wait(0.05)
        assert worker.is_alive()

    _process_while_the_person_keys_are_held(hub, ids, meanwhile)
    assert taken == [1, 1]  # C-2 at once, C-1 after the holder's commit; none for nothing
    assert porteur_of(hub, CCI, "C-1") == porteur_of(hub, COMMUNE, "A-1")


def test_a_fiche_put_back_does_not_keep_the_locks_of_its_other_keys(pg_world):
    """A fiche put back (one of its keys held by another transaction) kept the locks it
    had taken on its other keys until its own transaction's commit, so a third worker's
    fiche under one of them was put back, or waited, for a fiche not even processed."""
    from hub.services.matching.online import OnlineMatcher, identity_of

    hub, _clock = pg_world
    person, stranger = identity_of(PERSON), identity_of(STRANGER)
    holder, putting_back = hub.uow(), hub.uow()
    held = holder.__enter__()
    uow = putting_back.__enter__()
    try:
        matcher = OnlineMatcher(hub, uow)

        def stripes(identity):
            return {matcher._stripe(d) for d in matcher.digests(identity)}

        one_key = min(stripes(person))
        held.matching.lock_keys({one_key})
        assert matcher.lock_free({"person": [person], "stranger": [stranger]}) == {"stranger"}
        others = stripes(person) - {one_key} - stripes(stranger)
        assert others
        with hub.engine.connect() as third:
            assert [s for s in sorted(others) if not takes_stripe(third, s)] == []
            assert not takes_stripe(third, min(stripes(stranger)))  # the fiche taken: kept
            third.rollback()
    finally:
        putting_back.__exit__(None, None, None)
        holder.__exit__(None, None, None)


# Strangers born the day PERSON was, nothing else in common with anyone: with a cap of
# two fiches a key, their birth date ("date" key) is over the cap from the fourth on.
CAP = 2
BORN_SAME_DAY = [{"nom": name, "prenom": first, "date_naissance": PERSON["date_naissance"]}
                 for name, first in (("Bérard", "Yvette"), ("Coudert", "Lucien"),
                                     ("Dauphin", "Gisèle"), ("Estival", "Raymond"),
                                     ("Fayolle", "Simone"), ("Garnier", "Octave"))]


def test_a_batch_works_out_each_keys_stripe_once(world):
    """The lock, its groups and their shared part each ask a key's stripe (some forty
    times a fiche): the batch works it out once and answers the same stripe after."""
    from hub.services.matching.online import OnlineMatcher, identity_of

    hub, _clock = world
    with hub.uow() as uow:
        matcher = OnlineMatcher(hub, uow)
        digests = matcher.digests(identity_of(PERSON))
        first = [matcher._stripe(d) for d in digests]
        again = [matcher._stripe(d) for d in digests]
    assert again == first
    assert all(a is b for a, b in zip(again, first, strict=True))


def test_a_key_s_stripe_is_a_row_of_the_stripes_table(world):
    """Each key's stripe is the first 32 bits of its digest modulo the stripes, a row
    migration 0034 wrote (`match_lock_stripes`: 0 to 2**20 - 1, the setting's highest)."""
    from hub.domain.matching.decision import record_blocking_keys
    from hub.services.matching.online import OnlineMatcher, identity_of, matching_model
    from hub.store.matching_repository import key_digest

    hub, _clock = world
    stripes = hub.settings.match_lock_stripes
    keys = record_blocking_keys(identity_of(PERSON), matching_model(hub))
    with hub.uow() as uow:
        matcher = OnlineMatcher(hub, uow)
        taken = [matcher._stripe(d) for d in matcher.digests(identity_of(PERSON))]
    hex_digests = [key_digest(hub.store_keys.digest_key, k) for k in keys]
    assert taken == [int(d[:8], 16) % stripes for d in hex_digests]
    assert all(0 <= stripe < 1 << 20 for stripe in taken)


@pytest.fixture
def small_cap_world(postgres_url, tmp_path):
    yield from pg_hub_for(postgres_url, tmp_path, match_candidates_per_key=CAP)


def test_a_worker_never_waits_for_another_transaction_over_a_key_held_by_more_fiches_than_the_cap(
        small_cap_world):
    """A key over the cap is never a source of candidates: two workers writing fiches under
    it at once need not exclude each other (PostgreSQL; SQLite serialises its writers)."""
    _processed_while_another_worker_writes_under_the_common_key(
        small_cap_world[0], lambda hub, ids: processing.process_outbox(hub, ids))


def test_a_transaction_waiting_for_its_keys_still_shares_a_key_held_by_more_fiches_than_the_cap(
        small_cap_world):
    """The transaction of fiches put back waits for their keys, but takes those over the
    cap in shared mode, as any transaction of new fiches does: it does not wait for
    another worker writing under such a key."""
    _processed_while_another_worker_writes_under_the_common_key(
        small_cap_world[0], lambda hub, ids: processing._process_chunk(hub, ids, wait=True))


def _processed_while_another_worker_writes_under_the_common_key(hub, process) -> None:
    """`process(hub, ids)` of a new fiche under PERSON's birth date (over the cap) ends,
    the fiche processed, while another worker's transaction holds that key (shared) for
    a fiche of its own."""
    for n, stranger in enumerate(BORN_SAME_DAY[:4]):  # the fourth reads the key over the cap
        push(hub, COMMUNE, fiche_of(COMMUNE, f"S-{n}", stranger))
    held = push(hub, COMMUNE, fiche_of(COMMUNE, "S-4", BORN_SAME_DAY[4]), process=False)
    ids = push(hub, CCI, fiche_of(CCI, "C-5", BORN_SAME_DAY[5]), process=False)
    holder = hub.uow()
    uow = holder.__enter__()  # another worker's transaction, under the common key
    try:
        version_ids = [row.ref_id for row in uow.outbox.claim(held)]
        _versions, _created, later = processing._process_versions(
            hub, uow, version_ids, hub.clock(), wait=False)
        assert not later
        worker = threading.Thread(target=process, args=(hub, ids))
        worker.start()
        worker.join(timeout=30)
        assert not worker.is_alive()  # C-5 did not wait for the holder's commit
        with hub.uow() as probe:
            assert probe.fiches.porteur_of(CCI.member_id, "C-5").porteur_id is not None
    finally:
        holder.__exit__(None, None, None)


def test_two_workers_racing_on_one_new_person_under_keys_over_the_cap_end_with_one_porteur(
        small_cap_world):
    """The person's birth date is over the cap (locked in shared mode by both workers):
    the keys within the cap still make one worker see the other's fiche."""
    hub, _clock = small_cap_world
    for n, stranger in enumerate(BORN_SAME_DAY):
        push(hub, COMMUNE, fiche_of(COMMUNE, f"S-{n}", stranger))
    _race_on_new_people(hub, rounds=6)


def test_a_key_brought_back_under_the_cap_is_locked_alone_again(small_cap_world):
    """Erasures brought a key known over the cap back under it: the fiche under it is
    left for later (its candidates under that key must be read under an exclusive lock),
    and the key is locked alone from then on."""
    from hub.services.matching.online import OnlineMatcher, identity_of

    hub, _clock = small_cap_world
    for n, stranger in enumerate(BORN_SAME_DAY[:4]):
        push(hub, COMMUNE, fiche_of(COMMUNE, f"S-{n}", stranger))
    newcomer = identity_of(BORN_SAME_DAY[5])
    with hub.uow() as uow:
        date_key = next(d for d in OnlineMatcher(hub, uow).digests(newcomer)
                        if d in hub.common_keys)
    for n in range(3):  # one fiche left under the birth date
        erasure.delete_fiche(hub, COMMUNE, COMMUNE.member_id, f"S-{n}")
    with hub.uow() as uow:
        assert OnlineMatcher(hub, uow).lock_free({1: [newcomer]}, share_common=True) == set()
    assert date_key not in hub.common_keys
    with hub.uow() as uow:
        assert OnlineMatcher(hub, uow).lock_free({1: [newcomer]}, share_common=True) == {1}


def test_a_worker_does_not_index_while_the_store_says_another_normalisation(world):
    """A worker left running while a newer release's `capactif init` rewrote the index
    (its markers name another FORM_VERSION or rule set) would write forms and keys of its
    own normalisation that nothing re-reads: it refuses, and the fiche waits (retried)
    until a worker of the store's version takes it."""
    from hub.errors import IndexOfAnotherVersion
    from hub.services.matching.index_markers import FORMS_MARKER, current_forms

    hub, _clock = world
    with hub.uow() as uow:
        uow.markers.set(FORMS_MARKER, "v999")
        uow.commit()
    ids = push(hub, COMMUNE, fiche_of(COMMUNE, "A-1", PERSON), process=False)
    with pytest.raises(IndexOfAnotherVersion):
        processing.process_outbox(hub, ids)
    assert processing.pipeline_status(hub)["porteurs"] == 0
    with hub.uow() as uow:
        uow.markers.set(FORMS_MARKER, current_forms())
        uow.commit()
    processing.process_outbox(hub, ids)
    assert processing.pipeline_status(hub)["porteurs"] == 1


def test_an_index_built_under_other_blocking_rules_says_so_and_names_init(world):
    """A rule added in the settings (the rule set in the index's fingerprint): the worker
    refuses, and its message blames the changed rule set and names `capactif init`, not
    a hub of another version; another normalisation still says another version."""
    from hub.errors import IndexOfAnotherVersion
    from hub.services.matching.index_markers import (
        FORMS_MARKER,
        RULES_MARKER,
        ensure_current,
        index_fingerprint,
    )
    from hub.services.matching.online import matching_model

    hub, _clock = world
    rules = matching_model(hub).settings.blocking.rules
    with hub.uow() as uow:
        uow.markers.set(RULES_MARKER, index_fingerprint((*rules, "nom_rue")))
        with pytest.raises(IndexOfAnotherVersion) as rules_changed:
            ensure_current(uow, rules)
        uow.markers.set(RULES_MARKER, index_fingerprint(rules))
        uow.markers.set(FORMS_MARKER, "v999")
        with pytest.raises(IndexOfAnotherVersion) as other_version:
            ensure_current(uow, rules)
    for said in (rules_changed.value.message_fr, rules_changed.value.message_en):
        assert "capactif init" in said and "version" not in said, said
    assert "règles de blocage" in rules_changed.value.message_fr
    assert "blocking rules" in rules_changed.value.message_en
    assert "autre version du hub" in other_version.value.message_fr


def test_each_identity_of_a_batch_has_its_own_keys_though_python_reuses_object_ids(world):
    """The matcher writes an identity's canonical form once per identity object; an
    identity dropped by its caller must not lend its keys to a later one that Python
    placed at the same address."""
    from hub.services.matching.online import OnlineMatcher

    hub, _clock = world
    with hub.uow() as uow:
        matcher = OnlineMatcher(hub, uow)
        seen = {}
        for n in range(50):
            identity = {"nom": f"Nom{n}", "prenom": "Anne", "date_naissance": f"19{50 + n}-01-02"}
            seen[n] = matcher.digests(identity)
            del identity  # dropped at once: its address comes back for the next one
        for n in range(50):
            alone = {"nom": f"Nom{n}", "prenom": "Anne", "date_naissance": f"19{50 + n}-01-02"}
            assert OnlineMatcher(hub, uow).digests(alone) == seen[n]


def test_a_link_to_a_porteur_of_one_candidate_fiche_names_it_without_scoring_it_again(
        world, monkeypatch):
    """`fiches_proches` of a link whose porteur has one fiche among the candidates is that
    fiche: its pair, which the decision already weighed, is not scored again to find it."""
    import sys

    from hub.domain.matching.model import MatchModel

    def naming_the_link(_self: object, *_args: object, **_kwargs: object) -> None:
        frame = sys._getframe(1)
        while frame is not None:
            if frame.f_code.co_name == "_matched_fiche":
                for_the_link.append(frame.f_code.co_name)
            frame = frame.f_back  # type: ignore[assignment]

    hub, _clock = world
    push(hub, COMMUNE, fiche_of(COMMUNE, "A-1", PERSON))
    for_the_link: list[str] = []
    score = MatchModel.score
    monkeypatch.setattr(MatchModel, "score", lambda self, *args, **kwargs: naming_the_link(
        self, *args) or score(self, *args, **kwargs))
    push(hub, CCI, fiche_of(CCI, "C-1", RETYPED))
    link, = links_of(hub, CCI, "C-1")
    first, = links_of(hub, COMMUNE, "A-1")
    assert link.method == "auto" and link.porteur_id == first.porteur_id
    assert link.evidence["fiches_proches"] == [first.fiche_pk]
    assert for_the_link == []
