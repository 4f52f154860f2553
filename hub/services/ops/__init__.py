"""Running the hub: initialisation, health, heartbeats, metrics, rate limits, backups."""
