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
