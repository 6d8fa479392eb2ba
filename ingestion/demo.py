"""The embedded demo: a simulated CRM world generated once per (seed, size) and reused."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

from ingestion.settings import Settings
from ingestion.simulator import WorldConfig, generate_world, load_manifest


def ensure_demo_world(settings: Settings, progress: Callable[[str], None] = lambda _: None) -> Path:
    """The demo world's folder, generating it first if it is not there yet."""
    world_dir = settings.demo_world_dir()
    if (world_dir / "manifest.json").exists():
        progress(f"using the simulated world in {world_dir}")
        return world_dir
    progress(f"generating a simulated CRM world of {settings.demo_deals:,} deals in {world_dir}")
    generate_world(
        WorldConfig(seed=settings.demo_seed, n_deals=settings.demo_deals), world_dir, progress
    )
    return world_dir


def resolve_as_of(settings: Settings) -> date:
    """The run's logical date: the configured one, else the demo world's end date."""
    if settings.as_of:
        return settings.as_of
    return date.fromisoformat(load_manifest(settings.demo_world_dir())["end_date"])
