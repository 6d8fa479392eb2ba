"""Generate a whole world: the fixed tables, then every deal chunk, then the manifest.

The world is written to a hidden sibling folder and renamed into place at the end, so a
crash never leaves a folder that looks like a complete world (manifest.json marks one).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa

from ingestion.simulator.companies import companies_table
from ingestion.simulator.config import GENERATOR_VERSION, WorldConfig
from ingestion.simulator.deals import simulate_deals
from ingestion.simulator.engagements import make_engagements
from ingestion.simulator.forms import form_submissions_tables
from ingestion.simulator.history import build_history
from ingestion.simulator.io import MANIFEST, write_part
from ingestion.simulator.marketing import Campaigns, ad_spend_table, campaigns_table, make_campaigns
from ingestion.simulator.people import (
    contacts_table,
    deal_companies_table,
    deal_contacts_table,
    make_people,
)
from ingestion.simulator.portal import (
    Owners,
    fx_table,
    make_owners,
    owners_table,
    pipeline_stages_table,
)
from ingestion.simulator.schema import TABLES
from ingestion.simulator.touches import make_touches
from ingestion.simulator.truth import (
    truth_contacts_table,
    truth_deals_table,
    truth_stage_visits_table,
    win_probabilities_table,
)


def portal_id(seed: int) -> str:
    """A stable 8-digit HubSpot portal id for the seed."""
    return str(10_000_000 + (seed * 2_654_435_761) % 90_000_000)


def build_chunk(
    config: WorldConfig, owners: Owners, campaigns: Campaigns, chunk: int
) -> dict[str, pa.Table]:
    """Every table's part for one chunk of deals and the people and activity around them."""
    d = simulate_deals(config, owners, chunk)
    deals, history, facts = build_history(config, owners, d)
    people = make_people(config, d)
    touches, sources = make_touches(config, campaigns, people)
    engagements, n_activities = make_engagements(config, owners, d, facts, people)
    contacts = contacts_table(people, sources)
    submissions, truth_submissions = form_submissions_tables(config, touches, contacts, chunk)
    return {
        "deals": deals,
        "deal_property_history": history,
        "contacts": contacts,
        "companies": companies_table(config, d, people),
        "deal_contacts": deal_contacts_table(d, people),
        "deal_companies": deal_companies_table(d),
        "engagements": engagements,
        "form_submissions": submissions,
        "touches": touches,
        "truth_deals": truth_deals_table(d, facts, owners, people, n_activities),
        "truth_stage_visits": truth_stage_visits_table(d),
        "truth_contacts": truth_contacts_table(people),
        "truth_form_submissions": truth_submissions,
    }


def generate_world(
    config: WorldConfig, out_dir: Path, progress: Callable[[str], None] | None = None
) -> dict:
    """Write the world described by config to out_dir and return its manifest."""
    out_dir = Path(out_dir).resolve()  # "." or "w" still get a sibling temp folder
    say = progress or (lambda _line: None)
    if out_dir.exists() and any(out_dir.iterdir()) and not (out_dir / MANIFEST).exists():
        raise FileExistsError(f"{out_dir} exists and is not a world; refusing to replace it")
    tmp = out_dir.with_name(f".{out_dir.name}.partial")
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    try:
        manifest = _write_world(config, tmp, say)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if out_dir.exists():
        shutil.rmtree(out_dir)
    tmp.rename(out_dir)
    say(f"done: {out_dir}")
    return manifest


def _write_world(config: WorldConfig, tmp: Path, say: Callable[[str], None]) -> dict:
    """Write every table and the manifest into tmp; returns the manifest."""
    counts = {name: {"rows": 0, "parts": 0} for name in TABLES}

    def write(name: str, part: int, table: pa.Table) -> None:
        write_part(tmp, name, part, table)
        counts[name]["rows"] += table.num_rows
        counts[name]["parts"] += 1

    owners = make_owners(config)
    campaigns = make_campaigns(config)
    write("owners", 0, owners_table(owners))
    write("pipeline_stages", 0, pipeline_stages_table())
    write("campaigns", 0, campaigns_table(config, campaigns))
    write("ad_spend", 0, ad_spend_table(config, campaigns))
    write("fx_rates", 0, fx_table(config))
    write("truth_stage_win_probabilities", 0, win_probabilities_table())
    say(
        f"portal: {len(owners.ids)} owners in {len(owners.team_names)} teams, "
        f"{len(campaigns.ids)} campaigns"
    )
    n_chunks = config.n_chunks
    for chunk in range(n_chunks):
        for name, table in build_chunk(config, owners, campaigns, chunk).items():
            write(name, chunk, table)
        done = config.chunk_bounds(chunk)[1]
        say(f"deals: chunk {chunk + 1}/{n_chunks} ({done:,} deals)")

    manifest = {
        "generator_version": GENERATOR_VERSION,
        "seed": config.seed,
        "n_deals": config.n_deals,
        "start_date": config.start_date.isoformat(),
        "end_date": config.end_date.isoformat(),
        "activity_rate": config.activity_rate,
        "portal_id": portal_id(config.seed),
        "tables": counts,
    }
    (tmp / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest
