"""Consent registry: records, the consent check, receipts, withdrawal and erasure.

The hub uses consent through one module, `consent.api`: the registry port
`ConsentRegistry` (real: `SqlConsentRegistry`; fake for tests:
`tests.fakes.consent_registry.InMemoryConsentRegistry`), the records and the pure checks
on them, receipts, and the data keys of crypto-shredding.
"""
