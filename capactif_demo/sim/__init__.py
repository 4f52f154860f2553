"""Simulated member systems (spreadsheets, a CRM, a hub stub) for the demo and the tests."""
