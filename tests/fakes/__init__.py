"""Fakes of the hub's ports for tests: the real rules, memory for storage."""
