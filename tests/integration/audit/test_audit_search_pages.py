"""The DPO's search by porteur over HTTP, page by page (`page`, `upto`), as the console's
journal: newest first, pinned to the log's last seq at page 1 (each search is itself an
event, and other accesses go on: none shifts the pages), with a total and the next
page's path. Unpaged, the search answered the first `limit` events and no way on to
the others. On both databases."""

from __future__ import annotations

import pytest

from hub.services.audit import person_scope
from tests.integration.audit.dpo_http import OWNER, dpo_world

pytestmark = pytest.mark.integration
__all__ = ["dpo_world"]


def _pages(world, first: str, credential: str = "pnr-livradois.dpo") -> list[dict]:
    pages, path = [], first
    while path is not None:
        answer = world.get(path, credential)
        assert answer.status_code == 200, answer.text
        pages.append(answer.json())
        world.reads(7)  # accesses logged meanwhile: not on the pages that follow
        path = pages[-1]["suivant"]
    return pages


def test_a_dpo_pages_through_every_event_of_a_porteur_newest_first(dpo_world):
    world = dpo_world
    world.reads(230)
    person = [e.seq for e in person_scope.searched(world.hub, world.porteur_id)]
    pages = _pages(world, f"/v1/audit?porteur={world.porteur_id}&limit=50&page=1")
    upto = pages[0]["upto"]
    assert {p["upto"] for p in pages} == {upto} and upto >= max(person)
    shown = [e["seq"] for p in pages for e in p["evenements"]]
    assert shown == sorted(person, reverse=True)  # each once, the oldest reached
    assert [p["page"] for p in pages] == list(range(1, len(pages) + 1)) == \
        list(range(1, pages[0]["pages"] + 1))
    assert {p["total"] for p in pages} == {len(person)} and len(pages) == -(-len(person) // 50)
    assert pages[1]["suivant"] == \
        f"/v1/audit?porteur={world.porteur_id}&limit=50&page=3&upto={upto}"


def test_a_member_dpo_pages_through_its_own_member_s_events_only(dpo_world):
    world = dpo_world
    world.reads(120, actors=(OWNER, "cci-thiers"))
    own = [e.seq for e in person_scope.searched(world.hub, world.porteur_id, member=OWNER)]
    pages = _pages(world, f"/v1/audit?porteur={world.porteur_id}&limit=20&page=1",
                   f"{OWNER}.dpo")
    shown = [e for p in pages for e in p["evenements"]]
    assert [e["seq"] for e in shown] == sorted(own, reverse=True) and len(own) > 20
    assert {e["membre"] for e in shown} == {OWNER} and pages[0]["total"] == len(own)


def test_a_page_past_the_last_answers_the_last_without_a_next_one(dpo_world):
    world = dpo_world
    world.reads(30)
    answer = world.get(f"/v1/audit?porteur={world.porteur_id}&limit=10&page=999999").json()
    assert answer["page"] == answer["pages"] >= 3 and answer["suivant"] is None


@pytest.mark.parametrize("by", ["porteur", "action"])
def test_events_filling_their_pages_exactly_end_on_the_last_full_page(dpo_world, by):
    """At the boundary: as many events as one page, then as several full pages, answer no
    next page past the last full one, and the total they fill (by porteur: the person's
    events; by action: the log's count)."""
    world = dpo_world
    world.reads(40)
    query = f"porteur={world.porteur_id}" if by == "porteur" else "action=api_read"
    first = world.get(f"/v1/audit?{query}&limit=1000&page=1").json()
    total, upto = first["total"], first["upto"]
    assert total >= 10 and total == len(first["evenements"]) and first["suivant"] is None
    whole = world.get(f"/v1/audit?{query}&limit={total}&page=1&upto={upto}").json()
    assert (whole["total"], whole["pages"], whole["suivant"]) == (total, 1, None)
    count = next(d for d in range(2, total + 1) if total % d == 0)  # pages, all full
    pages = _pages(world, f"/v1/audit?{query}&limit={total // count}&page=1&upto={upto}")
    assert [len(p["evenements"]) for p in pages] == [total // count] * count
    assert {p["total"] for p in pages} == {total} and pages[-1]["suivant"] is None


def test_an_unpaged_search_says_whether_its_limit_cut_the_answer(dpo_world):
    """Without `page`, the first `limit` events, oldest first, and `complet`: a DPO is
    never left to take the first `limit` for all there is."""
    world = dpo_world
    world.reads(30)
    person = [e.seq for e in person_scope.searched(world.hub, world.porteur_id)]
    cut = world.get(f"/v1/audit?porteur={world.porteur_id}&limit=10", "pnr-livradois.dpo")
    assert cut.status_code == 200, cut.text
    assert [e["seq"] for e in cut.json()["evenements"]] == sorted(person)[:10]
    assert cut.json()["complet"] is False
    person = [e.seq for e in person_scope.searched(world.hub, world.porteur_id)]  # + that view
    whole = world.get(f"/v1/audit?porteur={world.porteur_id}&limit={len(person)}",
                      "pnr-livradois.dpo").json()
    assert len(whole["evenements"]) == len(person) and whole["complet"] is True
