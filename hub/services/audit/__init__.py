"""The access log as the services write and read it: events, alerts, retention, refusals."""
