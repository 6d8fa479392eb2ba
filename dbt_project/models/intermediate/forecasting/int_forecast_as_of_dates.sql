{#- The instants pipelines are looked at: the run's as-of date (is_current); the last day
    of each month before it, back var('forecast_backtest_months') + var('forecast_landmark_months')
    months, as landmarks the time-to-close curves learn from; and among those, for
    backtests (is_backtest), the latest var('forecast_backtest_months') whose following
    month has entirely happened by the run's as-of date. as_of_at is the end of the day in
    the reporting time zone, as UTC: only what happened before it was known then. -#}
with month_ends as (
    select
        cast({{ dbt.dateadd('day', -1, 'month_start_date') }} as date) as as_of_date,
        {{ local_to_utc('cast(month_start_date as ' ~ dbt.type_timestamp() ~ ')') }} as as_of_at,
        {{ dbt.dateadd('month', 1, 'month_start_date') }}
        <= {{ dbt.dateadd('day', 1, as_of_date()) }} as is_next_month_over
    from {{ ref('calendar_days') }}
    where
        date_day = month_start_date
        and month_start_date <= {{ as_of_date() }}
        and month_start_date > {{ dbt.dateadd(
            'month',
            -(var('forecast_backtest_months') + var('forecast_landmark_months')),
            as_of_date(),
        ) }}
),

ranked as (
    select
        *,
        row_number() over (partition by is_next_month_over order by as_of_date desc) as recency
    from month_ends
)

select
    as_of_date,
    as_of_at,
    false as is_current,
    is_next_month_over and recency <= {{ var('forecast_backtest_months') }} as is_backtest
from ranked

union all

select
    {{ as_of_date() }} as as_of_date,
    {{ as_of_timestamp() }} as as_of_at,
    true as is_current,
    false as is_backtest
