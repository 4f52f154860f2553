"""Deliveries and notices: plan and project them, the feed, webhooks, publishing tasks."""
