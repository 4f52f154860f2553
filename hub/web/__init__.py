"""The coordinator and DPO console (server-rendered pages)."""
