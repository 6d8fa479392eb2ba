{#- Fails with one row per stage id that has no row in seeds/stage_mapping.csv: add those
    rows (source_system, pipeline_id, stage_id, canonical_stage) and rerun. -#}
select
    source_system,
    pipeline_id,
    stage_id,
    count(*) as stage_changes
from {{ ref('int_deal_stage_changes') }}
where canonical_stage is null
group by source_system, pipeline_id, stage_id
