{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='deal_key',
    on_schema_change='fail',
    post_hook="delete from {{ this }} where start_point is null",
) }}
{#- One row per deal and clock start: its creation, and its first entry into each open
    stage it ever reached. closed_at is the deal's first close after the clock started
    (null while it has not closed) and is_won that close's outcome. Time-to-close curves,
    historical conversion and the ages of open deals all start their clocks here.

    Incremental by deal (groups_to_rebuild): a deal's rows depend only on its pipeline,
    creation and stage visits, and on which canonical stages are won, none of it on the
    as-of date; a daily run rebuilds the deals whose fingerprint of those changed. -#}
with all_visits as (
    select
        deal_key,
        canonical_stage,
        is_closed_stage,
        entered_at
    from {{ ref('deal_stage_visits') }}
    where not is_excluded_from_metrics
),

all_deals as (
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

visit_fingerprints as (
    select
        deal_key,
        {{ order_free_hash(['canonical_stage', 'is_closed_stage', 'entered_at']) }}
            as fingerprint
    from all_visits
    group by deal_key
),

outcomes_fingerprint as (
    select {{ order_free_hash(['canonical_stage', 'is_won']) }} as fingerprint
    from stages
),

inputs as (
    select
        all_deals.deal_key,
        {{ row_hash([
            'all_deals.pipeline_id', 'all_deals.created_at', 'visit_fingerprints.fingerprint',
            'outcomes_fingerprint.fingerprint',
        ]) }} as inputs_fingerprint
    from all_deals
    left join visit_fingerprints on all_deals.deal_key = visit_fingerprints.deal_key
    cross join outcomes_fingerprint
),

{{ groups_to_rebuild('inputs', 'deal_key') }},

visits as (
    select * from all_visits
    {%- if is_incremental() %}
        where deal_key in (select groups_to_rebuild.deal_key from groups_to_rebuild)
    {%- endif %}
),

deals as (
    select * from all_deals
    {%- if is_incremental() %}
        where deal_key in (select groups_to_rebuild.deal_key from groups_to_rebuild)
    {%- endif %}
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
    groups_to_rebuild.deal_key,
    deals.pipeline_id,
    clock_starts.start_point,
    clock_starts.started_at,
    first_closes.closed_at,
    closes.is_won,
    groups_to_rebuild.inputs_fingerprint as _inputs_fingerprint,
    {{ built_at() }} as _built_at
from groups_to_rebuild
left join deals on groups_to_rebuild.deal_key = deals.deal_key
left join clock_starts on deals.deal_key = clock_starts.deal_key
left join first_closes
    on
        clock_starts.deal_key = first_closes.deal_key
        and clock_starts.start_point = first_closes.start_point
left join closes
    on
        first_closes.deal_key = closes.deal_key
        and first_closes.closed_at = closes.closed_at
