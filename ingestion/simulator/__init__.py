"""Deterministic simulator of a B2B sales world: HubSpot CRM, marketing, and ground truth."""

from ingestion.simulator.config import WorldConfig
from ingestion.simulator.io import load_manifest, read_table
from ingestion.simulator.world import generate_world

__all__ = ["WorldConfig", "generate_world", "load_manifest", "read_table"]
