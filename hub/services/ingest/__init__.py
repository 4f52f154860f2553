"""Fiches in: accept pushed batches, read fiches back, the worker's processing, the field policy."""
