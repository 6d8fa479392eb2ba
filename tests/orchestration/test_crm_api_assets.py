"""Salesforce and Pipedrive sync in the main job when configured ("demo": simulated APIs)."""

from __future__ import annotations


def test_demo_salesforce_and_pipedrive_land_every_listed_deal(multi_source_run):
    run = multi_source_run
    assert "load (raw_salesforce)" in run.summary and "load (raw_pipedrive)" in run.summary
    [(listed,)] = run.query(
        f"select count(*) from read_parquet('{run.world_dir}/hubspot/deals/*.parquet')"
    )
    [(opportunities, deleted)] = run.query(
        """select count(distinct "Id"), count(distinct "Id") filter (where "IsDeleted" = 'true')
        from raw_salesforce."Opportunity" """
    )
    [(quarantined_sf,)] = run.query("select count(*) from quarantine.salesforce__Opportunity")
    [(deals,)] = run.query("select count(distinct id) from raw_pipedrive.deals")
    [(quarantined_pd,)] = run.query("select count(*) from quarantine.pipedrive__deals")
    assert opportunities + quarantined_sf == listed
    assert deleted > 0
    assert deals + quarantined_pd == listed


def _world_id(source: str, deal_id: str) -> str:
    # Salesforce ids are the object's key prefix (006) and the world id, zero-padded.
    return str(int(deal_id[3:])) if source == "salesforce" else deal_id


def test_three_crms_of_one_world_give_the_same_deals_and_stage_paths(multi_source_run):
    crms = "('hubspot', 'salesforce', 'pipedrive')"  # the run's CSV exports are another world
    deals = multi_source_run.query(
        "select source_system, deal_id, outcome, canonical_stage, is_deleted, cycle_days "
        f"from marts.deals where source_system in {crms}"
    )
    paths = multi_source_run.query(
        "select d.source_system, d.deal_id, "
        "string_agg(v.canonical_stage, '>' order by v.visit_number) "
        "from marts.deal_stage_visits v join marts.deals d using (deal_key) "
        f"where d.source_system in {crms} group by 1, 2"
    )
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
