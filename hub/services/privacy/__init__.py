"""Consents, information notices, need-to-know, porteurs as a member may see them, erasure and its keys."""
