{{ config(materialized='view') }}
{#- Any deal as it stood at the end of any day (reporting time zone) from its creation to
    the as-of date. A view: 1M deals over two years would be hundreds of millions of rows,
    so queries filter it to the days they need (period ends, the last 90 days). -#}
with states as (
    select * from {{ ref('deal_state_history') }}
),

days as (
    select
        date_day,
        {{ reporting_day_end_utc('date_day') }} as day_end_utc
    from {{ ref('calendar_days') }}
    where date_day <= {{ as_of_date() }}
),

fx as (
    select * from {{ ref('int_fx_rates_daily') }}
)

select
    days.date_day as snapshot_date,
    states.deal_key,
    states.deal_state_key,
    states.pipeline_id,
    states.stage_id,
    states.canonical_stage,
    states.is_closed,
    states.is_won,
    states.amount,
    states.currency_code,
    states.amount * fx.rate_to_reporting as amount_reporting,
    states.close_date,
    states.forecast_category,
    states.owner_key,
    states.is_excluded_from_metrics
from days
inner join states on {{ state_held_until('states', 'days.day_end_utc') }}
left join fx
    on
        days.date_day = fx.rate_date
        and states.currency_code = fx.currency_code
