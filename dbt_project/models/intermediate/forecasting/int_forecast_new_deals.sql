{#- Revenue expected from deals not created yet, per as-of date, pipeline and forecast
    period: deals created per day over the var('forecast_new_deal_lookback_days') days
    before the as-of instant, x the chance that a deal created on each coming day is won
    within the period (the pipeline's time-to-close curve from creation, as known then), x
    the average amount of the deals won in those days (reporting currency at the win day's
    rate). A line of its own: no open deal is in it. -#}
{%- set lookback_days = var('forecast_new_deal_lookback_days') -%}
with as_of_dates as (
    select * from {{ ref('int_forecast_as_of_dates') }}
    where is_current or is_backtest
),

periods as (
    select * from {{ ref('int_forecast_periods') }}
),

creations as (
    select * from {{ ref('int_deal_time_to_close') }}
    where start_point = 'created'
),

curves as (
    select * from {{ ref('int_forecast_close_curves') }}
    where start_point = 'created'
),

states as (
    select * from {{ ref('deal_state_history') }}
    where not is_excluded_from_metrics
),

fx as (
    select * from {{ ref('int_fx_rates_daily') }}
),

creation_rates as (
    select
        as_of_dates.as_of_date,
        creations.pipeline_id,
        count(*) * 1.0 / {{ lookback_days }} as created_per_day
    from as_of_dates
    inner join creations
        on
            creations.started_at < as_of_dates.as_of_at
            and creations.started_at
            >= {{ dbt.dateadd('day', -lookback_days, 'as_of_dates.as_of_at') }}
    group by as_of_dates.as_of_date, creations.pipeline_id
),

-- Each deal's first won state that began in the lookback window, at its amount then.
wins as (
    select
        as_of_dates.as_of_date,
        states.pipeline_id,
        states.amount * fx.rate_to_reporting as amount_reporting,
        row_number() over (
            partition by as_of_dates.as_of_date, states.deal_key order by states.valid_from
        ) as win_number
    from as_of_dates
    inner join states
        on
            states.is_won
            and states.valid_from < as_of_dates.as_of_at
            and states.valid_from >= {{ dbt.dateadd('day', -lookback_days, 'as_of_dates.as_of_at') }}
    left join fx
        on
            {{ reporting_date('states.valid_from') }} = fx.rate_date
            and states.currency_code = fx.currency_code
),

win_sizes as (
    select
        as_of_date,
        pipeline_id,
        avg(amount_reporting) as average_won_amount_reporting
    from wins
    where win_number = 1
    group by as_of_date, pipeline_id
),

curve_ends as (
    select
        as_of_date,
        pipeline_id,
        max(day) as last_day
    from curves
    group by as_of_date, pipeline_id
),

-- Deals created during each coming day, counted at its middle (days after the as-of instant).
creation_days as (
    select
        as_of_dates.as_of_date,
        {{ dbt.datediff('as_of_dates.as_of_date', 'days.date_day', 'day') }}
        - 0.5 as days_after_as_of
    from as_of_dates
    inner join {{ ref('calendar_days') }} as days
        on
            days.date_day > as_of_dates.as_of_date
            and days.date_day
            <= {{ dbt.dateadd('month', var('forecast_horizon_months') + 1, 'as_of_dates.as_of_date') }}
),

lookups as (
    select
        periods.as_of_date,
        periods.period_number,
        curve_ends.pipeline_id,
        least(
            cast(floor(periods.days_to_end - creation_days.days_after_as_of) as {{ dbt.type_int() }}),
            curve_ends.last_day
        ) as day_period_ends,
        least(
            greatest(
                cast(
                    floor(periods.days_to_start - creation_days.days_after_as_of)
                    as {{ dbt.type_int() }}
                ),
                0
            ),
            curve_ends.last_day
        ) as day_period_starts
    from periods
    inner join creation_days
        on
            periods.as_of_date = creation_days.as_of_date
            and creation_days.days_after_as_of < periods.days_to_end
    inner join curve_ends on periods.as_of_date = curve_ends.as_of_date
),

won_per_daily_creation as (
    select
        lookups.as_of_date,
        lookups.period_number,
        lookups.pipeline_id,
        sum(period_ends.cif_won - period_starts.cif_won) as expected_won
    from lookups
    inner join curves as period_ends
        on
            lookups.as_of_date = period_ends.as_of_date
            and lookups.pipeline_id = period_ends.pipeline_id
            and lookups.day_period_ends = period_ends.day
    inner join curves as period_starts
        on
            lookups.as_of_date = period_starts.as_of_date
            and lookups.pipeline_id = period_starts.pipeline_id
            and lookups.day_period_starts = period_starts.day
    group by lookups.as_of_date, lookups.period_number, lookups.pipeline_id
)

select
    periods.as_of_date,
    creation_rates.pipeline_id,
    periods.period_number,
    creation_rates.created_per_day,
    creation_rates.created_per_day * (periods.days_to_end - periods.days_to_start)
        as expected_new_deals,
    creation_rates.created_per_day * coalesce(won.expected_won, 0) as expected_won_deals,
    win_sizes.average_won_amount_reporting,
    creation_rates.created_per_day * coalesce(won.expected_won, 0)
    * win_sizes.average_won_amount_reporting as expected_amount_reporting
from periods
inner join creation_rates on periods.as_of_date = creation_rates.as_of_date
left join won_per_daily_creation as won
    on
        periods.as_of_date = won.as_of_date
        and periods.period_number = won.period_number
        and creation_rates.pipeline_id = won.pipeline_id
left join win_sizes
    on
        periods.as_of_date = win_sizes.as_of_date
        and creation_rates.pipeline_id = win_sizes.pipeline_id
