"""Deduplication: online matching, batch deduplication, the duplicate queue, merges."""
