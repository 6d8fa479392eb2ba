{#- Every source stage with its canonical stage and that stage's attributes: the one join
    of the stage mapping that every model needing a stage's meaning uses. -#}
select
    mapping.source_system,
    mapping.pipeline_id,
    mapping.stage_id,
    mapping.canonical_stage,
    stages.sort_order,
    stages.is_closed,
    stages.is_won,
    stages.default_probability,
    stages.forecast_category as canonical_forecast_category
from {{ ref('stage_mapping') }} as mapping
inner join {{ ref('canonical_stages') }} as stages
    on mapping.canonical_stage = stages.canonical_stage
