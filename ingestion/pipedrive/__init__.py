"""Pipedrive connector: its API into ``raw_pipedrive``."""
