"""An e-mail's domain typed a letter off a common provider's (gmial.com, orage.fr,
wanadoo.f) is the provider's: the same address compares exact, keys one block and is
searched as one, and one person typed so links online (both decision paths) and in
batch. Its user name is kept as typed: people of one home whose addresses differ before
the @ stay apart (`test_matching_family_traps`)."""

from __future__ import annotations

import pytest

from hub.domain.matching.blocking import blocking_keys
from hub.domain.matching.comparisons import EXACT, EmailComparison
from hub.domain.matching.mail_providers import PROVIDERS, provider_domain
from hub.domain.matching.normalise import normalise_email
from hub.domain.matching.record import normalise_record
from hub.domain.search_terms import porteur_terms, query_terms
from tests.unit.matching.test_matching_family_traps import MODELS, ONE, both_orders, model_named
from tests.unit.matching.test_matching_household_review import _batch

TYPED = {
    "Jean.Dupont@GMIAL.com": "jeandupont@gmail.com",  # then gmail's dots dropped
    "jean.dupont@gmal.com": "jeandupont@gmail.com",
    "jean.dupont@gmail.co": "jeandupont@gmail.com",
    "anne.roux@hotmial.fr": "anne.roux@hotmail.fr",
    "anne.roux@orage.fr": "anne.roux@orange.fr",
    "anne.roux@wanadoo.f": "anne.roux@wanadoo.fr",  # not an address at all before
    "anne.roux@laposte.ner": "anne.roux@laposte.net",
    "anne.roux@sfr.f": "anne.roux@sfr.fr",  # a short name typed right, its ending off
    "anne.roux@yahoo.fe": "anne.roux@yahoo.fr",
    "anne.roux@orabge.fr": "anne.roux@orange.fr",  # b beside n on both keyboards
    "anne.roux@hotmaul.fr": "anne.roux@hotmail.fr",  # u beside i
    "anne.roux@gmaill.com": "anneroux@gmail.com",  # a letter doubled
    "anne.roux@gmaikl.com": "anneroux@gmail.com",  # k struck with the l beside it
    "anne.roux@gmqil.com": "anneroux@gmail.com",  # q beside an AZERTY keyboard's a
}
KEPT = {
    "listed, a letter from gmail.com": ["anne@mail.com", "anne@ymail.com", "anne@email.com"],
    "listed, a letter from another listed": ["anne@live.fr", "anne@free.fr", "anne@gmx.fr"],
    "two edits off": ["anne@gmail.fr", "anne@hotmail.be", "anne@orange.com"],
    "a letter from a short name": ["anne@love.fr", "anne@fre.fr", "anne@sf.fr"],
    "no provider near": ["anne@exemple.fr", "anne@mairie-ambert.fr"],
    # a letter replaced by one far from it on either keyboard: another real name, not a
    # slip of the finger (a furniture maker's grange.fr is not orange.fr)
    "a letter replaced by a far key": ["anne@grange.fr", "anne@wahoo.com", "anne@gmagl.com",
                                       "anne@orance.fr"],
    "a letter added far from its neighbours": ["anne@gmaiql.com", "anne@orangek.fr"],
}


@pytest.mark.parametrize(("typed", "read"), sorted(TYPED.items()))
def test_a_providers_domain_typed_a_letter_off_is_the_providers(typed, read):
    assert normalise_email(typed) == read


@pytest.mark.parametrize("case", sorted(KEPT))
def test_a_listed_domain_or_one_not_a_likely_typo_is_kept(case):
    for address in KEPT[case]:
        assert normalise_email(address) == address


def test_every_listed_domain_is_its_own_and_a_domain_near_two_is_kept():
    assert all(provider_domain(domain) == domain for domain in PROVIDERS)
    assert provider_domain("xmail.com") == "xmail.com"  # gmail.com, ymail.com, email.com?


def test_the_same_address_with_its_domain_mistyped_compares_exact_and_shares_its_block():
    typed, right = (
        normalise_record({"nom": "Roux", "courriel": address})
        for address in ("anne.roux@orage.fr", "anne.roux@orange.fr")
    )
    assert EmailComparison().compare(typed, right) == EXACT
    assert blocking_keys(typed, ["courriel"]) == blocking_keys(right, ["courriel"])


def test_the_address_with_its_domain_mistyped_is_found_by_the_one_searched():
    assert "courriel:anne.roux@orange.fr" in porteur_terms({"courriel": "Anne.Roux@orage.fr"})
    assert query_terms("anne.roux@orage.fr") == ["courriel:anne.roux@orange.fr"]


@pytest.mark.parametrize("model_name", MODELS)
@pytest.mark.parametrize("case", sorted(ONE))
def test_one_person_whose_domain_is_mistyped_links(case, model_name, tmp_path):
    model = model_named(model_name)
    assert both_orders(ONE[case], model) == {"link"}
    assert _batch(ONE[case], model, tmp_path) == (1, 0)
