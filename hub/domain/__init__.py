"""Pure domain logic: fiche rules, matching, field policies, routing, events. No I/O."""
