"""Why data moves to a recipient: the purpose that goes with its role."""

from __future__ import annotations

ORIENTATION = "orientation"
STATISTIQUES = "statistiques"
# The view kept in clear for the network's indicators (and after an erasure): what the
# policy lets the coordination see for statistics.
STATISTICS_VIEW = ("coordination", STATISTIQUES)
MAIN_PURPOSE = {
    "accueil": ORIENTATION,
    "accompagnement": "accompagnement",
    "financement": "financement",
    "coordination": "accompagnement",
}


def purposes_for_role(role: str) -> list[str]:
    """The purposes to try for a recipient, most useful first: its role's own purpose,
    then orientation (enough to know the porteur is followed and by whom)."""
    main = MAIN_PURPOSE.get(role, ORIENTATION)
    return [main] if main == ORIENTATION else [main, ORIENTATION]
