{#- One row per deal and clock start: its creation, and its first entry into each open
    stage it ever reached. closed_at is the deal's first close after the clock started
    (null while it has not closed) and is_won that close's outcome. Time-to-close curves,
    historical conversion and the ages of open deals all start their clocks here. -#}
with visits as (
    select * from {{ ref('deal_stage_visits') }}
    where not is_excluded_from_metrics
),

deals as (
    select
        deal_key,
        pipeline_id,
        created_at
    from {{ ref('deals') }}
    where not is_excluded_from_metrics
),

stages as (
    select * from {{ ref('canonical_stages') }}
),

clock_starts as (
    select
        deal_key,
        'created' as start_point,
        created_at as started_at
    from deals

    union all

    select
        deal_key,
        canonical_stage as start_point,
        min(entered_at) as started_at
    from visits
    where not is_closed_stage
    group by deal_key, canonical_stage
),

closes as (
    select
        visits.deal_key,
        visits.entered_at as closed_at,
        stages.is_won
    from visits
    inner join stages on visits.canonical_stage = stages.canonical_stage
    where visits.is_closed_stage
),

first_closes as (
    select
        clock_starts.deal_key,
        clock_starts.start_point,
        min(closes.closed_at) as closed_at
    from clock_starts
    inner join closes
        on
            clock_starts.deal_key = closes.deal_key
            and closes.closed_at >= clock_starts.started_at
    group by clock_starts.deal_key, clock_starts.start_point
)

select
    clock_starts.deal_key,
    deals.pipeline_id,
    clock_starts.start_point,
    clock_starts.started_at,
    first_closes.closed_at,
    closes.is_won
from clock_starts
inner join deals on clock_starts.deal_key = deals.deal_key
left join first_closes
    on
        clock_starts.deal_key = first_closes.deal_key
        and clock_starts.start_point = first_closes.start_point
left join closes
    on
        first_closes.deal_key = closes.deal_key
        and first_closes.closed_at = closes.closed_at
