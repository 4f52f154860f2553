"""The actors the hub itself writes in the audit trail and the merge history: no member
of the network may take one of these ids (the network file is refused), so an entry by
the hub is never read as a member's."""

from __future__ import annotations

HUB = "hub"  # backups, restores, audit archives and exports
MATCHING = "rapprochement"  # the porteurs the online matching joined
COMMAND_LINE = "ligne_de_commande"  # who recorded a change made from `capactif`
RESERVED = frozenset({HUB, MATCHING, COMMAND_LINE})
