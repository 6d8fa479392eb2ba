{#- One row per stay of a deal in a stage, from the change that entered it to the change
    that left it. A stay still open at the as-of time is censored there, never dropped. -#}
with changes as (
    select * from {{ ref('int_deal_stage_changes') }}
),

deals as (
    select
        deal_key,
        owner_key,
        is_deleted,
        merged_into_deal_key
    from {{ ref('int_deals') }}
),

visits as (
    select
        deal_key,
        source_system,
        pipeline_id,
        change_number as visit_number,
        stage_id,
        canonical_stage,
        sort_order,
        is_closed as is_closed_stage,
        is_skip as entered_by_skip,
        is_regression as entered_by_regression,
        changed_at as entered_at,
        lead(changed_at) over (partition by deal_key order by change_number) as exited_at,
        lead(canonical_stage) over (partition by deal_key order by change_number)
            as next_canonical_stage
    from changes
)

select
    {{ dbt.concat(["visits.deal_key", "'#'", dbt.safe_cast("visits.visit_number", dbt.type_string())]) }}
        as stage_visit_key,
    visits.deal_key,
    visits.visit_number,
    visits.source_system,
    visits.pipeline_id,
    visits.stage_id,
    visits.canonical_stage,
    visits.sort_order,
    visits.is_closed_stage,
    visits.entered_by_skip,
    visits.entered_by_regression,
    visits.entered_at,
    visits.exited_at,
    visits.next_canonical_stage,
    visits.exited_at is null as is_current,
    visits.exited_at is null and not visits.is_closed_stage as is_censored,
    case
        when visits.exited_at is not null
            then {{ days_between('visits.entered_at', 'visits.exited_at') }}
        when not visits.is_closed_stage
            then {{ days_between('visits.entered_at', as_of_timestamp()) }}
    end as days_in_stage,
    deals.is_deleted or deals.merged_into_deal_key is not null as is_excluded_from_metrics
from visits
inner join deals on visits.deal_key = deals.deal_key
