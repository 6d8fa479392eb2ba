{#- Historical conversion per as-of date, pipeline and open stage: of the deals that had
    been in the stage and were closed at the as-of instant, the share won (metrics.md),
    learned only from what was known then. Only deals created at least
    var('forecast_history_min_age_days') days before count: in younger cohorts only the
    quick deals have closed yet, and quick deals win more often, so they would bias the
    rate upward. -#}
with as_of_dates as (
    select * from {{ ref('int_forecast_as_of_dates') }}
    where is_current or is_backtest
),

states as (
    select * from {{ ref('deal_state_history') }}
    where not is_excluded_from_metrics
),

clock_starts as (
    select * from {{ ref('int_deal_time_to_close') }}
),

closed_at_as_of as (
    select
        as_of_dates.as_of_date,
        as_of_dates.as_of_at,
        states.deal_key,
        states.is_won
    from as_of_dates
    inner join states on {{ state_held_until('states', 'as_of_dates.as_of_at') }}
    where states.is_closed
),

mature as (
    select closed.*
    from closed_at_as_of as closed
    inner join clock_starts as created
        on
            closed.deal_key = created.deal_key
            and created.start_point = 'created'
            and created.started_at < {{ dbt.dateadd(
                'day', -var('forecast_history_min_age_days'), 'closed.as_of_at'
            ) }}
)

select
    mature.as_of_date,
    stage_entries.pipeline_id,
    stage_entries.start_point as canonical_stage,
    count(*) as resolved_deals,
    count(case when mature.is_won then 1 end) as won_deals,
    count(case when mature.is_won then 1 end) * 1.0 / count(*) as win_rate
from mature
inner join clock_starts as stage_entries
    on
        mature.deal_key = stage_entries.deal_key
        and stage_entries.start_point <> 'created'
        and stage_entries.started_at < mature.as_of_at
group by mature.as_of_date, stage_entries.pipeline_id, stage_entries.start_point
