"""The access log: access events, RFC 6962 Merkle tree, signed tree heads, offline verifier.

This package's `__init__` imports nothing: `hub.audit.verify` must stay importable
without the store, the config or SQLAlchemy (a DPO runs it on their own machine).
"""
