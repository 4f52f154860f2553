"""Consent registry: records, the consent check, receipts, withdrawal and erasure.

The hub uses consent through `consent.registry.ConsentRegistry` (real:
`consent.sql.SqlConsentRegistry`, fake: `tests.fakes.consent_registry.InMemoryConsentRegistry`),
the pure check `consent.decision.may_receive`, `consent.model.scope`,
`consent.receipts` and `consent.shredding`.
"""
