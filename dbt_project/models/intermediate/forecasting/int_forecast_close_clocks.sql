{{ config(materialized='view') }}
{#- The clocks time-to-close curves learn from, one row each, with only the columns the
    curves read: a landmark clock for each deal open in a stage and days-in-stage band at
    a past month end (started then, closed at its first close after it), and a creation
    clock for every deal (band 'any'); is_won is false while a clock has not closed. A view: the Python model reads it once, so the join
    runs in the warehouse and no copy is stored. -#}
with landmarks as (
    select
        as_of_date,
        as_of_at,
        deal_key,
        pipeline_id,
        canonical_stage,
        days_in_stage_band
    from {{ ref('int_forecast_open_deals') }}
    where days_in_stage_band is not null and not is_current
),

outcomes as (
    select
        as_of_date,
        deal_key,
        closed_at,
        is_won
    from {{ ref('int_forecast_deal_outcomes') }}
)

select
    landmarks.pipeline_id,
    landmarks.canonical_stage as start_point,
    landmarks.days_in_stage_band,
    landmarks.as_of_at as started_at,
    outcomes.closed_at,
    coalesce(outcomes.is_won, false) as is_won
from landmarks
left join outcomes
    on landmarks.as_of_date = outcomes.as_of_date and landmarks.deal_key = outcomes.deal_key

union all

select
    pipeline_id,
    start_point,
    'any' as days_in_stage_band,
    started_at,
    closed_at,
    coalesce(is_won, false) as is_won
from {{ ref('int_deal_time_to_close') }}
where start_point = 'created'
