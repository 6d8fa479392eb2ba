{#- One row per change of a deal's stage, mapped to the canonical funnel, with the
    skip / regression rules of reference metrics ("Funnel and stages"). -#}
with stage_values as (
    select
        deal_key,
        source_system,
        pipeline_id,
        property_value as stage_id,
        changed_at
    from {{ ref('int_deal_property_changes') }}
    where property_name = 'stage'
),

mapped as (
    select
        stage_values.*,
        stages.canonical_stage,
        stages.sort_order,
        stages.is_closed,
        stages.is_won
    from stage_values
    left join {{ ref('int_stages_mapped') }} as stages
        on
            stage_values.source_system = stages.source_system
            and stage_values.pipeline_id = stages.pipeline_id
            and stage_values.stage_id = stages.stage_id
),

-- A value set again without a change of stage is not a move.
with_previous as (
    select
        *,
        lag(stage_id) over (
            partition by deal_key order by changed_at, stage_id
        ) as previous_stage_id
    from mapped
),

changes as (
    select *
    from with_previous
    where previous_stage_id is null or previous_stage_id <> stage_id
),

with_origin as (
    select
        changes.*,
        row_number() over (
            partition by deal_key order by changed_at, stage_id
        ) as change_number,
        lag(canonical_stage) over (
            partition by deal_key order by changed_at, stage_id
        ) as from_canonical_stage,
        lag(sort_order) over (
            partition by deal_key order by changed_at, stage_id
        ) as from_sort_order,
        lag(is_closed) over (
            partition by deal_key order by changed_at, stage_id
        ) as from_is_closed
    from changes
),

last_open_stage as (
    select max(sort_order) as last_open_sort_order
    from {{ ref('canonical_stages') }}
    where not is_closed
)

select
    with_origin.deal_key,
    with_origin.source_system,
    with_origin.pipeline_id,
    with_origin.change_number,
    with_origin.changed_at,
    with_origin.stage_id,
    with_origin.canonical_stage,
    with_origin.sort_order,
    with_origin.is_closed,
    with_origin.is_won,
    with_origin.from_canonical_stage,
    coalesce(
        with_origin.from_sort_order is not null
        and not with_origin.from_is_closed
        and with_origin.canonical_stage <> 'closed_lost'
        and (
            (with_origin.is_won and with_origin.from_sort_order < last_open_stage.last_open_sort_order)
            or (not with_origin.is_closed and with_origin.sort_order > with_origin.from_sort_order + 1)
        ),
        false
    ) as is_skip,
    coalesce(
        (with_origin.from_is_closed and not with_origin.is_closed)
        or with_origin.sort_order < with_origin.from_sort_order,
        false
    ) as is_regression
from with_origin
cross join last_open_stage
