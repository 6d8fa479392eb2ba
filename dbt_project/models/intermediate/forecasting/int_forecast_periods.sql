{#- The periods each forecast as-of date (the run's and the backtests') forecasts: fiscal
    months, var('forecast_horizon_months') of them, the first being the month that holds the
    day after the as-of date (only its rest, from the as-of instant). days_to_start and
    days_to_end measure them from the as-of instant. -#}
with as_of_dates as (
    select * from {{ ref('int_forecast_as_of_dates') }}
    where is_current or is_backtest
),

months as (
    select
        date_day as period_start_date,
        fiscal_year,
        fiscal_quarter,
        fiscal_month
    from {{ ref('calendar_days') }}
    where date_day = month_start_date
),

periods as (
    select
        as_of_dates.as_of_date,
        as_of_dates.as_of_at,
        as_of_dates.is_current,
        months.period_start_date,
        cast({{ dbt.dateadd('month', 1, 'months.period_start_date') }} as date) as period_end_date,
        months.fiscal_year,
        months.fiscal_quarter,
        months.fiscal_month,
        row_number() over (
            partition by as_of_dates.as_of_date order by months.period_start_date
        ) as period_number
    from as_of_dates
    inner join months
        on
            months.period_start_date
            >= {{ dbt.date_trunc('month', dbt.dateadd('day', 1, 'as_of_dates.as_of_date')) }}
            and months.period_start_date < {{ dbt.dateadd(
                'month',
                var('forecast_horizon_months'),
                dbt.date_trunc('month', dbt.dateadd('day', 1, 'as_of_dates.as_of_date')),
            ) }}
),

bounded as (
    select
        *,
        case
            when period_number = 1 then as_of_at
            else {{ local_to_utc('cast(period_start_date as ' ~ dbt.type_timestamp() ~ ')') }}
        end as starts_at,
        {{ local_to_utc('cast(period_end_date as ' ~ dbt.type_timestamp() ~ ')') }} as ends_at
    from periods
)

select
    as_of_date,
    as_of_at,
    is_current,
    period_number,
    period_start_date,
    period_end_date,
    fiscal_year,
    fiscal_quarter,
    fiscal_month,
    starts_at,
    ends_at,
    {{ days_between('as_of_at', 'starts_at') }} as days_to_start,
    {{ days_between('as_of_at', 'ends_at') }} as days_to_end
from bounded
