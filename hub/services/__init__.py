"""Service functions: the only way the API, the web console, the tasks and the CLI
reach the store and the broker."""
