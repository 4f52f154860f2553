"""Field policies, projection, routing and events: specifications."""
