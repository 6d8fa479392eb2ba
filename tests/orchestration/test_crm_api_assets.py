"""Salesforce and Pipedrive sync in the main job when configured ("demo": simulated APIs)."""

from __future__ import annotations

import duckdb


def test_demo_salesforce_and_pipedrive_land_every_listed_deal(cli, tmp_path, monkeypatch):
    monkeypatch.setenv("FUNNELHOUSE_SALESFORCE_INSTANCE_URL", "demo")
    monkeypatch.setenv("FUNNELHOUSE_PIPEDRIVE_BASE_URL", "demo")
    code, summary = cli(["run", "--home", str(tmp_path), "--deals", "300", "--seed", "5"])
    assert code == 0, summary
    assert "load (raw_salesforce)" in summary and "load (raw_pipedrive)" in summary
    world = tmp_path / "worlds" / "seed5-deals300"
    with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as con:
        listed = con.execute(
            f"select count(*) from read_parquet('{world}/hubspot/deals/*.parquet')"
        ).fetchone()[0]
        opportunities, deleted = con.execute(
            """select count(distinct "Id"), count(distinct "Id") filter (where "IsDeleted" = 'true')
            from raw_salesforce."Opportunity" """
        ).fetchone()
        quarantined_sf = con.execute(
            "select count(*) from quarantine.salesforce__Opportunity"
        ).fetchone()[0]
        deals = con.execute("select count(distinct id) from raw_pipedrive.deals").fetchone()[0]
        quarantined_pd = con.execute("select count(*) from quarantine.pipedrive__deals").fetchone()[
            0
        ]
    assert opportunities + quarantined_sf == listed
    assert deleted > 0
    assert deals + quarantined_pd == listed


def _world_id(source: str, deal_id: str) -> str:
    # Salesforce ids are the object's key prefix (006) and the world id, zero-padded.
    return str(int(deal_id[3:])) if source == "salesforce" else deal_id


def test_three_crms_of_one_world_give_the_same_deals_and_stage_paths(cli, tmp_path, monkeypatch):
    monkeypatch.setenv("FUNNELHOUSE_SALESFORCE_INSTANCE_URL", "demo")
    monkeypatch.setenv("FUNNELHOUSE_PIPEDRIVE_BASE_URL", "demo")
    code, summary = cli(["run", "--home", str(tmp_path), "--deals", "300", "--seed", "6"])
    assert code == 0, summary
    with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as con:
        deals = con.execute(
            "select source_system, deal_id, outcome, canonical_stage, is_deleted, cycle_days "
            "from marts.deals"
        ).fetchall()
        paths = con.execute(
            "select d.source_system, d.deal_id, "
            "string_agg(v.canonical_stage, '>' order by v.visit_number) "
            "from marts.deal_stage_visits v join marts.deals d using (deal_key) group by 1, 2"
        ).fetchall()
    by_source: dict[str, dict] = {}
    for source, deal_id, *state in deals:
        by_source.setdefault(source, {})[_world_id(source, deal_id)] = state
    path_by_source: dict[str, dict] = {}
    for source, deal_id, path in paths:
        path_by_source.setdefault(source, {})[_world_id(source, deal_id)] = path
    assert set(by_source) == {"hubspot", "salesforce", "pipedrive"}
    common = set.intersection(*(set(d) for d in by_source.values()))
    assert len(common) > 250
    for source in ("salesforce", "pipedrive"):
        for world_id in common:
            hubspot, other = by_source["hubspot"][world_id], by_source[source][world_id]
            assert other[:3] == hubspot[:3], (source, world_id)
            assert path_by_source[source][world_id] == path_by_source["hubspot"][world_id]
